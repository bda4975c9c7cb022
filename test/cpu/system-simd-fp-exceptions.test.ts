/**
 * Unmasked SIMD floating-point exceptions (what the host differential tests cannot run: the
 * native run would die of SIGFPE): #XM (vector 19) when CR4.OSXMMEXCPT is set, #UD when it is
 * clear (SDM vol 3 table 2-4 / 13.4.1); the destination is not written; the flags follow the
 * precise-exception rules of SDM vol 1 11.5.3 (pre-computation exceptions of every lane stop
 * the instruction before any post-computation flag is set).
 */

import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { StateOff, xmmOff } from "../../src/cpu/state-layout.js";
import { nasm } from "../helpers/nasm.js";

interface Outcome { vector: number; pushedRip: number; faultRip: number; mxcsr: number; xmm0: number[]; rbx: number; rsi: number; rdi: number }

/**
 * Run 64-bit `code` (after CR4.OSFXSR and, when `osxmmexcpt`, OSXMMEXCPT are set and MXCSR is
 * loaded) with IDT gates for #UD and #XM that record the vector in R15 and the pushed RIP in R14.
 */
function run(code: string, mxcsr: number, osxmmexcpt = true): Outcome {
  const t = createTestCpu();
  const gate = (label: string): string =>
    `dw (${label} - $$ + 0x100000) & 0xffff, 0x08, 0x8e00, (${label} - $$ + 0x100000) >> 16\ndd 0, 0`;
  t.load(0x100000, nasm(`
    lidt [idtr]
    mov rax, cr4
    or eax, ${osxmmexcpt ? 0x600 : 0x200}
    mov cr4, rax
    mov dword [mx], ${mxcsr}
    ldmxcsr [mx]
    mov r15, -1
    mov rbx, 0x1234
    movdqu xmm0, [a]
    movdqu xmm1, [b]
    lea r13, [fault_here]
  fault_here:
    ${code}
    jmp stop
  ud: mov r15, 6
    jmp record
  xm: mov r15, 19
  record:
    mov r14, [rsp]
  stop:
    stmxcsr [mx]
    hlt
  align 16
  a: dd 0x3f800000, 0x40000000, 0x40400000, 0x7f000000   ; 1 2 3 2^127 (single)
  b: dd 0x00000000, 0x7f800000, 0x3f800000, 0x7f000000   ; 0 inf 1 2^127
  mx: dd 0
  idtr: dw 20 * 16 - 1
    dq idt
  align 16
  idt:
    times 6 dq 0, 0
    ${gate("ud")}
    times 12 dq 0, 0
    ${gate("xm")}`));
  t.enterLongMode();
  t.run();
  const s = t.cpu.state;
  const mx = s.get32(StateOff.MXCSR) >>> 0;
  return {
    vector: s.reg(15) | 0, pushedRip: s.reg(14), faultRip: s.reg(13), mxcsr: mx,
    xmm0: [0, 1, 2, 3].map((i) => s.get32(xmmOff(0) + 4 * i) >>> 0), rbx: s.reg(3), rsi: s.reg(6), rdi: s.reg(7),
  };
}

const A = [0x3f800000, 0x40000000, 0x40400000, 0x7f000000];
const ALL_MASKED = 0x1f80;

