/**
 * Exact integer conversions between virtual nanoseconds and device clock ticks, shared by the
 * timer devices (PIT 1.193182 MHz, ACPI PM 3.579545 MHz, RTC 32.768 kHz, LAPIC bus, TSC).
 * All arguments are non-negative integers held in JS numbers. When the product fits in 2^53
 * the double arithmetic is exact; otherwise we fall back to BigInt (rare: only after days of
 * virtual time or for huge guest-written values), so reads between timer events are exact.
 */

const SAFE = Number.MAX_SAFE_INTEGER;

/** floor(a * b / c) for non-negative integers a, b and positive integer c. */
export function mulDivFloor(a: number, b: number, c: number): number {
  const p = a * b;
  if (p <= SAFE) {
    const q = Math.floor(p / c);
    // Correct a possible off-by-one of the rounded quotient.
    if (q * c > p) return q - 1;
    if ((q + 1) * c <= p) return q + 1;
    return q;
  }
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/** ceil(a * b / c) for non-negative integers a, b and positive integer c. */
export function mulDivCeil(a: number, b: number, c: number): number {
  const q = mulDivFloor(a, b, c);
  const p = a * b;
  if (p <= SAFE) return q * c === p ? q : q + 1;
  return BigInt(q) * BigInt(c) === BigInt(a) * BigInt(b) ? q : q + 1;
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
