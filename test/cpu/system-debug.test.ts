/**
 * Debug exceptions (SDM vol 3 ch. 17): DR0-DR3/DR7 instruction breakpoints (fault before the
 * instruction, RF to resume, RF cleared after one instruction), data breakpoints (write and
 * read/write, lengths 2/4/8, trap after the instruction), general detect (DR7.GD, DR6.BD),
 * TF single-step (POPF sets TF for the instruction after the next, MOV SS delays it, SYSCALL masks it, INT n
 * clears it, IRETQ restores it), INT1, an I/O breakpoint (CR4.DE); each #DB's DR6 and stacked RIP are checked. And the
 * host debugger hook: host breakpoints and host single-step stop run() with "debug".
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { StateOff } from "../../src/cpu/state-layout.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

const R = 0x5000;
const CODE = 0x100000;

/** Labels whose addresses the test reads from the table at CODE + 8 (in this order). */
const LABELS = ["ibp", "w1_after", "w2_after", "w3_after", "gd_insn", "s1", "s2", "s3", "s4", "s5", "s_end", "movss_insn", "movss_after", "movss_t1", "movss_t2", "movss_end", "sc_back", "int_after_nop", "t1", "t2", "icebp", "icebp_after", "io_after", "jmp_insn"];

const PROGRAM = `
  jmp start
align 8
  dq ${LABELS.join(", ")}
start:
  call load_idt
  mov edi, 1
  lea rsi, [rel db_handler]
  call set_gate
  mov edi, 0x30
  lea rsi, [rel int30_handler]
  call set_gate
  mov edi, 14
  lea rsi, [rel pf_handler]
  call set_gate

  ; ---- instruction breakpoint (DR0, execute): hit twice; RF lets each hit resume once
  lea rax, [rel ibp]
  mov dr0, rax
  mov eax, 1                    ; L0, R/W0 = 00, LEN0 = 00
  mov dr7, rax
  mov ecx, 2
  xor r9d, r9d
again:
ibp:
  inc r9d
  dec ecx
  jnz again
  mov [${R}], r9d               ; 2: the instruction ran after each #DB
  xor eax, eax
  mov dr7, rax

  ; ---- data breakpoints: DR1 write-only 4 bytes, DR2 read/write 8 bytes, DR3 write 2 bytes
  lea rax, [rel watch]
  mov dr1, rax
  lea rax, [rel watch2]
  mov dr2, rax
  lea rax, [rel watch3]
  mov dr3, rax
  mov eax, (1 << 2) | (1 << 4) | (1 << 6) | (0xd << 20) | (0xb << 24) | (0x5 << 28)
  mov dr7, rax
  mov eax, [rel watch]          ; read of a write-only breakpoint: nothing
  mov byte [rel watch + 3], 1   ; write inside DR1's 4 bytes
w1_after:
  mov [rel watch + 4], eax      ; outside: nothing
  mov eax, [rel watch2 + 6]     ; read inside DR2's 8 bytes
w2_after:
  mov [rel watch3 - 1], ax      ; overlaps DR3's first byte
w3_after:
  xor eax, eax
  mov dr7, rax

  ; ---- general detect: MOV DR with DR7.GD = 1 faults with DR6.BD; GD is cleared for the handler
  mov eax, 0x2000
  mov dr7, rax
gd_insn:
  mov rax, dr0
  mov rax, dr7
  mov [${R + 4}], eax           ; 0x400: GD cleared

  ; ---- TF single-step
  pushfq
  or qword [rsp], 0x100
  popfq                         ; sets TF: no trap after the POPF itself
s1:
  mov eax, 1                    ; trap, RIP = s2
s2:
  mov eax, 2                    ; trap, RIP = s3
s3:
  pushfq                        ; trap, RIP = s4
s4:
  and qword [rsp], ~0x100       ; trap, RIP = s5
s5:
  popfq                         ; TF was set at its start: trap, RIP = s_end
s_end:
  nop

  ; ---- MOV SS delays the single-step trap until after the next instruction
  pushfq
  or qword [rsp], 0x100
  popfq
  mov eax, ss                   ; trap, RIP = movss_insn
movss_insn:
  mov ss, ax                    ; no trap here...
  nop                           ; ...but after this one: RIP = movss_after, DR6.BS
movss_after:
  pushfq                        ; trap, RIP = movss_t1
movss_t1:
  and qword [rsp], ~0x100       ; trap, RIP = movss_t2
movss_t2:
  popfq                         ; trap, RIP = movss_end
movss_end:

  ; ---- SYSCALL masks TF (SFMASK): no trap after it, nor in the entry code
  mov ecx, 0xc0000080
  rdmsr
  or eax, 1                     ; EFER.SCE
  wrmsr
  mov ecx, 0xc0000081           ; STAR: kernel CS 0x08, SS 0x10
  xor eax, eax
  mov edx, 8
  wrmsr
  mov ecx, 0xc0000082           ; LSTAR
  lea rax, [rel sc_entry]
  mov rdx, rax
  shr rdx, 32
  wrmsr
  mov ecx, 0xc0000084           ; SFMASK = TF | IF
  mov eax, 0x300
  xor edx, edx
  wrmsr
  pushfq
  or qword [rsp], 0x100
  popfq
  syscall
sc_back:                        ; sc_entry jumps here with TF clear
  nop

  ; ---- INT n with TF: the handler runs with TF clear; IRETQ restores TF, which traps after
  ; the next instruction
  pushfq
  or qword [rsp], 0x100
  popfq
  int 0x30
  nop
int_after_nop:
  pushfq
t1:
  and qword [rsp], ~0x100
t2:
  popfq

  ; ---- INT1 (ICEBP): a #DB trap, DR6 unchanged
icebp:
  db 0xf1
icebp_after:

  ; ---- I/O breakpoint (CR4.DE, DR0 = port 0x80, R/W0 = 10, 1 byte): trap after the OUT
  mov rax, cr4
  or eax, 8
  mov cr4, rax
  mov eax, 0x80
  mov dr0, rax
  mov eax, 1 | (2 << 16)
  mov dr7, rax
  in al, 0x81                   ; another port: nothing
  out 0x80, al
io_after:
  xor eax, eax
  mov dr7, rax

  ; ---- single-step into an unmapped page: the #DB (RIP = target) comes before the fetch #PF
  pushfq
  or qword [rsp], 0x100
  popfq
  mov rax, 0x40000000           ; trap, RIP = jmp_insn
jmp_insn:
  jmp rax                       ; trap, RIP = 0x40000000; then #PF, which resumes below
pf_resume:
  mov al, 1
  out 0xf4, al

sc_entry:
  jmp rcx

pf_handler:
  inc dword [${R + 12}]
  add rsp, 8
  lea rax, [rel pf_resume]
  mov [rsp], rax
  and qword [rsp + 16], ~0x100
  iretq

int30_handler:
  inc dword [${R + 8}]
  iretq

; #DB: log {DR6, stacked RFLAGS, stacked RIP}; reset DR6; resume with RF set
db_handler:
  push rax
  push rbx
  mov ebx, [${R + 0x1fc}]
  shl ebx, 4
  mov rax, dr6
  mov [${R + 0x200} + rbx], eax
  mov rax, [rsp + 32]
  mov [${R + 0x204} + rbx], eax
  mov rax, [rsp + 16]
  mov [${R + 0x208} + rbx], rax
  inc dword [${R + 0x1fc}]
  mov eax, 0xffff0ff0
  mov dr6, rax
  or dword [rsp + 32], 0x10000
  pop rbx
  pop rax
  iretq

align 16
watch: dq 0
watch2: dq 0
  dw 0
watch3: dw 0
` + IDT64;

