/**
 * JIT behaviours the issue names: self-modifying code (including a block that rewrites
 * itself; a write invalidates only the blocks it overlaps), a page fault in the middle of a block leaving precise state, and code running with a
 * CS base (legacy modes), where RIP and branch targets are offsets in CS.
 */
import { describe, expect, it } from "vitest";
import { SegAttr } from "../../src/cpu/cpu-state.js";
import { RunWord, SegIndex } from "../../src/cpu/state-layout.js";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

const exitAl = "mov dx, 0xf4\n out dx, al\n hlt";

/** Calls f three times and patches f's immediate (on the loop's own page) after each call. */
const PATCH_LOOP = (): Uint8Array => nasm(`
  xor ebx, ebx
  mov ecx, 3
again:
  call f              ; returns 10 the first time, then 20 after the patch
  add ebx, eax
  mov byte [rel f + 1], 20
  dec ecx
  jnz again
  mov eax, ebx        ; 10 + 20 + 20
  ${exitAl}
  align 64
f:
  mov eax, 10
  ret`);

describe("self-modifying code", () => {
  it("a block that rewrites an instruction later in itself runs the new instruction", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(`
      mov byte [rel patch + 1], 7   ; mov al, 1  ->  mov al, 7 (same block, not yet executed)
    patch:
      mov al, 1
      ${exitAl}`));
    t.enterLongMode();
    t.run();
    expect(t.exitCode).toBe(7);
    expect(t.cpu.tbs.stats.invalidated).toBeGreaterThan(0);
  });

  it("code patched after it was translated and run is retranslated", () => {
    const t = createTestCpu();
    t.load(0x100000, PATCH_LOOP());
    t.enterLongMode();
    t.run();
    expect(t.exitCode).toBe(50);
  });
});

describe("self-modifying code: what a write invalidates", () => {
  it("a patch kills only the blocks whose bytes it overlaps, not the rest of the page", () => {
    const t = createTestCpu();
    t.load(0x100000, PATCH_LOOP());
    t.enterLongMode();
    t.run();
    expect(t.exitCode).toBe(50);
    // f's block dies at each of the three patches; the loop keeps running the block it is in
    expect(t.cpu.tbs.stats.invalidated).toBe(3);
    expect(t.cpu.stats.smcWrites).toBe(3);
  });

  it("a page that keeps taking writes next to its code is treated as data after 1024 of them", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(`
      mov ecx, 2100
    l:
      mov [rel data], ecx        ; same page as the loop, no code at these bytes
      dec ecx
      jnz l
      mov eax, [rel data]
      ${exitAl}
    data: dd 0`));
    t.enterLongMode();
    t.run();
    expect(t.exitCode).toBe(1);
    // writes 1024 and 2048 (counted afresh after each retranslation of the loop) flush the page
    expect(t.cpu.stats.smcWrites).toBe(2);
  });
});

describe("precise exceptions", () => {
  it("a page fault in the middle of a block leaves the state of the last completed instruction", () => {
    const t = createTestCpu();
    // A #PF gate (vector 14) to `handler` (test/helpers/idt64.ts); the handler reports the pushed
    // error code, RIP, CR2 and the registers, then exits.
    const code = nasm(`
      call load_idt
      mov edi, 14
      lea rsi, [rel handler]
      call set_gate
      mov r8, 1
      mov r9, 2
    faulting:
      mov rax, [0x40000000]   ; beyond the identity map: #PF
      mov r9, 3               ; must not have happened
      ${exitAl}
    handler:
      pop r12                 ; error code
      pop r13                 ; RIP
      lea r14, [rel faulting]
      mov r15, cr2
      xor eax, eax
      cmp r13, r14
      jne .bad
      cmp r15, 0x40000000
      jne .bad
      cmp r12, 0              ; not present, read, supervisor
      jne .bad
      cmp r8, 1
      jne .bad
      cmp r9, 2
      jne .bad
      mov al, 0x55
    .bad:
      ${exitAl}
${IDT64}`);
    t.load(0x100000, code);
    t.enterLongMode();
    t.run();
    expect(t.exitCode).toBe(0x55);
  });
});

