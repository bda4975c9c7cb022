/**
 * MXCSR-exact SSE floating point against the host CPU: every FP instruction runs under several
 * MXCSR values (each rounding mode, FTZ, DAZ, flags clear / PE set / all set, all exceptions
 * masked: an unmasked one would kill the native run) with edge operands (denormals, zeros,
 * infinities, SNaN/QNaN, values at the underflow and overflow boundaries, exact and inexact
 * cases); the results and the MXCSR after each instruction must match bit for bit.
 */
import { describe, expect, it } from "vitest";
import { buildCases, diffCases, rng, runEmu, runNative, type CaseSpec, type Fill } from "./simd-harness.js";

const MXCSRS = [0x1f80, 0x1fa0, 0x9fff, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0x1fc0, 0x9fc0, 0xdfa0, 0x3fa0, 0x9fa0, 0x1fe2];

/** One binary32 operand biased to edge cases. */
function edge32(r: () => number): number {
  const mant = r() & 0x7fffff, sign = r() & 0x80000000;
  switch (r() % 9) {
    case 0: return [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0xff8fffff, 0x00000001,
      0x807fffff, 0x00800000, 0x80800000, 0x00c00000, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0x4f000000, 0xdf000000][r() % 18]!;
    case 1: return (sign | mant) >>> 0; // denormal
    case 2: return (sign | (((r() % 28) + 1) << 23) | mant) >>> 0; // tiny normal
    case 3: return (sign | ((227 + (r() % 28)) << 23) | mant) >>> 0; // huge
    case 4: // few significant bits (exact sums and products), or 11..14 (products at the edge of exactness)
      return r() & 1 ? (sign | ((127 + (r() % 8)) << 23) | (mant & 0x7f0000)) >>> 0 : (sign | ((120 + (r() % 16)) << 23) | (mant & ~((1 << (10 + (r() % 4))) - 1) & 0x7fffff)) >>> 0;
    case 5: { const f = new Float32Array([(r() % 200) - 100]); return new Uint32Array(f.buffer)[0]!; }
    default: return r() >>> 0;
  }
}

/** One binary64 operand [lo, hi]. */
function edge64(r: () => number): [number, number] {
  const mhi = r() & 0xfffff, lo = r() >>> 0, sign = r() & 0x80000000;
  switch (r() % 9) {
    case 0: return ([[0, 0], [0, 0x80000000], [0, 0x7ff00000], [0, 0xfff00000], [0, 0x7ff80000], [1, 0xfff80000], [1, 0x7ff00000],
      [0xffffffff, 0x7ff7ffff], [1, 0], [0xffffffff, 0x800fffff], [0, 0x00100000], [0, 0x80100000], [0, 0x00180000],
      [0xffffffff, 0x7fefffff], [0xffffffff, 0xffefffff], [0, 0x3ff00000], [0, 0x43e00000], [0, 0xc1e00000]] as [number, number][])[r() % 18]!;
    case 1: return [lo, (sign | mhi) >>> 0];
    case 2: return [lo, (sign | (((r() % 60) + 1) << 20) | mhi) >>> 0];
    case 3: return [lo, (sign | ((1988 + (r() % 59)) << 20) | mhi) >>> 0];
    case 4: // few significant bits, or 25..29 (products at the edge of exactness)
      return r() & 1 ? [0, (sign | ((1023 + (r() % 8)) << 20) | (mhi & 0xff000)) >>> 0] : [(lo & ~((1 << (24 + (r() % 5))) - 1)) >>> 0, (sign | ((1010 + (r() % 30)) << 20) | mhi) >>> 0];
    case 5: { const f = new Float64Array([(r() % 200) - 100]); const u = new Uint32Array(f.buffer); return [u[0]!, u[1]!]; }
    // Single-precision boundary values widened (CVTSD2SS under/overflow).
    case 6: return [lo & 0xe0000000, (sign | ((874 + (r() % 30)) << 20) | mhi) >>> 0];
    case 7: return [lo, (sign | ((1140 + (r() % 10)) << 20) | mhi) >>> 0];
    default: return [lo, r() >>> 0];
  }
}

