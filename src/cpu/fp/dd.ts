/**
 * Double-double arithmetic for the x87 transcendentals (trans80.ts): a value is hi + lo with
 * |lo| <= ulp(hi) / 2, about 106 significant bits, enough to round a 64-bit result correctly
 * in nearly all cases. Series are evaluated on reduced arguments; the relative error of the
 * functions below is a few 2^-100. The public functions overwrite their argument.
 */

export interface Dd { hi: number; lo: number }
export type P = [number, number];

const SPLIT = 134217729; // 2^27 + 1
function twoSum(a: number, b: number): P { const s = a + b, bb = s - a; return [s, (a - (s - bb)) + (b - bb)]; }
export function quickTwoSum(a: number, b: number): P { const s = a + b; return [s, b - (s - a)]; }
function twoProd(a: number, b: number): P {
  const p = a * b;
  const ca = SPLIT * a, ah = ca - (ca - a), al = a - ah;
  const cb = SPLIT * b, bh = cb - (cb - b), bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}
export function add(a: P, b: P): P {
  const [s, e] = twoSum(a[0], b[0]);
  const [t, f] = twoSum(a[1], b[1]);
  const [s2, e2] = quickTwoSum(s, e + t);
  return quickTwoSum(s2, e2 + f);
}
export const sub = (a: P, b: P): P => add(a, neg(b));
export function mul(a: P, b: P): P {
  const [p, e] = twoProd(a[0], b[0]);
  return quickTwoSum(p, e + (a[0] * b[1] + a[1] * b[0]));
}
export function div(a: P, b: P): P {
  const q1 = a[0] / b[0];
  let r = sub(a, mul(b, [q1, 0]));
  const q2 = r[0] / b[0];
  r = sub(r, mul(b, [q2, 0]));
  const q3 = r[0] / b[0];
  return add(quickTwoSum(q1, q2), [q3, 0]);
}
export const mulD = (a: P, d: number): P => mul(a, [d, 0]);
export const neg = (a: P): P => [-a[0], -a[1]];

/** Constants as double-doubles. */
export const PI: P = [3.141592653589793, 1.2246467991473532e-16];
export const PI_2: P = [1.5707963267948966, 6.123233995736766e-17];
export const PI_4: P = [0.7853981633974483, 3.061616997868383e-17];
export const LN2: P = [0.6931471805599453, 2.3190468138462996e-17];

/** sin and cos of |r| <= pi/4 (Taylor series). */
function sinCosSmall(r: P): [P, P] {
  const r2 = mul(r, r);
  let s: P = [0, 0], c: P = [0, 0];
  // sum from the smallest term: sin = r (1 - r^2/(2*3) (1 - r^2/(4*5) (...)))
  for (let n = 27; n >= 1; n -= 2) s = add([1, 0], neg(div(mul(r2, s), [(n + 1) * (n + 2), 0])));
  s = mul(r, s);
  for (let n = 26; n >= 0; n -= 2) c = add([1, 0], neg(div(mul(r2, c), [(n + 1) * (n + 2), 0])));
  return [s, c];
}

/**
 * sin/cos/tan of a reduced argument r (|r| <= pi_hw/4) in quadrant q (x = r + q * pi_hw/2):
 * kind 0 sin, 1 cos, 2 tan.
 */
export function trigReduced(r: P, q: number, kind: number): P {
  const [s, c] = sinCosSmall(r);
  const quad = q & 3;
  if (kind === 2) return quad & 1 ? neg(div(c, s)) : div(s, c);
  const sinv = quad === 0 ? s : quad === 1 ? c : quad === 2 ? neg(s) : neg(c);
  const cosv = quad === 0 ? c : quad === 1 ? neg(s) : quad === 2 ? neg(c) : s;
  return kind === 0 ? sinv : cosv;
}

/** e^t - 1 for |t| <= 0.7 (Taylor series, no cancellation). */
function expm1(t: P): P {
  let s: P = [0, 0];
  for (let n = 30; n >= 1; n--) s = add([1, 0], div(mul(t, s), [n + 1, 0]));
  return mul(t, s);
}
/** 2^x - 1 (|x| <= 1). */
export function exp2m1(x: P): P { return expm1(mul(x, LN2)); }

/** ln(m) for m in [1, 2) as a double-double (m exact). */
function lnMant(m: P): [P, number] {
  let e = 0;
  if (m[0] > Math.SQRT2) { m = mulD(m, 0.5); e = 1; }
  const u = div(sub(m, [1, 0]), add(m, [1, 0]));
  return [atanhSeries(u), e];
}
/** log2(m) + e, m in [1, 2). */
export function log2(m: P, e: number): P {
  const [l, de] = lnMant(m);
  return add([e + de, 0], div(l, LN2));
}
/** log2(1 + x), |x| < 0.3. */
export function log2p1(x: P): P {
  const u = div(x, add([2, 0], x));
  return div(atanhSeries(u), LN2);
}
/** 2 atanh(u) with exact 1/n coefficients (divisions in double-double). */
function atanhSeries(u: P): P {
  const u2 = mul(u, u);
  let s: P = [0, 0];
  for (let n = 61; n >= 1; n -= 2) s = add(div([1, 0], [n, 0]), mul(u2, s));
  return mulD(mul(u, s), 2);
}

/** atan(z) for 0 <= z <= 1. */
function atanUnit(z: P): P {
  let base: P = [0, 0];
  if (z[0] > 0.41421356237309503) { base = PI_4; z = div(sub(z, [1, 0]), add(z, [1, 0])); }
  const z2 = mul(z, z);
  let s: P = [0, 0];
  for (let n = 81; n >= 1; n -= 2) s = sub(div([1, 0], [n, 0]), mul(z2, s));
  return add(base, mul(z, s));
}
/** atan2(y, x) for finite nonzero y, x (any signs). */
export function atan2(y: P, x: P): P {
  const ay: P = y[0] < 0 ? neg(y) : y, ax: P = x[0] < 0 ? neg(x) : x;
  let r: P;
  if (ay[0] <= ax[0]) r = atanUnit(div(ay, ax));
  else r = sub(PI_2, atanUnit(div(ax, ay)));
  if (x[0] < 0) r = sub(PI, r);
  return y[0] < 0 ? neg(r) : r;
}

export const dd = { add, sub, mul, div, twoProd };