describe("legacy code with a CS base", () => {
  it("real-mode code at CS=0x800 branches, calls and returns with IP-relative addresses", async () => {
    const { SegIndex, StateOff } = await import("../../src/cpu/state-layout.js");
    const t = createTestCpu();
    t.load(0x8000, nasm(`
      xor bx, bx
      mov cx, 5
    l: call f
      loop l
      mov ax, bx           ; 5 * 3
      mov dx, 0xf4
      out dx, al
      hlt
    f: add bx, 3
      ret`, 16, 0));
    const s = t.cpu.state;
    s.set64(StateOff.CR0, 0x10, 0);
    const code = { selector: 0x800, base: 0x8000, limit: 0xffff, attr: 0x9b };
    const data = { selector: 0, base: 0, limit: 0xffff, attr: 0x93 };
    s.setSeg(SegIndex.CS, code);
    for (const seg of [SegIndex.DS, SegIndex.ES, SegIndex.SS, SegIndex.FS, SegIndex.GS]) s.setSeg(seg, data);
    s.rip = 0;
    s.setReg(4, 0x7000);
    t.cpu.modeChanged();
    t.cpu.flushTlb();
    t.run();
    expect(t.exitCode).toBe(15);
  });
});

describe("address spaces", () => {
  it("after a CR3 switch the same virtual RIP runs the new address space's code", () => {
    const t = createTestCpu(8 << 20);
    const dv = new DataView(t.ram.buffer, t.ram.byteOffset, t.ram.byteLength);
    // Two address spaces share the identity map of the first GiB (PDPT entry 0 -> 0x12000) and
    // map VA 0x40000000 (PDPT entry 1) to different 2 MiB pages: A -> 0x400000, B -> 0x600000.
    const map = (pml4: number, pdpt: number, pd: number, pa: number) => {
      dv.setUint32(pml4, pdpt | 3, true);
      dv.setUint32(pdpt, 0x12000 | 3, true);
      dv.setUint32(pdpt + 8, pd | 3, true);
      dv.setUint32(pd, pa | 0x83, true);
    };
    t.load(0x400000, [0xb8, 1, 0, 0, 0, 0xc3]); // mov eax, 1; ret
    t.load(0x600000, [0xb8, 2, 0, 0, 0, 0xc3]); // mov eax, 2; ret
    t.load(0x100000, nasm(`
      mov rdi, 0x40000000
      xor ebx, ebx
      call rdi
      add ebx, eax
      mov rax, 0x14000
      mov cr3, rax
      call rdi
      add ebx, eax
      mov rax, 0x10000
      mov cr3, rax
      call rdi
      add ebx, eax
      mov eax, ebx
      ${exitAl}`));
    t.enterLongMode();
    map(0x10000, 0x11000, 0x13000, 0x400000); // the test CPU's own tables, plus space A
    map(0x14000, 0x15000, 0x16000, 0x600000); // space B
    t.run();
    expect(t.exitCode).toBe(1 + 2 + 1);
  });
});

describe("translation keys", () => {
  it("64-bit code keeps its translations when only SS.B changes (kernel code entered by SYSCALL and by an interrupt from user mode)", () => {
    const t = createTestCpu();
    t.load(0x100000, nasm(`
      call f
      hlt                 ; the test gives SS a B = 0 cache here, as an interrupt from CPL 3 does
      call f
      mov eax, ebx
      ${exitAl}
      align 64
    f:
      add ebx, 1
      ret`));
    t.enterLongMode();
    const s = t.cpu.state;
    const flatSsHflags = s.hflags;
    expect(t.run()).toBe("halt");
    const translated = t.cpu.tbs.stats.translated;
    s.setSeg(SegIndex.SS, { ...s.seg(SegIndex.SS), attr: s.seg(SegIndex.SS).attr & ~SegAttr.DB });
    t.cpu.modeChanged();
    s.setRun(RunWord.HALTED, 0);
    t.run();
    expect(t.exitCode).toBe(2);
    expect(s.hflags).toBe(flatSsHflags);
    // new: the second `call f` and its return target; f itself is found again (3 with SS.B in the key)
    expect(t.cpu.tbs.stats.translated - translated).toBe(2);
  });
});