describe("unmasked SIMD floating-point exceptions (tsemu)", () => {
  it("divide by zero unmasked: #XM at the instruction, destination unchanged, ZE set", () => {
    const r = run("divps xmm0, xmm1", ALL_MASKED & ~0x200);
    expect(r.vector).toBe(19);
    expect(r.pushedRip).toBe(r.faultRip);
    expect(r.xmm0).toEqual(A);
    // Lane 0 divides by zero (ZE); lane 3's 2^127 / 2^127 is exact; lane 1's 2 / inf is exact.
    expect(r.mxcsr & 0x3f).toBe(0x04);
  });

  it("the same exception is #UD when CR4.OSXMMEXCPT is clear", () => {
    const r = run("divps xmm0, xmm1", ALL_MASKED & ~0x200, false);
    expect(r.vector).toBe(6);
    expect(r.xmm0).toEqual(A);
    expect(r.mxcsr & 0x3f).toBe(0x04);
  });

  it("masked, the same instruction completes with the masked response", () => {
    const r = run("divps xmm0, xmm1", ALL_MASKED);
    expect(r.vector).toBe(-1);
    expect(r.xmm0).toEqual([0x7f800000, 0, 0x40400000, 0x3f800000]);
    expect(r.mxcsr & 0x3f).toBe(0x04);
  });

  it("an unmasked pre-computation exception in one lane: no post-computation flag of any lane", () => {
    // xmm0 = [0, 0, 1, 2^127] * [0, inf, 1, 2^127]: lane 1 is invalid (IE unmasked), lane 3 would overflow.
    const r = run("pshufd xmm0, xmm1, 0xe0\n movdqu [a], xmm0\n mulps xmm0, xmm1", ALL_MASKED & ~0x80);
    expect(r.vector).toBe(19);
    expect(r.xmm0).toEqual([0, 0, 0x3f800000, 0x7f000000]);
    expect(r.mxcsr & 0x3f).toBe(0x01);
  });

  it("a masked pre-computation exception and an unmasked overflow: every lane's flags, then #XM", () => {
    const r = run("pshufd xmm0, xmm1, 0xe0\n mulps xmm0, xmm1", ALL_MASKED & ~0x400);
    expect(r.vector).toBe(19);
    expect(r.xmm0).toEqual([0, 0, 0x3f800000, 0x7f000000]);
    expect(r.mxcsr & 0x3f).toBe(0x01 | 0x08 | 0x20);
  });

  it("an unmasked underflow is reported for an exact tiny result (no PE)", () => {
    // 2^-126 (smallest normal) / 2 = 2^-127: exact, tiny.
    const r = run("mov eax, 0x00800000\n movd xmm0, eax\n mov eax, 0x40000000\n movd xmm1, eax\n divss xmm0, xmm1", ALL_MASKED & ~0x800);
    expect(r.vector).toBe(19);
    expect(r.xmm0[0]).toBe(0x00800000);
    expect(r.mxcsr & 0x3f).toBe(0x10);
  });

  it("an unmasked inexact result faults, the GPR destination of a conversion is not written", () => {
    const r = run("mov eax, 0x3fc00000\n movd xmm1, eax\n cvtss2si ebx, xmm1", ALL_MASKED & ~0x1000);
    expect(r.vector).toBe(19);
    expect(r.rbx).toBe(0x1234);
    expect(r.mxcsr & 0x3f).toBe(0x20);
  });

  it("COMISS signals a QNaN operand, UCOMISS does not", () => {
    const nan = "mov eax, 0x7fc00000\n movd xmm1, eax\n";
    expect(run(`${nan} ucomiss xmm0, xmm1`, ALL_MASKED & ~0x80).vector).toBe(-1);
    const r = run(`${nan} comiss xmm0, xmm1`, ALL_MASKED & ~0x80);
    expect(r.vector).toBe(19);
    expect(r.mxcsr & 0x3f).toBe(0x01);
  });

  it("MXCSR loaded by FXRSTOR or LDMXCSR applies to the next instruction of the same block", () => {
    // Fast mode first (PE set, RC nearest): 1/3 rounds to nearest (up); then RC = down via FXRSTOR;
    // then RC = up via LDMXCSR.
    const r = run(`mov eax, 0x3f800000
      movd xmm2, eax
      mov eax, 0x40400000
      movd xmm3, eax
      movaps xmm0, xmm2
      divss xmm0, xmm3
      movd esi, xmm0
      sub rsp, 512
      and rsp, -16
      fxsave [rsp]
      mov dword [rsp + 24], 0x3fa0
      fxrstor [rsp]
      movaps xmm0, xmm2
      divss xmm0, xmm3
      movd edi, xmm0
      mov dword [rsp], 0x5fa0
      ldmxcsr [rsp]
      movaps xmm0, xmm2
      divss xmm0, xmm3
      movd ebx, xmm0
      jmp stop`, ALL_MASKED | 0x20);
    expect(r.vector).toBe(-1);
    expect([r.rsi >>> 0, r.rdi >>> 0, r.rbx >>> 0]).toEqual([0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaab]);
  });

  it("PE already set does not hide an unmasked overflow", () => {
    const r = run("pshufd xmm0, xmm0, 0xff\n mulss xmm0, xmm0", (ALL_MASKED & ~0x400) | 0x20);
    expect(r.vector).toBe(19);
    expect(r.xmm0[0]).toBe(0x7f000000);
    expect(r.mxcsr & 0x3f).toBe(0x08 | 0x20);
  });
});
