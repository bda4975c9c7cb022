import { describe, expect, it } from "vitest";
import { f80Tag, f80ToNumber, numberToF80, scale2 } from "./fpu-state.js";

const img = (x: number): number[] => { const o = [0, 0, 0]; numberToF80(x, o); return [o[0]! >>> 0, o[1]! >>> 0, o[2]!]; };

describe("80-bit extended images", () => {
  it("encodes doubles exactly (SDM vol 1 4.2.2 table 4-3)", () => {
    expect(img(1)).toEqual([0, 0x80000000, 0x3fff]);
    expect(img(-2)).toEqual([0, 0x80000000, 0xc000]);
    expect(img(0)).toEqual([0, 0, 0]);
    expect(img(-0)).toEqual([0, 0, 0x8000]);
    expect(img(Infinity)).toEqual([0, 0x80000000, 0x7fff]);
    expect(img(5e-324)).toEqual([0, 0x80000000, 16383 - 1074]); // a double denormal is normal in extended
    expect(img(Math.PI)).toEqual([0x2168c000, 0xc90fdaa2, 0x4000]);
  });
  it("round-trips every kind of double", () => {
    const xs = [1, -1, 0.1, 1e308, -1e-308, 5e-324, 2.2250738585072014e-308, 123456789.125, Number.MAX_VALUE, -Infinity, 2 ** 63, -(2 ** -1060)];
    for (const x of xs) { const [lo, hi, se] = img(x); expect(f80ToNumber(lo!, hi!, se!)).toBe(x); }
    const [lo, hi, se] = img(-0);
    expect(Object.is(f80ToNumber(lo!, hi!, se!), -0)).toBe(true);
  });
  it("decodes NaNs, values beyond the double range, and tags", () => {
    expect(f80ToNumber(0, 0xc0000000 | 0, 0xffff)).toBeNaN();
    expect(f80ToNumber(0, 0x80000000 | 0, 0x7ffe)).toBe(Infinity); // 2^16383 overflows a double
    expect(f80ToNumber(0, 0x80000000 | 0, 1)).toBe(0); // 2^-16382 underflows
    expect(f80ToNumber(1, 0, 0x3fff + 63)).toBe(1); // unnormal: value = significand * 2^(e-63)
    expect([f80Tag(0, 0, 0), f80Tag(0, 0x80000000 | 0, 0x3fff), f80Tag(0, 0, 0x7fff), f80Tag(1, 0, 0)]).toEqual([1, 0, 2, 2]);
    expect(scale2(1, -1074)).toBe(5e-324);
    expect(scale2(1.5, 1030)).toBe(Infinity);
  });
});
