import { describe, expect, it } from "vitest";
import { F32, F64, FpEnv, Mx, binop, encode, roundPack, sqrt, type BinOp, type Bits } from "./sse-ieee.js";
import { Kind, SseOp, sseExec } from "./sse-exec.js";

const MASKED = 0x1f80;
const rcMx = (rc: number): number => MASKED | (rc << 13);
const f64 = (x: number): Bits => encode(F64, x);
const f32 = (x: number): Bits => encode(F32, x);
const dv = new DataView(new ArrayBuffer(8));
const asF64 = (b: Bits): number => { dv.setUint32(0, b.lo, true); dv.setUint32(4, b.hi, true); return dv.getFloat64(0, true); };
/** The next double above x (x finite). */
function nextUp(x: number): number {
  if (x === 0) return 2 ** -1074;
  dv.setFloat64(0, x, true);
  const lo = dv.getUint32(0, true), hi = dv.getUint32(4, true);
  const step = x > 0 ? 1 : -1;
  const nlo = (lo + step) >>> 0;
  const carry = x > 0 ? (nlo === 0 ? 1 : 0) : (lo === 0 ? -1 : 0);
  dv.setUint32(0, nlo, true); dv.setUint32(4, (hi + carry) >>> 0, true);
  return dv.getFloat64(0, true);
}
const asF32 = (b: Bits): number => { dv.setUint32(0, b.lo, true); return dv.getFloat32(0, true); };

/** xorshift random doubles spread over many binades. */
function rnd(seed: number): () => number {
  let s = seed;
  const u = (): number => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 2 ** 32; };
  return () => (u() < 0.5 ? -1 : 1) * (1 + u()) * 2 ** Math.floor((u() - 0.5) * 80);
}

const NATIVE: Record<BinOp, (a: number, b: number) => number> = { add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b };