/** Build cases with MXCSR values and edge operands in xmm0/xmm1/memory (bytes 0..47 of each case). */
function check(specs: Omit<CaseSpec, "mxcsr">[], reps: number, seed: number, mxcsrs = MXCSRS,
  gen: { e32: (r: () => number) => number; e64: (r: () => number) => [number, number] } = { e32: edge32, e64: edge64 }): void {
  const r = rng(seed * 7919);
  const all: CaseSpec[] = [];
  for (const s of specs) for (const mx of mxcsrs) all.push({ ...s, mxcsr: mx });
  const { body, data, names } = buildCases(all, reps, seed);
  const dv = new DataView(data.buffer);
  all.forEach((s, i) => {
    for (let rep = 0; rep < reps; rep++) {
      const base = (i * reps + rep) * 128;
      if (s.fill === "f32") for (let o = 0; o < 48; o += 4) dv.setUint32(base + o, gen.e32(r), true);
      else if (s.fill === "f64") for (let o = 0; o < 48; o += 8) { const [lo, hi] = gen.e64(r); dv.setUint32(base + o, lo, true); dv.setUint32(base + o + 4, hi, true); }
    }
  });
  const native = runNative(body, data);
  const emu = runEmu(body, data, 50_000_000);
  expect(emu.logs.filter((l) => l.includes("unimp") || l.includes("#UD"))).toEqual([]);
  expect(emu.exitCode).toBe(0x55);
  const bad = diffCases(names.map((n, k) => `${n} mxcsr=${all[Math.floor(k / reps)]!.mxcsr!.toString(16)}`), emu.out, native);
  expect(bad.slice(0, 16)).toEqual([]);
}

const forms = (ops: string[], fill: Fill, extra = ""): Omit<CaseSpec, "mxcsr">[] =>
  ops.flatMap((op) => [{ insn: `${op} xmm0, xmm1${extra}`, fill }, { insn: `${op} xmm0, IN${extra}`, fill }]);
const ARITH = ["add", "sub", "mul", "div", "sqrt"];