const TF = 0x100, RF = 0x10000;
const B = (n: number) => 0xffff0ff0 | (1 << n);
const BD = (0xffff0ff0 | 0x2000) >>> 0, BS = (0xffff0ff0 | 0x4000) >>> 0;

describe("debug exceptions", () => {
  it("takes instruction, data, general-detect, single-step and INT1 #DB with the right DR6 and RIP", () => {
    const t = createTestCpu();
    const bin = nasm(PROGRAM);
    t.load(CODE, bin);
    t.enterLongMode();
    t.run(100_000);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset);
    const at = Object.fromEntries(LABELS.map((l, i) => [l, Number(dv.getBigUint64(CODE + 8 + i * 8, true))]));
    const n = dv.getUint32(R + 0x1fc, true);
    const log = [...Array(n).keys()].map((i) => {
      const o = R + 0x200 + i * 16;
      const rip = Number(dv.getBigUint64(o + 8, true));
      const label = LABELS.find((l) => at[l] === rip) ?? rip.toString(16);
      return { dr6: dv.getUint32(o, true), tf: (dv.getUint32(o + 4, true) & TF) !== 0, rf: (dv.getUint32(o + 4, true) & RF) !== 0, at: label };
    });
    expect(t.exitCode).toBe(1);
    expect(log).toEqual([
      // instruction breakpoint: fault before the instruction, RF pushed as it was (0)
      { dr6: B(0) >>> 0, tf: false, rf: false, at: "ibp" },
      { dr6: B(0) >>> 0, tf: false, rf: false, at: "ibp" },
      // data breakpoints: trap after the instruction
      { dr6: B(1) >>> 0, tf: false, rf: false, at: "w1_after" },
      { dr6: B(2) >>> 0, tf: false, rf: false, at: "w2_after" },
      { dr6: B(3) >>> 0, tf: false, rf: false, at: "w3_after" },
      // general detect: a fault, so RF = 1 is pushed
      { dr6: BD, tf: false, rf: true, at: "gd_insn" },
      // single-step: after each instruction that started with TF set
      { dr6: BS, tf: true, rf: false, at: "s2" },
      { dr6: BS, tf: true, rf: false, at: "s3" },
      { dr6: BS, tf: true, rf: false, at: "s4" },
      { dr6: BS, tf: true, rf: false, at: "s5" },
      { dr6: BS, tf: false, rf: false, at: "s_end" },
      { dr6: BS, tf: true, rf: false, at: "movss_insn" },
      { dr6: BS, tf: true, rf: false, at: "movss_after" },
      { dr6: BS, tf: true, rf: false, at: "movss_t1" },
      { dr6: BS, tf: true, rf: false, at: "movss_t2" },
      { dr6: BS, tf: false, rf: false, at: "movss_end" },
      // (the SYSCALL round trip with TF masked traps nowhere)
      // INT 0x30 with TF: no trap in the handler; after IRETQ, one after the next instruction
      { dr6: BS, tf: true, rf: false, at: "int_after_nop" },
      { dr6: BS, tf: true, rf: false, at: "t1" },
      { dr6: BS, tf: true, rf: false, at: "t2" },
      { dr6: BS, tf: false, rf: false, at: "icebp" },
      // INT1: #DB trap after it, DR6 untouched
      { dr6: 0xffff0ff0, tf: false, rf: false, at: "icebp_after" },
      // I/O breakpoint: trap after the OUT
      { dr6: B(0) >>> 0, tf: false, rf: false, at: "io_after" },
      { dr6: BS, tf: true, rf: false, at: "jmp_insn" },
      { dr6: BS, tf: true, rf: false, at: "40000000" },
    ]);
    expect(dv.getUint32(R, true)).toBe(2);
    expect(dv.getUint32(R + 4, true)).toBe(0x400);
    expect(dv.getUint32(R + 8, true)).toBe(1);
    expect(dv.getUint32(R + 12, true)).toBe(1); // the #PF after the step into the unmapped page
  });

  it("works in 32-bit protected mode: an execute breakpoint with RF, then TF single-step", () => {
    const t = createTestCpu();
    t.load(CODE, nasm(`
      jmp start
    align 4
      dd bp32, s32b, s32c, s32end
    start:
      mov eax, db32
      mov [idt + 8], ax
      mov word [idt + 10], 0x18
      mov word [idt + 12], 0x8e00
      shr eax, 16
      mov [idt + 14], ax
      lidt [idt_desc]
      mov eax, bp32
      mov dr0, eax
      mov eax, 1
      mov dr7, eax
    bp32:
      inc esi
      xor eax, eax
      mov dr7, eax
      pushfd
      or dword [esp], 0x100
      popfd
      nop
    s32b:
      nop
    s32c:
      pushfd
      and dword [esp], ~0x100
      popfd
    s32end:
      mov al, 1
      out 0xf4, al
    db32:
      push eax
      push ebx
      mov ebx, [${R + 0x1fc}]
      mov eax, dr6
      mov [${R + 0x200} + ebx * 8], eax
      mov eax, [esp + 8]
      mov [${R + 0x204} + ebx * 8], eax
      inc dword [${R + 0x1fc}]
      mov eax, 0xffff0ff0
      mov dr6, eax
      or dword [esp + 16], 0x10000
      pop ebx
      pop eax
      iretd
    idt_desc:
      dw 2 * 8 - 1
      dd idt
    align 8
    idt: times 2 * 8 db 0
    `, 32));
    t.enterProtectedMode();
    t.run(10_000);
    expect(t.exitCode).toBe(1);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset);
    const labels = [0, 1, 2, 3].map((i) => dv.getUint32(CODE + 4 + i * 4, true));
    const n = dv.getUint32(R + 0x1fc, true);
    const log = [...Array(n).keys()].map((i) => [dv.getUint32(R + 0x200 + i * 8, true), labels.indexOf(dv.getUint32(R + 0x204 + i * 8, true))]);
    // #DB at bp32 (B0), then single-step traps after the NOP, the NOP, the PUSHFD... up to the POPFD that clears TF
    expect(log.slice(0, 3)).toEqual([[B(0) >>> 0, 0], [BS, 1], [BS, 2]]);
    expect(log.length).toBe(6);
    expect(log[5]).toEqual([BS, 3]);
    expect(t.cpu.state.reg(6)).toBe(1);
  });

  it("stops run() at host breakpoints and after each host single-step, and resumes from them", () => {
    const t = createTestCpu();
    t.load(CODE, nasm(`
      mov eax, 1
    second:
      add eax, 2
      add eax, 3
    loop:
      inc ebx
      cmp ebx, 3
      jne loop
      mov [${R}], eax
      mov al, 1
      out 0xf4, al
    `));
    t.enterLongMode();
    const s = t.cpu.state;
    const second = CODE + 5, loop = CODE + 11;
    t.cpu.debug.setHostBreakpoints([second, loop]);
    expect(t.cpu.run(10_000)).toBe("debug");
    expect(t.cpu.debug.stopCause).toBe("breakpoint");
    expect(s.rip).toBe(second);
    expect(s.reg(0)).toBe(1);
    // Resuming skips the breakpoint under RIP once.
    expect(t.cpu.run(10_000)).toBe("debug");
    expect(s.rip).toBe(loop);
    expect(s.reg(0)).toBe(6);
    t.cpu.debug.setHostBreakpoints([]);
    t.cpu.debug.setHostStep(true);
    const rips: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(t.cpu.run(10_000)).toBe("debug");
      expect(t.cpu.debug.stopCause).toBe("step");
      rips.push(s.rip - CODE);
    }
    // inc ebx (2 bytes), cmp ebx, 3 (3 bytes), jne loop back, inc ebx
    expect(rips).toEqual([13, 16, 11, 13]);
    expect(s.reg(3)).toBe(2);
    t.cpu.debug.setHostStep(false);
    expect(t.run(10_000)).toBe("stopped");
    expect(t.exitCode).toBe(1);
    expect(new DataView(t.ram.buffer, t.ram.byteOffset).getUint32(R, true)).toBe(6);
    // Guest DR7 state is untouched by the host hook.
    expect(s.lo(StateOff.DR + 7 * 8)).toBe(0x400);
  });
});
