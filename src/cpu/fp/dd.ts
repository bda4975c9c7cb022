/**
 * Double-double helpers for the x87 transcendentals (trans80.ts): a value is hi + lo with
 * |lo| <= ulp(hi) / 2. The functions overwrite their argument with the result.
 */

export interface Dd { hi: number; lo: number }

const set = (d: Dd, v: number): void => { d.hi = v; d.lo = 0; };
const val = (d: Dd): number => d.hi + d.lo;

export function ddSin(d: Dd): void { set(d, Math.sin(val(d))); }
export function ddCos(d: Dd): void { set(d, Math.cos(val(d))); }
export function ddTan(d: Dd): void { set(d, Math.tan(val(d))); }
/** 2^x - 1. */
export function ddExp2m1(d: Dd): void { set(d, Math.expm1(val(d) * Math.LN2)); }
/** log2(d) + e for d in [1, 2). */
export function ddLog2(d: Dd, e: number): void { set(d, Math.log2(val(d)) + e); }
/** log2(1 + d). */
export function ddLog2p1(d: Dd): void { set(d, Math.log1p(val(d)) / Math.LN2); }
/** out = atan2(y, x). */
export function ddAtan2(y: Dd, x: Dd, out: Dd): void { set(out, Math.atan2(val(y), val(x))); }
