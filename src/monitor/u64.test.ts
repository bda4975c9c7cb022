/** 64-bit arithmetic on (hi, lo) halves: the edge cases the monitor's expressions rely on. */
import { describe, expect, it } from "vitest";
import * as U from "./u64.js";

const h = (v: U.U64): string => U.toStringU(v, 16);

describe("u64", () => {
  it("adds, subtracts and multiplies with carries and wrap-around", () => {
    expect(h(U.add(U.u64(0, 0xffffffff), U.u64(0, 1)))).toBe("100000000");
    expect(h(U.sub(U.ZERO, U.u64(0, 1)))).toBe("ffffffffffffffff");
    expect(h(U.mul(U.u64(0x12345678, 0x9abcdef0), U.u64(0, 0x10)))).toBe("23456789abcdef00");
    expect(h(U.mul(U.u64(0xffffffff, 0xffffffff), U.u64(0xffffffff, 0xffffffff)))).toBe("1"); // (-1)^2
  });

  it("divides signed and unsigned; zero divisor is undefined", () => {
    expect(U.divmodU(U.u64(0xffffffff, 0xffffffff), U.u64(0, 10))).toEqual({ q: U.u64(0x19999999, 0x99999999), r: U.u64(0, 5) });
    const d = U.divmodS(U.fromNumber(-7), U.u64(0, 2))!;
    expect([U.toStringS(d.q), U.toStringS(d.r)]).toEqual(["-3", "-1"]);
    expect(U.divmodU(U.u64(0, 1), U.ZERO)).toBeUndefined();
  });

  it("shifts, truncates with sign extension, converts", () => {
    expect(h(U.shl(U.u64(0, 1), 63))).toBe("8000000000000000");
    expect(h(U.shr(U.u64(0x80000000, 0), 36))).toBe("8000000");
    expect(h(U.truncate(U.u64(0, 0x8001), 2, true))).toBe("ffffffffffff8001");
    expect(h(U.truncate(U.u64(0, 0x80000000), 4, true))).toBe("ffffffff80000000");
    expect(h(U.truncate(U.u64(5, 0x7f), 1, true))).toBe("7f");
    expect(U.toStringU(U.u64(0xffffffff, 0xffffffff), 10)).toBe("18446744073709551615");
    expect(U.toNumber(U.fromNumber(-0x7f000000))).toBe(-0x7f000000);
    expect(h(U.fromNumber(-0x7f000000))).toBe("ffffffff81000000");
    expect(U.parseU("777", 8)).toEqual(U.u64(0, 511));
    expect(U.parseU("12g", 16)).toBeUndefined();
  });
});
