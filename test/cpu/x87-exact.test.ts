/**
 * The x87 helpers against the host FPU, operation by operation (x87-oracle.ts): random and
 * edge-case 80-bit operands (zeros, denormals, pseudo-denormals, unnormals, infinities,
 * pseudo-infinities, QNaN/SNaN, huge and tiny exponents, values on rounding boundaries) under
 * every precision control x rounding control, with all exceptions masked and with some
 * unmasked. The arithmetic results and the full status word (exceptions, C0-C3, TOP, ES, B)
 * must match bit for bit; the transcendentals within a tolerance in 80-bit ulps.
 */
import { describe, expect, it } from "vitest";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { FpuOff } from "../../src/cpu/fpu-state.js";
import { FFmt, X87 } from "../../src/cpu/x87-fpu.js";
import { FArith, F_MEM, X87Op, x87Arith, x87Com, x87Ld, x87LdSt, x87Misc, x87Pop, x87St } from "../../src/cpu/x87-ops.js";
import { OP, runOracle, type OpName, type OracleCase, type OracleOut } from "./x87-oracle.js";
import { rng } from "./simd-harness.js";

const t = createTestCpu(1 << 20);
const cpu = t.cpu, st = cpu.state;
const f = new X87(st);

function setReg(i: number, b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset);
  f.setImage(i, dv.getInt32(0, true), dv.getInt32(4, true), dv.getUint16(8, true));
}
function regBytes(i: number): Uint8Array {
  const out = new Uint8Array(10), dv = new DataView(out.buffer);
  if (f.isEmpty(i)) { dv.setUint32(4, 0xc0000000, true); dv.setUint16(8, 0xffff, true); return out; }
  const m = f.image(i);
  dv.setInt32(0, m[0]!, true); dv.setInt32(4, m[1]!, true); dv.setUint16(8, m[2]!, true);
  return out;
}
const scratch = (n: number): Uint8Array => new Uint8Array(st.dv.buffer, st.dv.byteOffset + FpuOff.SCRATCH, n).slice();
const setScratch = (b: Uint8Array): void => { for (let i = 0; i < 10; i++) st.dv.setUint8(FpuOff.SCRATCH + i, b[i]!); };

const ARITH: Partial<Record<OpName, FArith>> = { fadd: FArith.ADD, fsub: FArith.SUB, fmul: FArith.MUL, fdiv: FArith.DIV, fdivr: FArith.DIVR, fsubr: FArith.SUBR };
const MISC: Partial<Record<OpName, X87Op>> = {
  fsqrt: X87Op.SQRT, frndint: X87Op.RNDINT, fscale: X87Op.SCALE, fprem: X87Op.PREM, fprem1: X87Op.PREM1, fxtract: X87Op.XTRACT,
  fsin: X87Op.SIN, fcos: X87Op.COS, fptan: X87Op.PTAN, fpatan: X87Op.PATAN, f2xm1: X87Op.F2XM1, fyl2x: X87Op.YL2X, fyl2xp1: X87Op.YL2XP1, fsincos: X87Op.SINCOS,
};
const STORE: Partial<Record<OpName, [FFmt, number, boolean, number, boolean]>> = { // fmt, bytes, push a copy first, truncate, pop
  "fst m32": [FFmt.F32, 4, false, 0, false], "fst m64": [FFmt.F64, 8, false, 0, false], "fist m16": [FFmt.I16, 2, false, 0, false],
  "fist m32": [FFmt.I32, 4, false, 0, false], "fistp m64": [FFmt.I64, 8, true, 0, true], "fisttp m64": [FFmt.I64, 8, true, 1, true],
  fbstp: [FFmt.BCD, 10, true, 0, true], "fisttp m16": [FFmt.I16, 2, false, 1, true],
};
const LOAD: Partial<Record<OpName, FFmt>> = { "fld m32": FFmt.F32, "fld m64": FFmt.F64, fbld: FFmt.BCD };
const MEMARITH: Partial<Record<OpName, [FArith, FFmt]>> = {
  "fadd m32": [FArith.ADD, FFmt.F32], "fadd m64": [FArith.ADD, FFmt.F64], "fimul m16": [FArith.MUL, FFmt.I16], "fidiv m32": [FArith.DIV, FFmt.I32],
};

