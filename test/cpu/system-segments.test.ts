/**
 * Segment limit and type checks on ordinary memory accesses (SDM vol 3 5.3, 5.4), each case a
 * guest snippet at CPL 3 in 32-bit protected mode (test/helpers/pm-fault-cases.ts): expand-up
 * and expand-down data segments with B = 1 and B = 0 (byte/word/dword at and across the limit),
 * G = 1 limit scaling, writes to read-only data and code, reads of execute-only code, null
 * selectors, SS-relative accesses (#SS instead of #GP), stack pushes and pops beyond the stack
 * limits, code fetch and near branches beyond the CS limit, 16-bit code. Then real mode (64 KiB wrap, unreal
 * mode) and long mode (non-canonical #GP vs #SS, code above 4 GiB) and compatibility mode.
 */
import { describe, expect, it } from "vitest";
import { SegAttr } from "../../src/cpu/cpu-state.js";
import { SegIndex } from "../../src/cpu/state-layout.js";
import { createTestCpu, TestLayout } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";
import { runFaultCases, type Descriptor, type FaultCase } from "../helpers/pm-fault-cases.js";

const GP = 13, SS = 12, NONE = -1;

const SEGS: Descriptor[] = [
  { name: "UP32", base: 0x50000, limit: 0xfff, type: 2 },
  { name: "DOWN32", base: 0x200000, limit: 0xfff, type: 6 },
  { name: "DOWN16", base: 0x200000, limit: 0xfff, type: 6, db: false },
  { name: "G4K", base: 0x50000, limit: 1, type: 2, g: true }, // limit 0x1fff
  { name: "RO", base: 0x50000, limit: 0xffff, type: 0 },
  { name: "RCODE", base: 0, limit: 0xfffff, type: 0xa, g: true },
  { name: "XCODE", base: 0, limit: 0xfffff, type: 8, g: true },
  { name: "STK", base: 0x60000, limit: 0xffff, type: 2 },
  { name: "STKDN", base: 0x60000, limit: 0xfff, type: 6 },
  { name: "LIMCODE", base: 0, limit: "ABS(lim_insn) + 1", type: 0xa },
];