describe("SSE floating point honours MXCSR exactly (host CPU differential)", () => {
  it("single precision ADD/SUB/MUL/DIV/SQRT", () => check(forms(ARITH.flatMap((o) => [`${o}ps`, `${o}ss`]), "f32"), 6, 21));
  it("double precision ADD/SUB/MUL/DIV/SQRT", () => check(forms(ARITH.flatMap((o) => [`${o}pd`, `${o}sd`]), "f64"), 6, 22));
  it("sums and products at the edge of exactness with PE clear (the fast path's exactness checks)", () => {
    // Significands of 10..14 (single) / 24..29 (double) bits: products of some are exact, of others not.
    const e32 = (r: () => number): number =>
      ((r() & 0x80000000) | ((110 + (r() % 30)) << 23) | (r() & ~((1 << (10 + (r() % 5))) - 1) & 0x7fffff)) >>> 0;
    const e64 = (r: () => number): [number, number] =>
      [(r() & ~((1 << (24 + (r() % 6))) - 1)) >>> 0, ((r() & 0x80000000) | ((1000 + (r() % 40)) << 20) | (r() & 0xfffff)) >>> 0];
    const specs = [...forms(["mulps", "mulss", "addps", "subss", "divss", "sqrtps"], "f32"), ...forms(["mulpd", "mulsd", "addsd", "subpd", "divpd", "sqrtsd"], "f64"),
      // Exact quotients and roots: 6 / 3, 2.25 / 1.5, sqrt(2.25), sqrt(6.25), with PE clear.
      { insn: "mov eax, 0x40c00000\n movd xmm0, eax\n mov eax, 0x40400000\n movd xmm1, eax\n divss xmm0, xmm1\n sqrtss xmm1, xmm0", fill: "f32" as const },
      { insn: "mov rax, 0x4002000000000000\n movq xmm0, rax\n mov rax, 0x3ff8000000000000\n movq xmm1, rax\n divsd xmm0, xmm1\n sqrtpd xmm1, xmm0", fill: "f64" as const }];
    check(specs, 24, 27, [0x1f80, 0x1fa0], { e32, e64 });
  });
  it("exact results under every rounding mode (x - x is -0 rounding down)", () => {
    const specs = [{ insn: "subps xmm0, xmm0", fill: "f32" as const }, { insn: "subsd xmm1, xmm1", fill: "f64" as const },
      { insn: "movaps xmm1, xmm0\n xorps xmm1, IN\n addps xmm0, xmm1", fill: "f32" as const }, // lanes whose sign bit IN flips cancel
      ...forms(["addss", "mulss", "divps", "sqrtss"], "f32"), ...forms(["subsd", "mulpd", "divsd", "sqrtpd"], "f64")];
    const short32 = (r: () => number): number => ((r() & 0x80000000) | ((120 + (r() % 16)) << 23) | (r() & 0x7c0000)) >>> 0;
    const short64 = (r: () => number): [number, number] => [0, ((r() & 0x80000000) | ((1015 + (r() % 16)) << 20) | (r() & 0xf8000)) >>> 0];
    check(specs, 6, 29, [0x3f80, 0x5f80, 0x7f80, 0x3fa0, 0x5fa0, 0x7fa0, 0xffe0], { e32: short32, e64: short64 });
  });
  it("FTZ flushes tiny sums of normal operands (the fast path's FTZ check)", () => {
    // Normals of exponent 1..2 and random signs: their sums and differences are often denormal.
    const e32 = (r: () => number): number => ((r() & 0x80000000) | ((1 + (r() % 2)) << 23) | (r() & 0x7fffff)) >>> 0;
    const e64 = (r: () => number): [number, number] => [r() >>> 0, ((r() & 0x80000000) | ((1 + (r() % 2)) << 20) | (r() & 0xfffff)) >>> 0];
    const specs = [...forms(["addps", "subss", "haddps", "addsubps"], "f32"), ...forms(["addsd", "subpd", "hsubpd", "addsubpd"], "f64")];
    check(specs, 8, 28, [0x9fa0, 0x9fff, 0x1fa0, 0x9f80], { e32, e64 });
  });
  it("MIN/MAX, compares (quiet and signalling predicates), COMIS/UCOMIS", () => {
    const specs = [...forms(["minps", "maxss", "minss", "maxps"], "f32"), ...forms(["minpd", "maxsd", "minsd", "maxpd"], "f64"),
      ...forms(["comiss", "ucomiss"], "f32"), ...forms(["comisd", "ucomisd"], "f64")];
    for (let p = 0; p < 8; p++) specs.push({ insn: `cmpps xmm0, xmm1, ${p}`, fill: "f32" }, { insn: `cmpss xmm0, IN, ${p}`, fill: "f32" },
      { insn: `cmppd xmm0, IN, ${p}`, fill: "f64" }, { insn: `cmpsd xmm0, xmm1, ${p}`, fill: "f64" });
    check(specs, 3, 23);
  });
  it("ADDSUB, HADD/HSUB, DPPS/DPPD", () => {
    const specs = [...forms(["addsubps", "haddps", "hsubps"], "f32"), ...forms(["addsubpd", "haddpd", "hsubpd"], "f64"),
      { insn: "dpps xmm0, xmm1, 0xff", fill: "f32" as const }, { insn: "dpps xmm0, IN, 0x35", fill: "f32" as const },
      { insn: "dpps xmm0, xmm1, 0xa7", fill: "f32" as const }, { insn: "dppd xmm0, xmm1, 0x33", fill: "f64" as const },
      { insn: "dppd xmm0, IN, 0x12", fill: "f64" as const }];
    check(specs, 4, 24);
  });
  it("ROUND* (immediate and MXCSR modes, PE suppression)", () => {
    const specs: Omit<CaseSpec, "mxcsr">[] = [];
    for (const imm of [0, 1, 2, 3, 4, 8, 9, 12]) specs.push({ insn: `roundps xmm0, xmm1, ${imm}`, fill: "f32" }, { insn: `roundss xmm0, IN, ${imm}`, fill: "f32" },
      { insn: `roundpd xmm0, IN, ${imm}`, fill: "f64" }, { insn: `roundsd xmm0, xmm1, ${imm}`, fill: "f64" });
    check(specs, 3, 25);
  });
  it("conversions", () => {
    const f32 = ["cvtss2si eax, xmm1", "cvttss2si eax, xmm1", "cvtss2si rax, IN", "cvttss2si rax, xmm1", "cvtss2sd xmm0, xmm1",
      "cvtps2pd xmm0, IN", "cvtps2dq xmm0, xmm1", "cvttps2dq xmm0, IN", "cvtps2pi mm0, xmm1", "cvttps2pi mm0, IN"].map((insn) => ({ insn, fill: "f32" as const }));
    const f64 = ["cvtsd2si eax, xmm1", "cvttsd2si eax, IN", "cvtsd2si rax, xmm1", "cvttsd2si rax, xmm1", "cvtsd2ss xmm0, xmm1", "cvtsd2ss xmm0, IN",
      "cvtpd2ps xmm0, xmm1", "cvtpd2dq xmm0, IN", "cvttpd2dq xmm0, xmm1", "cvtpd2pi mm0, xmm1", "cvttpd2pi mm0, IN"].map((insn) => ({ insn, fill: "f64" as const }));
    const int = ["cvtsi2ss xmm0, eax", "cvtsi2ss xmm0, rax", "cvtsi2sd xmm0, eax", "cvtsi2sd xmm0, rax", "cvtsi2ss xmm0, dword IN",
      "cvtdq2ps xmm0, xmm1", "cvtdq2pd xmm0, xmm1", "cvtpi2ps xmm0, mm1", "cvtpi2pd xmm0, mm1"].map((insn) => ({ insn, fill: "int" as const }));
    check([...f32, ...f64, ...int], 4, 26);
  });
});