describe("sse-ieee exact arithmetic", () => {
  it("round to nearest matches the host's IEEE double and single arithmetic", () => {
    const r = rnd(7);
    for (let i = 0; i < 4000; i++) {
      const a = r(), b = r();
      for (const op of ["add", "sub", "mul", "div"] as BinOp[]) {
        expect(asF64(binop(new FpEnv(MASKED), F64, op, f64(a), f64(b))!)).toBe(NATIVE[op](a, b));
        const a32 = Math.fround(a), b32 = Math.fround(b);
        expect(asF32(binop(new FpEnv(MASKED), F32, op, f32(a32), f32(b32))!)).toBe(Math.fround(NATIVE[op](a32, b32)));
      }
      expect(asF64(sqrt(new FpEnv(MASKED), F64, f64(Math.abs(a)))!)).toBe(Math.sqrt(Math.abs(a)));
    }
  });

  it("directed rounding brackets the exact result; PE exactly when inexact", () => {
    const r = rnd(11);
    for (let i = 0; i < 2000; i++) {
      const a = r(), b = r();
      for (const op of ["add", "mul", "div"] as BinOp[]) {
        const envs = [0, 1, 2, 3].map((rc) => new FpEnv(rcMx(rc)));
        const [near, down, up, zero] = envs.map((e) => asF64(binop(e, F64, op, f64(a), f64(b))!));
        const inexact = (envs[0]!.flags & Mx.PE) !== 0;
        for (const e of envs) expect(e.flags & Mx.PE).toBe(inexact ? Mx.PE : 0);
        expect(down! <= near! && near! <= up!).toBe(true);
        if (!inexact) expect([down, up, zero]).toEqual([near, near, near]);
        else {
          expect(up).toBe(nextUp(down!));
          expect(zero).toBe(near! > 0 ? down : up);
        }
      }
    }
  });

  it("exact sums and products raise nothing", () => {
    const env = new FpEnv(MASKED);
    expect(asF64(binop(env, F64, "add", f64(1.5), f64(2.25))!)).toBe(3.75);
    expect(asF32(binop(env, F32, "mul", f32(3), f32(0.5))!)).toBe(1.5);
    expect(env.flags).toBe(0);
  });

  it("masked overflow gives infinity or the largest finite per rounding mode (SDM table 4-10)", () => {
    const big = f32(2 ** 127);
    const res = [0, 1, 2, 3].map((rc) => { const e = new FpEnv(rcMx(rc)); return [binop(e, F32, "mul", big, f32(-4))!.lo, e.flags]; });
    expect(res).toEqual([[0xff800000, Mx.OE | Mx.PE], [0xff800000, Mx.OE | Mx.PE], [0xff7fffff, Mx.OE | Mx.PE], [0xff7fffff, Mx.OE | Mx.PE]]);
  });

  it("tininess is detected after rounding", () => {
    // (1 - 2^-26) * 2^-126 rounds to the smallest normal: not tiny to nearest (PE only), tiny toward zero.
    let e = new FpEnv(MASKED);
    expect(roundPack(e, F32, false, 1 - 2 ** -26, 0, -126)!.lo).toBe(0x00800000);
    expect(e.flags).toBe(Mx.PE);
    e = new FpEnv(rcMx(3));
    expect(roundPack(e, F32, false, 1 - 2 ** -26, 0, -126)!.lo).toBe(0x007fffff);
    expect(e.flags).toBe(Mx.UE | Mx.PE);
    // An exact subnormal result is not an underflow when UM is masked, and is one when unmasked.
    e = new FpEnv(MASKED);
    expect(roundPack(e, F64, true, 1, 0, -1030)).toEqual(f64(-(2 ** -1030)));
    expect(e.flags).toBe(0);
    e = new FpEnv(MASKED & ~(Mx.UE << 7));
    expect(roundPack(e, F64, true, 1, 0, -1030)).toBeNull();
    expect(e.flags).toBe(Mx.UE);
  });

  it("FTZ flushes tiny results to signed zero with UE and PE; DAZ reads denormals as zero without DE", () => {
    let e = new FpEnv(MASKED | Mx.FTZ);
    expect(binop(e, F64, "mul", f64(-(2 ** -600)), f64(2 ** -440))).toEqual(f64(-0));
    expect(e.flags).toBe(Mx.UE | Mx.PE);
    e = new FpEnv(MASKED | Mx.DAZ);
    expect(binop(e, F32, "add", { lo: 1, hi: 0 }, f32(1))).toEqual(f32(1));
    expect(e.flags).toBe(0);
    e = new FpEnv(MASKED);
    expect(binop(e, F32, "add", { lo: 1, hi: 0 }, f32(1))).toEqual(f32(1));
    expect(e.flags).toBe(Mx.DE | Mx.PE);
  });

  it("x86 NaN rules: first NaN operand quieted, SNaN raises IE, invalid operations give the default NaN", () => {
    let e = new FpEnv(MASKED);
    expect(binop(e, F32, "add", { lo: 0x7fc00001, hi: 0 }, { lo: 0xff800002, hi: 0 })).toEqual({ lo: 0x7fc00001, hi: 0 });
    expect(e.flags).toBe(Mx.IE);
    e = new FpEnv(MASKED);
    expect(binop(e, F64, "sub", f64(Infinity), f64(Infinity))).toEqual({ lo: 0, hi: 0xfff80000 });
    expect(e.flags).toBe(Mx.IE);
    e = new FpEnv(MASKED);
    expect(binop(e, F64, "div", f64(-1), f64(0))).toEqual(f64(-Infinity));
    expect(e.flags).toBe(Mx.ZE);
  });
});

describe("sse-exec precise exceptions", () => {
  const words = (xs: number[]): Uint32Array => new Uint32Array(new Float32Array(xs).buffer);
  it("an unmasked pre-computation exception sets only the pre-computation flags of every lane", () => {
    const out = new Uint32Array(4);
    const a = words([0, 1, 2 ** 127, 1]), b = words([Infinity, 0, 2 ** 127, 3]);
    const d = sseExec(MASKED & ~(Mx.ZE << 7), SseOp.DIV, Kind.PS, 0, a, b, out);
    expect(d.fault).toBe(true);
    expect(d.mxcsr & Mx.FLAGS).toBe(Mx.ZE);
    const m = sseExec(MASKED & ~(Mx.ZE << 7), SseOp.MUL, Kind.PS, 0, a, b, out);
    expect(m.mxcsr & Mx.FLAGS).toBe(Mx.IE | Mx.OE | Mx.PE);
    expect(m.fault).toBe(false);
  });
});