/** [case, expected vector] */
const withDs = (sel: string, code: string): string => `  mov ax, ${sel}\n  mov ds, ax\n${code}`;
const withSs = (sel: string, esp: number, code: string): string => `  mov ax, ${sel}\n  mov ss, ax\n  mov esp, 0x${esp.toString(16)}\n${code}`;
const CASES: [FaultCase, number][] = [
  // expand-up, limit 0xfff
  [{ name: "up: byte at the limit", code: withDs("SEL_UP32", ".at: mov al, [0xfff]") }, NONE],
  [{ name: "up: word across the limit", code: withDs("SEL_UP32", ".at: mov ax, [0xfff]") }, GP],
  [{ name: "up: dword ending at the limit", code: withDs("SEL_UP32", ".at: mov eax, [0xffc]") }, NONE],
  [{ name: "up: dword across the limit", code: withDs("SEL_UP32", ".at: mov eax, [0xffd]") }, GP],
  [{ name: "up: byte beyond the limit", code: withDs("SEL_UP32", ".at: mov al, [0x1000]") }, GP],
  [{ name: "up: dword store across the limit", code: withDs("SEL_UP32", ".at: mov [0xffe], eax") }, GP],
  [{ name: "up: dword store at the limit", code: withDs("SEL_UP32", ".at: mov [0xffc], eax") }, NONE],
  [{ name: "up: STOSD through ES across the limit", code: "  mov ax, SEL_UP32\n  mov es, ax\n  mov edi, 0xffe\n.at: stosd" }, GP],
  [{ name: "up: 16-bit addressing, word at 0xfff", code: withDs("SEL_UP32", "  mov bx, 0xfff\n.at: mov ax, [bx]") }, GP],
  [{ name: "up: m80 ending at the limit", code: withDs("SEL_UP32", ".at: fld tword [0xff6]\n  fstp st0") }, NONE],
  [{ name: "up: m80 whose exponent word crosses the limit", code: withDs("SEL_UP32", ".at: fld tword [0xff7]") }, GP],
  [{ name: "up: FSTP m80 across the limit", code: withDs("SEL_UP32", "  fldz\n.at: fstp tword [0xff8]") }, GP],
  // expand-down, B = 1: valid offsets 0x1000..0xffffffff
  [{ name: "down32: byte at limit + 1", code: withDs("SEL_DOWN32", ".at: mov al, [0x1000]") }, NONE],
  [{ name: "down32: byte at the limit", code: withDs("SEL_DOWN32", ".at: mov al, [0xfff]") }, GP],
  [{ name: "down32: dword across the lower bound", code: withDs("SEL_DOWN32", ".at: mov eax, [0xffe]") }, GP],
  [{ name: "down32: dword at the top", code: withDs("SEL_DOWN32", ".at: mov eax, [0xfffffffc]") }, NONE],
  [{ name: "down32: dword across 4 GiB", code: withDs("SEL_DOWN32", ".at: mov eax, [0xfffffffd]") }, GP],
  // expand-down, B = 0: valid offsets 0x1000..0xffff
  [{ name: "down16: byte at 0xffff", code: withDs("SEL_DOWN16", ".at: mov al, [0xffff]") }, NONE],
  [{ name: "down16: word across 0xffff", code: withDs("SEL_DOWN16", ".at: mov ax, [0xffff]") }, GP],
  [{ name: "down16: byte at 0x10000", code: withDs("SEL_DOWN16", ".at: mov al, [0x10000]") }, GP],
  [{ name: "down16: byte at the limit", code: withDs("SEL_DOWN16", ".at: mov al, [0xfff]") }, GP],
  [{ name: "down16: word at limit + 1", code: withDs("SEL_DOWN16", ".at: mov ax, [0x1000]") }, NONE],
  // G = 1: limit field 1 -> 0x1fff
  [{ name: "G=1: byte at 0x1fff", code: withDs("SEL_G4K", ".at: mov al, [0x1fff]") }, NONE],
  [{ name: "G=1: word across 0x1fff", code: withDs("SEL_G4K", ".at: mov ax, [0x1fff]") }, GP],
  [{ name: "G=1: byte at 0x2000", code: withDs("SEL_G4K", ".at: mov al, [0x2000]") }, GP],
  [{ name: "DS load sets the accessed bit", code: withDs("SEL_UP32", "  mov cx, SEL_UP32\n  lar eax, ecx\n  test eax, 0x100\n  jnz .ok\n.at: ud2\n.ok:") }, NONE],
  // types
  [{ name: "read-only data: read", code: withDs("SEL_RO", ".at: mov eax, [0x10]") }, NONE],
  [{ name: "read-only data: store", code: withDs("SEL_RO", ".at: mov [0x10], eax") }, GP],
  [{ name: "read-only data: read-modify-write", code: withDs("SEL_RO", ".at: add [0x10], eax") }, GP],
  [{ name: "readable code in DS: read", code: withDs("SEL_RCODE", ".at: mov eax, [0x1000]") }, NONE],
  [{ name: "readable code in DS: store", code: withDs("SEL_RCODE", ".at: mov [0x1000], eax") }, GP],
  [{ name: "CS override: read of readable code", code: ".at: mov eax, [cs:0x1000]" }, NONE],
  [{ name: "CS override: store", code: ".at: mov [cs:0x70800], eax" }, GP],
  [{ name: "execute-only code: CS read", code: "  jmp SEL_XCODE:xo_read", at: "xo_at" }, GP],
  // null selectors
  [{ name: "null DS: load is fine", code: "  xor eax, eax\n  mov ds, ax\n  mov gs, ax" }, NONE],
  [{ name: "null DS: read", code: "  xor eax, eax\n  mov ds, ax\n.at: mov al, [0]" }, GP],
  [{ name: "null ES: STOSB", code: "  xor eax, eax\n  mov es, ax\n  mov edi, 0x70800\n.at: stosb" }, GP],
  [{ name: "null FS: store", code: "  xor eax, eax\n  mov fs, ax\n.at: mov [fs:0], eax" }, GP],
  // SS-relative accesses: #SS
  [{ name: "SS override beyond the limit", code: withSs("SEL_STK", 0x8000, ".at: mov eax, [ss:0x10000]") }, SS],
  [{ name: "EBP-based across the limit", code: withSs("SEL_STK", 0x8000, "  mov ebp, 0xfffe\n.at: mov eax, [ebp]") }, SS],
  [{ name: "ESP-based beyond the limit", code: withSs("SEL_STK", 0x8000, ".at: mov eax, [esp + 0x8000]") }, SS],
  [{ name: "EBP-based uses SS, not DS", code: withDs("SEL_UP32", "  mov ebp, 0x2000\n.at: mov eax, [ebp]") }, NONE],
  [{ name: "EBX-based uses DS", code: withDs("SEL_UP32", "  mov ebx, 0x2000\n.at: mov eax, [ebx]") }, GP],
  [{ name: "pop beyond the stack limit", code: withSs("SEL_STK", 0xfffe, ".at: pop eax") }, SS],
  [{ name: "ret beyond the stack limit", code: withSs("SEL_STK", 0xfffe, ".at: ret") }, SS],
  [{ name: "expand-down stack: push within", code: withSs("SEL_STKDN", 0x1004, ".at: push eax") }, NONE],
  [{ name: "expand-down stack: push across the limit", code: withSs("SEL_STKDN", 0x1002, ".at: push eax") }, SS],
  [{ name: "expand-down stack: call across the limit", code: withSs("SEL_STKDN", 0x1002, ".at: call 0x23:0") }, SS],
  [{ name: "expand-down stack: near call", code: withSs("SEL_STKDN", 0x1003, ".at: call case_0") }, SS],
  [{ name: "expand-down stack: PUSHAD", code: withSs("SEL_STKDN", 0x1010, ".at: pushad") }, SS],
  [{ name: "expand-down stack: ENTER", code: withSs("SEL_STKDN", 0x1002, ".at: enter 4, 0") }, SS],
  // 16-bit code (CS 0x33: D = 0, limit 0xffff)
  [{ name: "16-bit code: word at 0xffff of a 64 KiB segment", code: withDs("SEL_RO", "  jmp 0x33:c16_read"), at: "c16_read" }, GP],
  [{ name: "16-bit code: 32-bit near jump beyond 0xffff", code: "  jmp 0x33:c16_jmp", at: "c16_jmp" }, GP],
  // CS limit
  [{ name: "fetch across the CS limit", code: "  jmp SEL_LIMCODE:lim_entry", at: "lim_insn" }, GP],
  [{ name: "near JMP beyond the CS limit", code: "  jmp SEL_LIMCODE:lim_jmp", at: "lim_jmp" }, GP],
  [{ name: "RET beyond the CS limit", code: "  jmp SEL_LIMCODE:lim_ret_entry", at: "lim_ret" }, GP],
  [{ name: "Jcc taken beyond the CS limit", code: "  jmp SEL_LIMCODE:lim_jcc_entry", at: "lim_jcc" }, GP],
  [{ name: "Jcc not taken", code: "  jmp SEL_LIMCODE:lim_jcc_not" }, NONE],
];

