/**
 * Integer instruction faults in tsemu (what the host differential tests cannot run): #DE for
 * divide overflow in every size (the registers keep their values and the pushed RIP is the
 * faulting instruction), #GP(0) for a misaligned CMPXCHG16B, #UD for BCD instructions in
 * 64-bit mode.
 */

import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";

/** Run 64-bit `code` with IDT gates for #DE, #UD and #GP that record the vector in R15. */
function run64(code: string): { vector: number; rax: number; rdx: number; pushedRip: number } {
  const t = createTestCpu();
  const gate = (label: string): string =>
    `dw (${label} - $$ + 0x100000) & 0xffff, 0x08, 0x8e00, (${label} - $$ + 0x100000) >> 16\ndd 0, 0`;
  t.load(0x100000, nasm(`
    lidt [idtr]
    mov r15, -1
    ${code}
  fault_here:
    jmp stop
  de: mov r15, 0
    jmp record
  ud: mov r15, 6
    jmp record
  gp: mov r15, 13
    add rsp, 8 ; error code
  record:
    mov r14, [rsp]
  stop:
    hlt
  idtr: dw 14 * 16 - 1
    dq idt
  align 16
  idt:
    ${gate("de")}
    times 5 dq 0, 0
    ${gate("ud")}
    times 6 dq 0, 0
    ${gate("gp")}`));
  t.enterLongMode();
  t.run();
  const s = t.cpu.state;
  return { vector: s.reg(15) | 0, rax: s.reg(0), rdx: s.reg(2), pushedRip: s.reg(14) };
}

describe("integer faults (tsemu)", () => {
  it("raises #DE on quotient overflow in every operand size, leaving RAX/RDX unchanged", () => {
    const cases = [
      "mov eax, 0x100\nmov ecx, 1\ndiv cl",
      "mov eax, 0x8000\nmov ecx, -1\nidiv cl",
      "mov edx, 1\nxor eax, eax\nmov ecx, 1\ndiv cx",
      "mov edx, -1\nmov eax, 0x80000000\nmov ecx, -1\nidiv ecx",
      "mov edx, 5\nmov eax, 0\nmov ecx, 5\ndiv ecx",
      "mov rdx, 1\nxor eax, eax\nmov ecx, 1\ndiv rcx",
      "mov rdx, -1\nmov rax, 0x8000000000000000\nmov rcx, -1\nidiv rcx",
      "mov rdx, 0x40000000\nxor eax, eax\nmov rcx, 0x7fffffff\nidiv rcx",
    ];
    for (const c of cases) {
      const lines = c.split("\n");
      const setup = lines.slice(0, -1).join("\n");
      const r = run64(c);
      expect(r.vector, c).toBe(0);
      // Registers as set up before the faulting divide.
      const ref = run64(setup);
      expect(ref.vector, setup).toBe(-1);
      expect([r.rax, r.rdx], c).toEqual([ref.rax, ref.rdx]);
    }
  });

  it("reports the divide itself as the faulting instruction", () => {
    const r = run64("mov ecx, 0\nmov eax, 1\nxor edx, edx\nnop\ndiv ecx");
    expect(r.vector).toBe(0);
    // nasm: mov ecx,0 (5) + mov eax,1 (5) + xor (2) + nop (1) after lidt (8) and mov r15 (7).
    expect(r.pushedRip).toBe(0x100000 + 8 + 7 + 5 + 5 + 2 + 1);
  });

  it("raises #GP(0) for a misaligned CMPXCHG16B and runs an aligned one", () => {
    expect(run64("mov rsi, 0x200008\ncmpxchg16b [rsi]").vector).toBe(13);
    expect(run64("mov rsi, 0x200010\ncmpxchg16b [rsi]").vector).toBe(-1);
  });

  it("raises #UD for the instructions invalid in 64-bit mode", () => {
    for (const b of ["0x27", "0x2f", "0x37", "0x3f", "0xd4, 10", "0xd5, 10", "0x60", "0x61"]) {
      expect(run64(`db ${b}`).vector, b).toBe(6);
    }
  });
});