/** Run one case on the emulator's helpers, as the oracle program does on the host. */
function emulate(c: OracleCase): OracleOut {
  const name = OP[c.op]!;
  f.init();
  st.set32(FpuOff.FCW, c.cw);
  f.top = f.top - 1; setReg(0, c.b);
  let mem = new Uint8Array(10);
  if (LOAD[name] !== undefined || MEMARITH[name]) {
    setScratch(c.a);
    mem = c.a.slice();
    if (LOAD[name] !== undefined) x87Ld.impl(cpu, LOAD[name]);
    else { const [k, fmt] = MEMARITH[name]!; x87Arith.impl(cpu, k | (fmt << 4), 0, F_MEM); }
  } else {
    f.top = f.top - 1; setReg(0, c.a);
    if (ARITH[name] !== undefined) x87Arith.impl(cpu, ARITH[name], 0, 1);
    else if (MISC[name] !== undefined) x87Misc.impl(cpu, MISC[name], 0);
    else if (name === "fcom" || name === "fucom") x87Com.impl(cpu, name === "fucom" ? 1 : 0, 1);
    else {
      const [fmt, n, copy, trunc, pop] = STORE[name]!;
      if (copy) x87LdSt.impl(cpu, 0);
      if (x87St.impl(cpu, fmt, trunc) === 0) {
        mem = new Uint8Array(10); mem.set(scratch(n));
        if (pop) x87Pop.impl(cpu);
      }
    }
  }
  const sw = f.statusWord();
  f.fsw = f.fsw & ~0x80ff;
  st.set32(FpuOff.FCW, 0x37f);
  const r0 = regBytes(0); f.pop();
  const r1 = regBytes(0);
  return { sw, r0, r1, mem };
}

// ---- operand generation ----
function img(lo: number, hi: number, se: number): Uint8Array {
  const b = new Uint8Array(10), dv = new DataView(b.buffer);
  dv.setUint32(0, lo >>> 0, true); dv.setUint32(4, hi >>> 0, true); dv.setUint16(8, se, true);
  return b;
}
const SPECIAL = [
  img(0, 0, 0), img(0, 0, 0x8000), img(0, 0x80000000, 0x3fff), img(0, 0x80000000, 0xbfff), img(0, 0x80000000, 0x7fff), img(0, 0x80000000, 0xffff),
  img(0, 0xc0000000, 0xffff), img(1, 0xc0000000, 0x7fff), img(1, 0x80000000, 0x7fff), img(0, 0xa0000000, 0xffff), // QNaN, SNaN
  img(1, 0, 0), img(0xffffffff, 0x7fffffff, 0x8000), img(0, 0x80000000, 0), // denormals, pseudo-denormal
  img(0, 0x40000000, 0x3fff), img(0, 0, 0x7fff), img(0, 0x40000000, 0x7fff), // unnormal, pseudo-infinity, pseudo-NaN
  img(0xffffffff, 0xffffffff, 0x7ffe), img(0, 0x80000000, 1), img(0xffffffff, 0xffffffff, 0x3ffe), img(0x800, 0x80000000, 0x3fff),
  img(0x400, 0x80000000, 0x3fff), img(0x80, 0x80000000, 0x3fff), img(0xffffffff, 0xffffffff, 0x4040),
];
function operand(r: () => number, focus: number): Uint8Array {
  const k = r() % 16;
  if (k < 3) return SPECIAL[r() % SPECIAL.length]!;
  const lo = r(), hi = r() | 0x80000000;
  let exp: number;
  if (k < 9) exp = 0x3fff + (r() % 80) - 40; // ordinary magnitudes
  else if (k < 11) exp = 0x3fff + (r() % 140) - 70 + focus;
  else if (k < 13) exp = r() % 2 ? (r() % 70) : 0x7fff - 1 - (r() % 70); // near the exponent limits
  else if (k < 14) exp = 0x3c01 + (r() % 8) - 4; // near the double denormal boundary
  else exp = 0x3fff + (r() % 130) - 65;
  const sign = r() % 2 ? 0x8000 : 0;
  // significands with long runs of 1s or 0s at the rounding points (24, 53, 64 bits)
  let l = lo, h = hi;
  const m = r() % 5;
  if (m === 1) { l = 0xffffffff; h = hi | 0xff; }
  else if (m === 2) { l = 0x80000000 | (lo & 0xff); h = hi & ~0xff; }
  else if (m === 3) { l = lo & 0xfffff000; h = (hi & 0xffffff00) | 0x80; }
  return img(l, h, sign | exp);
}
function intBytes(r: () => number): Uint8Array {
  const b = new Uint8Array(10), dv = new DataView(b.buffer);
  dv.setUint32(0, r() % 3 ? r() % 2001 - 1000 : r(), true);
  return b;
}
function bcdBytes(r: () => number): Uint8Array {
  const b = new Uint8Array(10);
  for (let i = 0; i < 9; i++) b[i] = (r() % 10) | ((r() % 10) << 4);
  b[9] = r() % 2 ? 0x80 : 0;
  return b;
}

const CWS: number[] = [];
for (const pc of [0, 2, 3]) for (const rc of [0, 1, 2, 3]) CWS.push(0x37f & ~0x300 | (pc << 8) | (rc << 10));