const EXTRA = `
xo_read:                     ; CS = SEL_XCODE (execute-only)
xo_at: mov eax, [cs:0x1000]
  hlt
lim_jmp:                     ; CS = SEL_LIMCODE, limit = lim_insn + 1
  jmp lim_far
lim_ret_entry:
  push lim_far
lim_ret: ret
lim_jcc_entry:
  xor eax, eax
lim_jcc: jz lim_far
lim_jcc_not:
  xor eax, eax
  jnz lim_far
  jmp 0x23:lim_back
lim_entry:
  nop
lim_insn:
  mov eax, 0x12345678        ; 5 bytes: only 2 within the limit
lim_far:
  hlt
lim_back:
  jmp [0x7000c]
bits 16
c16_read: mov ax, [0xffff]
c16_jmp: jmp dword 0x12345
bits 32
`;

describe("segment limit and type checks in 32-bit protected mode", () => {
  it("fault with #GP(0) / #SS(0) at the right instruction, and only where the SDM says", () => {
    const { t, results } = runFaultCases(SEGS, CASES.map(([c]) => c), EXTRA);
    expect(t.exitCode).toBe(1);
    expect(results.map((r) => [r.name, r.vector, r.atFault, r.vector === NONE ? 0 : r.error]))
      .toEqual(CASES.map(([c, v]) => [c.name, v, true, 0]));
  });

  it("checks descriptors on segment loads (error code = selector)", () => {
    const { results } = runFaultCases(SEGS, [
      { name: "execute-only code into DS", code: "  mov ax, SEL_XCODE\n.at: mov ds, ax" },
      { name: "read-only data into SS", code: "  mov ax, SEL_RO\n.at: mov ss, ax" },
      { name: "null SS", code: "  xor eax, eax\n.at: mov ss, ax" },
    ], EXTRA);
    expect(results.map((r) => [r.name, r.vector, r.atFault, r.error])).toEqual([
      ["execute-only code into DS", GP, true, 0x38 + 6 * 8],
      ["read-only data into SS", GP, true, 0x38 + 4 * 8],
      ["null SS", GP, true, 0],
    ]);
  });
});

