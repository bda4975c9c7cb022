import { describe, expect, it } from "vitest";
import { SegAttr, segmentBounds } from "./cpu-state.js";

const P_S = SegAttr.P | SegAttr.S;

describe("segmentBounds (SDM vol 3 5.3, 5.4)", () => {
  it("expand-up read/write data: [0, limit] for both", () => {
    expect(segmentBounds(0xfff, P_S | 2, true)).toEqual([0, 0xfff, 0, 0xfff]);
  });
  it("expand-down data: limit + 1 up to 0xFFFF (B = 0) or 0xFFFFFFFF (B = 1); empty when nothing is above", () => {
    expect(segmentBounds(0xfff, P_S | 6, true)).toEqual([0x1000, 0xffff, 0x1000, 0xffff]);
    expect(segmentBounds(0xfff, P_S | 6 | SegAttr.DB, true)).toEqual([0x1000, 0xffffffff, 0x1000, 0xffffffff]);
    const [lo, hi] = segmentBounds(0xffff, P_S | 6, true);
    expect(lo).toBeGreaterThan(hi);
  });
  it("read-only data and readable code: no writes; execute-only code, not present, system: nothing", () => {
    const none = (b: readonly number[], i: number) => b[i]! > b[i + 1]!;
    const ro = segmentBounds(0xffff, P_S | 0, true);
    expect(ro.slice(0, 2)).toEqual([0, 0xffff]);
    expect(none(ro, 2)).toBe(true);
    const rx = segmentBounds(0xffff, P_S | 0xa, true);
    expect(rx.slice(0, 2)).toEqual([0, 0xffff]);
    expect(none(rx, 2)).toBe(true);
    for (const attr of [P_S | 8, SegAttr.S | 2, SegAttr.P | 2, 0]) {
      const b = segmentBounds(0xffff, attr, true);
      expect(none(b, 0) && none(b, 2)).toBe(true);
    }
  });
  it("real mode: [0, cached limit] whatever the attributes (unreal mode keeps a 4 GiB limit)", () => {
    expect(segmentBounds(0xffff, P_S | 0xb, false)).toEqual([0, 0xffff, 0, 0xffff]);
    expect(segmentBounds(0xffffffff, 0, false)).toEqual([0, 0xffffffff, 0, 0xffffffff]);
  });
});