const hex = (a: Uint8Array): string => [...a].reverse().map((x) => x.toString(16).padStart(2, "0")).join("");

/** In-domain operands for the transcendentals: [a = ST(0), b = ST(1)]. */
function transOperands(name: OpName, r: () => number): [Uint8Array, Uint8Array] {
  const sign = (): number => (r() % 2 ? 0x8000 : 0);
  const rnd = (exp: number, sg = sign()): Uint8Array => img(r(), r() | 0x80000000, sg | exp);
  if (r() % 10 === 0) return [operand(r, 0), operand(r, 0)];
  switch (name) {
    case "f2xm1": return [r() % 20 === 0 ? img(0, 0x80000000, 0x3fff | sign()) : rnd(0x3ffe - (r() % (r() % 4 ? 20 : 90))), rnd(0x3fff)];
    case "fyl2x": return [rnd(0x3fff + (r() % 200) - 100, 0), rnd(0x3fff + (r() % 40) - 20)];
    case "fyl2xp1": return [rnd(0x3ffd - (r() % (r() % 4 ? 20 : 90))), rnd(0x3fff + (r() % 40) - 20)];
    case "fpatan": return [rnd(0x3fff + (r() % 80) - 40), rnd(0x3fff + (r() % 80) - 40)];
    default: return [rnd(0x3fff + (r() % 4 ? (r() % 24) - 12 : (r() % 100) - 37)), img(0, 0x80000000, 0x3fff)];
  }
}

function diff(names: readonly OpName[], n: number, seed: number,
  opts: { unmask?: boolean; swMask?: number; ulps?: number; gen?: (r: () => number) => [Uint8Array, Uint8Array] } = {}): string[] {
  const r = rng(seed);
  const cases: OracleCase[] = [];
  for (const name of names) {
    const op = OP.indexOf(name);
    for (let i = 0; i < n * SCALE; i++) {
      let cw = CWS[i % CWS.length]!;
      if (opts.unmask) cw &= ~(1 << (r() % 6)) & ~(r() % 4 === 0 ? 0x3f : 0);
      const focus = r() % 2 ? 0 : 60;
      let a = operand(r, focus);
      let b = operand(r, 0);
      if (opts.ulps !== undefined) [a, b] = transOperands(name, r);
      if (opts.gen) [a, b] = opts.gen(r);
      if (name === "fld m32" || name === "fadd m32") { a = new Uint8Array(10); new DataView(a.buffer).setUint32(0, i % 7 === 0 ? [0x7f800001, 0x00000123, 0x807fffff, 0xffc00000][i % 4]! : r(), true); }
      if (name === "fld m64" || name === "fadd m64") { a = new Uint8Array(10); const dv = new DataView(a.buffer); dv.setUint32(0, r(), true); dv.setUint32(4, i % 7 === 0 ? [0x7ff00000, 0x00000123, 0x800fffff, 0xfff80000][i % 4]! : r(), true); }
      if (name === "fimul m16" || name === "fidiv m32") a = intBytes(r);
      if (name === "fbld") a = bcdBytes(r);
      cases.push({ op, cw, a, b });
    }
  }
  const host = runOracle(cases);
  const bad: string[] = [];
  cases.forEach((c, i) => {
    const e = emulate(c), h = host[i]!;
    const swMask = opts.swMask ?? 0xffff;
    const name = OP[c.op]!;
    const same = (x: Uint8Array, y: Uint8Array): boolean => hex(x) === hex(y) || (opts.ulps !== undefined && ulpDist(x, y) <= opts.ulps);
    if ((e.sw & swMask) !== (h.sw & swMask) || !same(e.r0, h.r0) || !same(e.r1, h.r1) || hex(e.mem) !== hex(h.mem))
      bad.push(`${name} cw=${c.cw.toString(16)} a=${hex(c.a)} b=${hex(c.b)}: emu sw=${e.sw.toString(16)} r0=${hex(e.r0)} r1=${hex(e.r1)} mem=${hex(e.mem)} | host sw=${h.sw.toString(16)} r0=${hex(h.r0)} r1=${hex(h.r1)} mem=${hex(h.mem)}`);
  });
  return bad;
}

/** Distance in units of the last place between two finite 80-bit images of the same sign (Infinity otherwise). */
export function ulpDist(x: Uint8Array, y: Uint8Array): number {
  const dx = new DataView(x.buffer, x.byteOffset), dy = new DataView(y.buffer, y.byteOffset);
  const sx = dx.getUint16(8, true), sy = dy.getUint16(8, true);
  if ((sx & 0x8000) !== (sy & 0x8000) || (sx & 0x7fff) === 0x7fff || (sy & 0x7fff) === 0x7fff) return Infinity;
  // ordinal = exponent * 2^63 + significand without J; differences by parts stay exact when small
  const de = (sx & 0x7fff) - (sy & 0x7fff);
  const dh = (dx.getUint32(4, true) & 0x7fffffff) - (dy.getUint32(4, true) & 0x7fffffff) + de * 2 ** 31;
  const dl = dx.getUint32(0, true) - dy.getUint32(0, true);
  return Math.abs(dh * 4294967296 + dl);
}