describe("interrupt frames against the stack limit", () => {
  it("INT n to a conforming handler (no stack switch) with no room for the frame on the current stack: #SS(0) at the INT", () => {
    // Gate 4 becomes a DPL 3 gate to conf_handler in a DPL 0 conforming code segment, so INT 4
    // at CPL 3 stays at CPL 3 and pushes its 12-byte frame on the current SS; a #SS goes to the
    // harness's ring-0 handler on the TSS stack. conf_handler marks that it ran and resumes.
    const conf: Descriptor = { name: "CONF", base: 0, limit: 0xfffff, type: 0xe, dpl: 0, g: true };
    const gate4 = `  mov eax, conf_handler
  mov [idt + 4 * 8], ax
  shr eax, 16
  mov [idt + 4 * 8 + 6], ax
  mov word [idt + 4 * 8 + 2], SEL_CONF - 3
  mov byte [idt + 4 * 8 + 5], 0xee
`;
    const { t, results } = runFaultCases([...SEGS, conf], [
      { name: "frame fits", code: gate4 + withSs("SEL_STK", 0x100, "  int 4") },
      { name: "8 bytes of room", code: gate4 + withSs("SEL_STK", 0x8, ".at: int 4") },
      { name: "expand-down: frame below the lower bound", code: gate4 + withSs("SEL_STKDN", 0x1008, ".at: int 4") },
    ], `${EXTRA}
conf_handler:
  inc dword [0x70020]
  jmp [0x7000c]
`);
    expect(results.map((r) => [r.name, r.vector, r.atFault, r.error])).toEqual([
      ["frame fits", NONE, true, 0],
      ["8 bytes of room", SS, true, 0],
      ["expand-down: frame below the lower bound", SS, true, 0],
    ]);
    expect(new DataView(t.ram.buffer, t.ram.byteOffset).getUint32(0x70020, true)).toBe(1); // ran once
  });
});

