/**
 * x87 exception delivery in tsemu (the host differential tests run with exceptions masked):
 * an unmasked exception sets ES/B, leaves the destination and TOP alone, and is reported as
 * #MF by the next waiting x87 instruction when CR0.NE = 1 (the pushed RIP is that instruction);
 * non-waiting FNSTSW/FNCLEX do not fault. With CR0.NE = 0 no #MF is raised.
 */

import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { StateOff } from "../../src/cpu/state-layout.js";
import { nasm } from "../helpers/nasm.js";

/** Run 64-bit `code` with IDT gates for #NM and #MF recording 7/16 in R15 and the pushed RIP in R14. */
function run64(code: string, ne = true, cr0Set = 0, cr0Clear = 0) {
  const t = createTestCpu();
  const gate = (label: string): string =>
    `dw (${label} - $$ + 0x100000) & 0xffff, 0x08, 0x8e00, (${label} - $$ + 0x100000) >> 16\ndd 0, 0`;
  t.load(0x100000, nasm(`
    lidt [idtr]
    mov r15, -1
    xor r13, r13
    ${code}
    jmp stop
  nm: mov r15, 7
    mov r14, [rsp]
    jmp stop
  mf: mov r15, 16
    mov r14, [rsp]
    fnstsw ax
    mov r12, rax
    fnstenv [rel env]
    mov r11d, [rel env + 12]         ; FIP
    mov r9d, [rel env + 16]          ; FOP:FCS
  stop:
    hlt
  align 8
  env: times 28 db 0
  cw: dw 0
  one: dq 1.0
  idtr: dw 17 * 16 - 1
    dq idt
  align 16
  idt:
    times 7 dq 0, 0
    ${gate("nm")}
    times 8 dq 0, 0
    ${gate("mf")}`));
  t.enterLongMode();
  if (!ne) t.cpu.state.set64(StateOff.CR0, t.cpu.state.cr0 & ~0x20, 0);
  t.cpu.state.set64(StateOff.CR0, (t.cpu.state.cr0 | cr0Set) & ~cr0Clear, 0);
  t.cpu.modeChanged();
  t.run();
  const s = t.cpu.state;
  return {
    vector: s.reg(15) | 0, pushedRip: s.reg(14), sw: s.reg(12) & 0xffff, r13: s.reg(13), rbx: s.reg(3), rax: s.reg(0) & 0xffff,
    fip: s.reg(11) >>> 0, fop: (s.reg(9) >>> 16) & 0x7ff, r10: s.reg(10) >>> 0, logs: t.logs,
  };
}

const DIV0 = `
    fninit
    mov word [rel cw], 0x37b         ; ZE unmasked
    fldcw [rel cw]
    fld1
    fldz
    lea r10, [rel div_insn]
  div_insn:
    fdivp st1, st0                   ; 1/0: ZE, ES; no pop, ST(1) stays 1.0
    mov r13, 1                       ; an integer instruction runs on
    lea rbx, [rel next]`;

describe("x87 exceptions (tsemu)", () => {
  it("delivers an unmasked zero-divide as #MF at the next waiting x87 instruction (CR0.NE = 1)", () => {
    const r = run64(`${DIV0}
  next:
    fld1`);
    expect(r.vector).toBe(16);
    expect(r.r13).toBe(1);
    expect(r.pushedRip).toBe(r.rbx);
    // ZE | ES | B, TOP = 6 (two values: FDIVP neither wrote nor popped)
    expect(r.sw & 0xb8ff).toBe(0x8084 | (6 << 11));
    // the handler's FNSTENV names the faulting FDIVP (DE F9): FIP and FOP are not the FLD1's
    expect([r.fip, r.fop]).toEqual([r.r10, 0x6f9]);
  });

  it("FNSTSW and FNCLEX do not wait; after FNCLEX the next waiting instruction runs", () => {
    const r = run64(`${DIV0}
  next:
    fnstsw ax
    mov r12, rax
    fnclex
    fld1
    fstp qword [rel one]
    mov r13, 2`);
    expect(r.vector).toBe(-1);
    expect(r.r13).toBe(2);
  });

  it("FLDCW that unmasks a raised flag makes the exception pending", () => {
    const r = run64(`
    fninit
    fld1
    fldz
    fdivp st1, st0                   ; masked: ZE set, result +inf
    mov word [rel cw], 0x37b
    fldcw [rel cw]                   ; ZE now unmasked: ES
    lea rbx, [rel next]
  next:
    fwait`);
    expect(r.vector).toBe(16);
    expect(r.pushedRip).toBe(r.rbx);
  });

  it("raises no #MF with CR0.NE = 0", () => {
    const r = run64(`${DIV0}
  next:
    fld1
    mov r13, 3`, false);
    expect(r.vector).toBe(-1);
    expect(r.r13).toBe(3);
    expect(r.logs.some((l) => l.includes("CR0.NE = 0"))).toBe(true);
  });

  it("FWAIT raises #NM only with CR0.MP and CR0.TS both set; other x87 instructions with CR0.TS", () => {
    const body = "lea rbx, [rel next]\n  next:\n    fwait\n    mov r13, 4";
    const ts = run64(body, true, 0x8); // MP is set by the test CPU (CR0 = PG WP NE ET MP PE)
    expect([ts.vector, ts.pushedRip === ts.rbx]).toEqual([7, true]);
    const fld = run64("lea rbx, [rel next]\n  next:\n    fld1", true, 0x8);
    expect([fld.vector, fld.pushedRip === fld.rbx]).toEqual([7, true]);
    const noMp = run64(body, true, 0x8, 0x2);
    expect([noMp.vector, noMp.r13]).toEqual([-1, 4]);
  });
});