/** Tolerance of the transcendentals, in units of the last place of the 64-bit significand. */
const TRANS_ULPS = 1;
const SCALE = Number(process.env.X87_SCALE ?? 1);
const show = (b: string[]): string[] => b.slice(0, 10);
const ARITH_OPS: OpName[] = ["fadd", "fsub", "fmul", "fdiv", "fdivr", "fsubr", "fsqrt"];

describe("x87 exact arithmetic against the host FPU (every PC x RC)", () => {
  it("FADD/FSUB/FMUL/FDIV/FDIVR/FSUBR/FSQRT, masked exceptions", () => expect(show(diff(ARITH_OPS, 1200, 1))).toEqual([]));
  it("the same with unmasked exceptions (destination unchanged, ES/B, re-biased OE/UE results)", () => expect(show(diff(ARITH_OPS, 600, 2, { unmask: true }))).toEqual([]));
  it("FRNDINT, FSCALE, FXTRACT, FPREM, FPREM1", () => expect(show(diff(["frndint", "fscale", "fxtract", "fprem", "fprem1"], 800, 3))).toEqual([]));
  it("FPREM/FPREM1 partial remainders (exponent differences of 50..300: C2 and the hardware's reduction step)", () => {
    const far = (r: () => number): [Uint8Array, Uint8Array] => {
      const eb = 0x3fff + (r() % 200) - 100, ea = eb + 50 + (r() % 250);
      return [img(r(), r() | 0x80000000, ea | (r() % 2 ? 0x8000 : 0)), img(r(), r() | 0x80000000, eb | (r() % 2 ? 0x8000 : 0))];
    };
    expect(show(diff(["fprem", "fprem1"], 600, 11, { gen: far }))).toEqual([]);
  });
  it("stores to m32/m64/m16/m32/m64 integers and BCD, FISTTP", () =>
    expect(show(diff(["fst m32", "fst m64", "fist m16", "fist m32", "fistp m64", "fisttp m64", "fisttp m16", "fbstp"], 800, 4))).toEqual([]));
  it("stores with unmasked exceptions leave memory alone", () =>
    expect(show(diff(["fst m32", "fst m64", "fist m32", "fistp m64", "fbstp"], 400, 5, { unmask: true }))).toEqual([]));
  it("loads and memory-operand arithmetic (m32, m64, m16/m32 integers, BCD)", () =>
    expect(show(diff(["fld m32", "fld m64", "fbld", "fadd m32", "fadd m64", "fimul m16", "fidiv m32"], 600, 6))).toEqual([]));
  it("FCOM/FUCOM condition codes and IE", () => expect(show(diff(["fcom", "fucom"], 800, 7))).toEqual([]));
  it("the other operations with unmasked exceptions", () =>
    expect(show(diff(["frndint", "fscale", "fxtract", "fprem", "fprem1", "fcom", "fucom", "fld m32", "fld m64", "fadd m32", "fidiv m32"], 300, 9, { unmask: true }))).toEqual([]));
});

describe("x87 transcendentals against the host FPU", () => {
  const TRANS: OpName[] = ["fsin", "fcos", "fsincos", "fptan", "f2xm1", "fyl2x", "fyl2xp1", "fpatan"];
  it(`within ${TRANS_ULPS} ulp of the 80-bit host result, same status word but C1`, () =>
    expect(show(diff(TRANS, 400, 8, { ulps: TRANS_ULPS, swMask: 0xfdff }))).toEqual([]));
  it("near multiples of pi/2 (the 66-bit pi reduction; results like sin(pi) ~ 2^-64)", () => {
    const nearPi = (r: () => number): [Uint8Array, Uint8Array] => {
      const n = (r() % 63) - 1, d = (r() % 9) - 4; // pi * 2^n (a multiple of pi/2) plus a few ulps
      return [img((0x2168c235 + d) >>> 0, 0xc90fdaa2, (0x4000 + n) | (r() % 2 ? 0x8000 : 0)), img(0, 0x80000000, 0x3fff)];
    };
    expect(show(diff(["fsin", "fcos", "fsincos", "fptan"], 150, 12, { ulps: TRANS_ULPS, swMask: 0xfdff, gen: nearPi }))).toEqual([]);
  });
  it("with unmasked exceptions", () => expect(show(diff(TRANS, 150, 10, { ulps: TRANS_ULPS, swMask: 0xfdff, unmask: true }))).toEqual([]));
});