describe("real mode", () => {
  it("faults at offset 0xFFFF for words (#GP, #SS via BP), checks near branches against CS, and keeps unreal-mode limits", () => {
    const t = createTestCpu();
    t.load(0x8000, nasm(`
      xor ax, ax
      mov ds, ax
      mov es, ax
      mov ss, ax
      mov sp, 0x7000
      mov word [13 * 4], gp_handler
      mov word [13 * 4 + 2], 0
      mov word [12 * 4], ss_handler
      mov word [12 * 4 + 2], 0
      mov word [resume], r1
      mov al, [0xffff]          ; a byte at the limit
      mov al, '.'
      out 0xe9, al
    r1:
      mov word [resume], r2
      mov ax, [0xffff]          ; a word across it: #GP
      mov al, '.'
      out 0xe9, al
    r2:
      mov word [resume], r3
      mov bp, 0xffff
      mov ax, [bp]              ; SS-relative: #SS
      mov al, '.'
      out 0xe9, al
    r3:
      mov word [resume], r4
      jmp dword 0x12345         ; a 32-bit near target beyond the 64 KiB CS limit: #GP
    r4:
      ; unreal mode: a 4 GiB DS limit survives the return to real mode
      lgdt [gdtr]
      mov eax, cr0
      or al, 1
      mov cr0, eax
      mov bx, 8
      mov ds, bx
      and al, 0xfe
      mov cr0, eax
      mov word [resume], r5
      mov ax, [0xffff]          ; no fault with the big limit
      cmp dword [dword 0x200000], 0x12345678
      jne r5
      mov al, 'U'
      out 0xe9, al
    r5:
      mov word [resume], r6
      mov ax, [es:0xffff]       ; ES still has 64 KiB: #GP
    r6:
      mov al, 1
      out 0xf4, al
    gp_handler:
      mov al, 'G'
      jmp handler
    ss_handler:
      mov al, 'S'
    handler:
      out 0xe9, al
      mov bp, sp
      mov ax, [cs:resume]
      mov [bp], ax              ; return to the next case
      iret
    resume: dw 0
    align 8
    gdt: dq 0, 0x00cf92000000ffff
    gdtr: dw 15
      dd gdt
    `, 16, 0x8000));
    new DataView(t.ram.buffer, t.ram.byteOffset).setUint32(0x200000, 0x12345678, true);
    const s = t.cpu.state;
    s.setSeg(SegIndex.CS, { selector: 0, base: 0, limit: 0xffff, attr: SegAttr.P | SegAttr.S | 0xb });
    s.rip = 0x8000;
    t.cpu.modeChanged();
    t.run(100_000);
    expect(String.fromCharCode(...t.console)).toBe(".GSGUG");
    expect(t.exitCode).toBe(1);
  });
});

describe("long mode", () => {
  it("raises #SS(0) for non-canonical SS-relative addresses, #GP(0) otherwise; compatibility mode checks null DS", () => {
    const t = createTestCpu();
    const gate = (label: string): string => `dw (${label} - $$ + 0x100000) & 0xffff, 0x08, 0x8e00, 0x10\ndd 0, 0`;
    t.load(0x100000, nasm(`
      lidt [rel idtr]
      mov rax, high + 0x100000000   ; code above 4 GiB: no CS limit in 64-bit mode
      jmp rax
    high:
      mov al, 'H'
      out 0xe9, al
      mov rax, low
      jmp rax
    low:
      mov rax, 0x800000000000
      lea rbx, [rel r1]
      mov [rel resume], rbx
      mov rcx, [rax]            ; #GP
    r1:
      lea rbx, [rel r2]
      mov [rel resume], rbx
      mov rbp, rax
      mov rcx, [rbp + 8]        ; #SS
    r2:
      lea rbx, [rel r3]
      mov [rel resume], rbx
      mov rcx, [rsp + rax]      ; #SS
    r3:
      lea rbx, [rel r4]
      mov [rel resume], rbx
      mov rcx, [fs:rax]         ; #GP
    r4:
      xor eax, eax
      mov ds, ax
      mov rcx, [0x1000]         ; null DS is fine in 64-bit mode
      lea rbx, [rel r5]
      mov [rel resume], rbx
      jmp far [rel compat_ptr]
    r5:
      mov al, 1
      out 0xf4, al
    bits 32
    compat:
      mov al, [0x1000]          ; compatibility mode, null DS: #GP
      hlt
    bits 64
    h_gp: mov al, 'G'
      jmp handler
    h_ss: mov al, 'S'
    handler:
      out 0xe9, al
      add rsp, 8
      mov rax, [rel resume]
      mov [rsp], rax
      mov qword [rsp + 8], 0x08
      mov rax, 0x800000000000
      iretq
    resume: dq 0
    compat_ptr: dd compat - $$ + 0x100000
      dw 0x18
    idtr: dw 14 * 16 - 1
      dq idt
    align 16
    idt:
      times 12 dq 0, 0
      ${gate("h_ss")}
      ${gate("h_gp")}
    `));
    t.enterLongMode();
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset);
    dv.setUint32(TestLayout.PDPT + 4 * 8, TestLayout.PD | 3, true); // 4 GiB + x -> x
    t.run(100_000);
    expect(String.fromCharCode(...t.console)).toBe("HGSSGG");
    expect(t.exitCode).toBe(1);
  });
});
