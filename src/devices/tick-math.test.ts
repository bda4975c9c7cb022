import { describe, expect, it } from "vitest";
import { joinU64, mulDivCeil, mulDivFloor, nsAtTicks, splitU64, ticksAt } from "./tick-math.js";

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe("tick-math", () => {
  it("mulDivFloor and mulDivCeil agree with BigInt arithmetic over the device frequency range", () => {
    const r = rng(7);
    const hzs = [1_193_182, 3_579_545, 32768, 1e9, 16e9, 100_000_000, 2_345_678_901];
    const bad: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const a = Math.floor(r() * 2 ** (r() * 53));
      const b = hzs[i % hzs.length]!;
      const c = i % 3 === 0 ? 1e9 : i % 3 === 1 ? 16e9 : 1_193_182;
      const p = BigInt(a) * BigInt(b);
      const floor = Number(p / BigInt(c));
      const ceil = Number((p + BigInt(c) - 1n) / BigInt(c));
      if (floor > Number.MAX_SAFE_INTEGER) continue;
      if (mulDivFloor(a, b, c) !== floor || mulDivCeil(a, b, c) !== ceil) bad.push(`${a}*${b}/${c}`);
    }
    expect(bad).toEqual([]);
  });

  it("ticksAt and nsAtTicks are inverse at tick boundaries", () => {
    for (const t of [0, 1, 1193181, 1193182, 123456789012, 2 ** 40 + 3]) {
      const ns = nsAtTicks(t, 1_193_182);
      expect(ticksAt(ns, 1_193_182)).toBe(t);
      expect(ticksAt(ns - 1, 1_193_182)).toBe(t - 1 < 0 ? 0 : t - 1);
    }
  });

  it("splits and joins 64-bit values", () => {
    expect(splitU64(2 ** 40 + 5)).toEqual({ lo: 5, hi: 256 });
    expect(joinU64(0xffffffff, 1)).toBe(2 ** 33 - 1);
  });
});
