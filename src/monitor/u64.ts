/**
 * 64-bit integers for the monitor's expressions and dumps, as two unsigned 32-bit halves
 * (the project uses no BigInt). Arithmetic wraps modulo 2^64 like QEMU's int64 expressions.
 * Nothing here is on a hot path: clarity over speed.
 */

import type { U64 } from "../memory/types.js";

export type { U64 };

const TWO32 = 4294967296;

export const u64 = (hi: number, lo: number): U64 => ({ hi: hi >>> 0, lo: lo >>> 0 });
export const ZERO: U64 = u64(0, 0);

/** A JS integer (negative = two's complement, e.g. canonical addresses) as a U64. */
export function fromNumber(v: number): U64 {
  const hi = Math.floor(v / TWO32);
  return u64(hi, v - hi * TWO32);
}

/** The value as a JS number: exact below 2^53; values with bit 63 set come out negative (canonical addresses). */
export function toNumber(v: U64): number {
  return (v.hi | 0) * TWO32 + v.lo;
}

export const isZero = (v: U64): boolean => v.hi === 0 && v.lo === 0;
export const isNegative = (v: U64): boolean => (v.hi & 0x80000000) !== 0;

export function add(a: U64, b: U64): U64 {
  const lo = a.lo + b.lo;
  return u64(a.hi + b.hi + (lo >= TWO32 ? 1 : 0), lo);
}
export const not = (a: U64): U64 => u64(~a.hi, ~a.lo);
export const neg = (a: U64): U64 => add(not(a), u64(0, 1));
export const sub = (a: U64, b: U64): U64 => add(a, neg(b));
export const and = (a: U64, b: U64): U64 => u64(a.hi & b.hi, a.lo & b.lo);
export const or = (a: U64, b: U64): U64 => u64(a.hi | b.hi, a.lo | b.lo);
export const xor = (a: U64, b: U64): U64 => u64(a.hi ^ b.hi, a.lo ^ b.lo);

export function shl(a: U64, n: number): U64 {
  n &= 63;
  if (n === 0) return a;
  if (n >= 32) return u64(a.lo << (n - 32), 0);
  return u64((a.hi << n) | (a.lo >>> (32 - n)), a.lo << n);
}
/** Logical right shift. */
export function shr(a: U64, n: number): U64 {
  n &= 63;
  if (n === 0) return a;
  if (n >= 32) return u64(0, a.hi >>> (n - 32));
  return u64(a.hi >>> n, (a.lo >>> n) | (a.hi << (32 - n)));
}

export function mul(a: U64, b: U64): U64 {
  // 16-bit limbs keep every partial product exact in a double.
  const al = [a.lo & 0xffff, a.lo >>> 16, a.hi & 0xffff, a.hi >>> 16];
  const bl = [b.lo & 0xffff, b.lo >>> 16, b.hi & 0xffff, b.hi >>> 16];
  const r = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    let carry = 0;
    for (let j = 0; i + j < 4; j++) {
      const t = r[i + j]! + al[i]! * bl[j]! + carry;
      r[i + j] = t % 65536;
      carry = Math.floor(t / 65536);
    }
  }
  return u64(r[2]! | (r[3]! << 16), r[0]! | (r[1]! << 16));
}

export const ltU = (a: U64, b: U64): boolean => a.hi < b.hi || (a.hi === b.hi && a.lo < b.lo);

/** Unsigned division; undefined for a zero divisor. */
export function divmodU(a: U64, b: U64): { q: U64; r: U64 } | undefined {
  if (isZero(b)) return undefined;
  let q = ZERO, r = ZERO;
  for (let i = 63; i >= 0; i--) {
    r = or(shl(r, 1), u64(0, i >= 32 ? (a.hi >>> (i - 32)) & 1 : (a.lo >>> i) & 1));
    if (!ltU(r, b)) {
      r = sub(r, b);
      q = or(q, i >= 32 ? u64(1 << (i - 32), 0) : u64(0, 1 << i));
    }
  }
  return { q, r };
}

/** Signed division truncating toward zero (C semantics); undefined for a zero divisor. */
export function divmodS(a: U64, b: U64): { q: U64; r: U64 } | undefined {
  const na = isNegative(a), nb = isNegative(b);
  const d = divmodU(na ? neg(a) : a, nb ? neg(b) : b);
  if (!d) return undefined;
  return { q: na !== nb ? neg(d.q) : d.q, r: na ? neg(d.r) : d.r };
}

/** Truncate to `bytes` (1, 2, 4, 8) and optionally sign-extend back to 64 bits. */
export function truncate(a: U64, bytes: number, signed = false): U64 {
  if (bytes >= 8) return a;
  const bits = bytes * 8;
  const lo = bits === 32 ? a.lo : a.lo & ((1 << bits) - 1);
  if (!signed || !(lo & (1 << (bits - 1)) || (bits === 32 && lo >= 0x80000000))) return u64(0, lo);
  return u64(0xffffffff, bits === 32 ? lo : lo | (~0 << bits));
}

/** Digits in `radix` (2..36) of the unsigned value. */
export function toStringU(a: U64, radix: number): string {
  if (a.hi === 0) return a.lo.toString(radix);
  if (radix === 16) return a.hi.toString(16) + a.lo.toString(16).padStart(8, "0");
  let s = "";
  let v = a;
  const r = u64(0, radix);
  while (!isZero(v)) {
    const d = divmodU(v, r)!;
    s = d.r.lo.toString(radix) + s;
    v = d.q;
  }
  return s;
}

export const toStringS = (a: U64): string => (isNegative(a) ? `-${toStringU(neg(a), 10)}` : toStringU(a, 10));

/** Parse digits in `radix`; undefined if a digit is invalid. Overflow wraps (as strtoull would saturate; rare in practice). */
export function parseU(digits: string, radix: number): U64 | undefined {
  if (digits.length === 0) return undefined;
  let v = ZERO;
  const r = u64(0, radix);
  for (const ch of digits.toLowerCase()) {
    const d = parseInt(ch, radix);
    if (Number.isNaN(d)) return undefined;
    v = add(mul(v, r), u64(0, d));
  }
  return v;
}

/** Zero-padded lower-case hex of the low `bytes` bytes (QEMU's %016lx and friends). */
export function hexPad(a: U64, bytes: number): string {
  return toStringU(truncate(a, bytes), 16).padStart(bytes * 2, "0");
}
