/**
 * Differential tests of SSE/SSE2/SSE3/SSE4.1 floating-point semantics against the host CPU,
 * with NaN (quiet and signalling), ±0, ±inf, denormal and out-of-range inputs.
 */
import { describe, expect, it } from "vitest";
import { buildCases, diffCases, runEmu, runNative, type CaseSpec, type Fill } from "./simd-harness.js";

function forms(ops: string[], fill: Fill, extra = ""): CaseSpec[] {
  return ops.flatMap((op) => [{ insn: `${op} xmm0, xmm1${extra}`, fill }, { insn: `${op} xmm0, IN${extra}`, fill }]);
}
const ARITH = ["add", "sub", "mul", "div", "min", "max", "sqrt"];
const ps = ARITH.flatMap((o) => [`${o}ps`, `${o}ss`]);
const pd = ARITH.flatMap((o) => [`${o}pd`, `${o}sd`]);

function check(specs: CaseSpec[], reps: number, seed: number): void {
  const { body, data, names } = buildCases(specs, reps, seed);
  const native = runNative(body, data);
  const emu = runEmu(body, data);
  expect(emu.logs.filter((l) => l.includes("unimp") || l.includes("#UD"))).toEqual([]);
  expect(emu.exitCode).toBe(0x55);
  expect(diffCases(names, emu.out, native).slice(0, 12)).toEqual([]);
}

describe("SSE floating point matches the host CPU", () => {
  it("single precision arithmetic, min/max, sqrt", () => check(forms(ps, "f32"), 8, 11));
  it("double precision arithmetic, min/max, sqrt", () => check(forms(pd, "f64"), 8, 12));
  it("compares and COMIS/UCOMIS flags", () => {
    const specs: CaseSpec[] = [];
    for (let p = 0; p < 8; p++) {
      specs.push(...forms(["cmpps", "cmpss"], "f32", `, ${p}`), ...forms(["cmppd", "cmpsd"], "f64", `, ${p}`));
    }
    specs.push(...forms(["comiss", "ucomiss"], "f32"), ...forms(["comisd", "ucomisd"], "f64"));
    check(specs, 4, 13);
  });
  it("conversions (integer indefinite for NaN and out of range)", () => {
    const f32: CaseSpec[] = ["cvtss2si eax, xmm1", "cvttss2si eax, xmm1", "cvtss2si rax, xmm1", "cvttss2si rax, IN", "cvtss2sd xmm0, xmm1",
      "cvtps2pd xmm0, xmm1", "cvtps2dq xmm0, xmm1", "cvttps2dq xmm0, IN", "cvtps2pi mm0, xmm1", "cvttps2pi mm0, xmm1"].map((insn) => ({ insn, fill: "f32" as const }));
    const f64: CaseSpec[] = ["cvtsd2si eax, xmm1", "cvttsd2si eax, xmm1", "cvtsd2si rax, IN", "cvttsd2si rax, xmm1", "cvtsd2ss xmm0, xmm1",
      "cvtpd2ps xmm0, xmm1", "cvtpd2dq xmm0, xmm1", "cvttpd2dq xmm0, IN", "cvtpd2pi mm0, xmm1", "cvttpd2pi mm0, IN"].map((insn) => ({ insn, fill: "f64" as const }));
    const int: CaseSpec[] = ["cvtsi2ss xmm0, eax", "cvtsi2ss xmm0, rax", "cvtsi2sd xmm0, eax", "cvtsi2sd xmm0, qword IN",
      "cvtdq2ps xmm0, xmm1", "cvtdq2pd xmm0, xmm1", "cvtpi2ps xmm0, mm1", "cvtpi2pd xmm0, mm1"].map((insn) => ({ insn, fill: "int" as const }));
    check([...f32, ...f64, ...int], 8, 14);
  });
  it("conversions and ROUND* honour MXCSR.RC", () => {
    const withRc = (rc: number, insn: string, fill: Fill): CaseSpec => ({
      insn: `lea rsp, [rsp - 8]\n mov dword [rsp], ${0x1f80 | (rc << 13)}\n ldmxcsr [rsp]\n ${insn}\n mov dword [rsp], 0x1f80\n ldmxcsr [rsp]\n lea rsp, [rsp + 8]`, fill,
    });
    const specs: CaseSpec[] = [];
    for (const rc of [1, 2, 3]) {
      specs.push(withRc(rc, "cvtsd2si eax, xmm1", "f64"), withRc(rc, "cvtsd2si rax, xmm1", "f64"), withRc(rc, "cvtss2si eax, xmm1", "f32"),
        withRc(rc, "cvtps2dq xmm0, xmm1", "f32"), withRc(rc, "cvtpd2dq xmm0, xmm1", "f64"), withRc(rc, "roundps xmm0, xmm1, 4", "f32"),
        withRc(rc, "roundsd xmm0, xmm1, 4", "f64"), withRc(rc, "cvtps2pi mm0, xmm1", "f32"));
    }
    check(specs, 6, 16);
  });
  it("shuffles, horizontal ops, rounding, blends", () => {
    const f32: CaseSpec[] = ["haddps xmm0, xmm1", "hsubps xmm0, IN", "addsubps xmm0, xmm1", "roundps xmm0, xmm1, 0", "roundps xmm0, xmm1, 1",
      "roundps xmm0, IN, 2", "roundps xmm0, xmm1, 3", "roundss xmm0, xmm1, 9", "roundss xmm0, xmm1, 4"].map((insn) => ({ insn, fill: "f32" as const }));
    const f64: CaseSpec[] = ["haddpd xmm0, xmm1", "hsubpd xmm0, xmm1", "addsubpd xmm0, IN", "roundpd xmm0, xmm1, 0", "roundpd xmm0, xmm1, 3",
      "roundsd xmm0, IN, 1", "roundsd xmm0, xmm1, 2"].map((insn) => ({ insn, fill: "f64" as const }));
    check([...f32, ...f64], 8, 15);
  });
});