describe("RCP/RSQRT (approximations: vendor tables differ)", () => {
  it("match the host on special operands exactly, within 1.5 * 2^-12 elsewhere, and leave MXCSR alone", () => {
    const r = rng(31);
    const specials = [0x00000001, 0x807fffff, 0x00400000, 0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00001, 0x7f800001, 0xffc00000,
      0x7f7fffff, 0x7f000000, 0xff400000, 0xbf800000, 0xc0400000];
    const vals = [...specials];
    while (vals.length < 64) vals.push(((r() % 200 + 1) << 23) | (r() & 0x7fffff) | (r() & 0x80000000));
    const n = vals.length;
    const data = new Uint8Array(n * 12 + n);
    const dv = new DataView(data.buffer);
    vals.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
    const lines: string[] = [];
    for (let i = 0; i < n; i += 4) {
      lines.push(`movdqu xmm1, [rdi + ${i * 4}]`, "push 0", "ldmxcsr [rsp]", "pop rax", // flags clear, all unmasked: no exception may occur
        "rcpps xmm0, xmm1", `movdqu [rdi + ${n * 4 + i * 4}], xmm0`, "rsqrtss xmm2, xmm1", "rsqrtps xmm0, xmm1", `movdqu [rdi + ${2 * n * 4 + i * 4}], xmm0`,
        "push 0x1f80", "stmxcsr [rsp + 4]", "mov eax, [rsp + 4]", "ldmxcsr [rsp]", "pop rcx", `mov [rdi + ${3 * n * 4 + i}], al`);
    }
    const host = new DataView(runNative(lines.join("\n"), data).buffer);
    const emu = new DataView(runEmu(lines.join("\n"), data).out.buffer);
    const f = (d: DataView, o: number): number => d.getFloat32(o, true);
    const bad: string[] = [];
    for (let i = 0; i < n; i++) {
      for (const k of [1, 2]) {
        const o = k * n * 4 + i * 4, h = host.getUint32(o, true), e = emu.getUint32(o, true);
        const special = !isFinite(f(host, o)) || Math.abs(f(host, o)) < 2 ** -125 || f(host, o) === 0;
        const ok = special ? h === e : Math.abs(f(emu, o) - f(host, o)) <= 1.5 * 2 ** -12 * 2 * Math.abs(f(host, o));
        if (!ok) bad.push(`${k === 1 ? "rcp" : "rsqrt"}(${vals[i]!.toString(16)}): emu ${e.toString(16)} host ${h.toString(16)}`);
      }
      if (i % 4 === 0 && emu.getUint8(3 * n * 4 + i) !== host.getUint8(3 * n * 4 + i)) bad.push(`mxcsr after lanes ${i}..: emu ${emu.getUint8(3 * n * 4 + i)} host ${host.getUint8(3 * n * 4 + i)}`);
    }
    expect(bad).toEqual([]);
  });
});
