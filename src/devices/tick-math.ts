/**
 * Exact integer conversions between virtual nanoseconds and device clock ticks, shared by the
 * timer devices (PIT 1.193182 MHz, ACPI PM 3.579545 MHz, RTC 32.768 kHz, LAPIC bus, TSC).
 * All arguments are non-negative integers held in JS numbers. When the product fits in 2^53
 * the double arithmetic is exact; otherwise we fall back to BigInt (rare: only after days of
 * virtual time or for huge guest-written values), so reads between timer events are exact.
 */

const SAFE = Number.MAX_SAFE_INTEGER;

/** floor(p / c) for a non-negative integer p <= 2^53 and a positive integer c, exactly. */
function floorDiv(p: number, c: number): number {
  const q = Math.floor(p / c);
  // The rounded quotient may be one off; correct it.
  if (q * c > p) return q - 1;
  if ((q + 1) * c <= p) return q + 1;
  return q;
}

/** floor(a * b / c) for non-negative integers a, b and positive integer c. */
export function mulDivFloor(a: number, b: number, c: number): number {
  const p = a * b;
  if (p <= SAFE) return floorDiv(p, c);
  // Common shapes without BigInt: c a multiple of b (e.g. APIC bus at 1 GHz / divider), or
  // a split into whole and partial multiples of c (e.g. ns -> PIT ticks after seconds of uptime).
  if (c % b === 0) return floorDiv(a, c / b);
  const q = floorDiv(a, c);
  const r = a - q * c;
  const hiPart = q * b;
  const rb = r * b;
  if (hiPart <= SAFE && rb <= SAFE) return hiPart + floorDiv(rb, c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/** ceil(a * b / c) for non-negative integers a, b and positive integer c. */
export function mulDivCeil(a: number, b: number, c: number): number {
  // ceil(x / c) = floor((x + c - 1) / c), with x = a*b: split a as in mulDivFloor.
  const q = floorDiv(a, c);
  const r = a - q * c;
  const hiPart = q * b;
  const rb = r * b;
  if (hiPart <= SAFE && rb + c <= SAFE) return hiPart + floorDiv(rb + c - 1, c);
  const big = BigInt(a) * BigInt(b);
  const bc = BigInt(c);
  return Number((big + bc - 1n) / bc);
}

export const NS_PER_SEC = 1_000_000_000;

/** Number of whole ticks of a `hz` clock elapsed at virtual time `ns` (ns is floored first). */
export function ticksAt(ns: number, hz: number): number {
  return mulDivFloor(Math.max(0, Math.floor(ns)), hz, NS_PER_SEC);
}

/** Earliest virtual time (integer ns) at which the `hz` clock has counted `ticks` ticks. */
export function nsAtTicks(ticks: number, hz: number): number {
  return mulDivCeil(Math.max(0, ticks), NS_PER_SEC, hz);
}

/** Split a non-negative integer below 2^64 held as a number into 32-bit halves. */
export function splitU64(v: number): { lo: number; hi: number } {
  const hi = Math.floor(v / 0x1_0000_0000);
  return { lo: (v - hi * 0x1_0000_0000) >>> 0, hi: hi >>> 0 };
}

/** Join 32-bit halves into a number (exact below 2^53). */
export function joinU64(lo: number, hi: number): number {
  return (hi >>> 0) * 0x1_0000_0000 + (lo >>> 0);
}
