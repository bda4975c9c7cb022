import { describe, expect, it } from "vitest";
import { Exc, SoftFloat80 } from "./softfloat80.js";
import { bcdToImage, compare, f32ToImage, prem, toBcd, toInt, toReal } from "./softfloat80-ops.js";

const sf = new SoftFloat80();
type Img = [number, number, number]; // [lo, hi, se] as unsigned
const ONE: Img = [0, 0x80000000, 0x3fff], TWO: Img = [0, 0x80000000, 0x4000], THREE: Img = [0, 0xc0000000, 0x4000];
const ZERO: Img = [0, 0, 0], INF: Img = [0, 0x80000000, 0x7fff], MAX: Img = [0xffffffff, 0xffffffff, 0x7ffe];
const res = (): Img => [sf.lo >>> 0, sf.hi >>> 0, sf.se];
/** FCW: all masked, PC (0 = 24, 2 = 53, 3 = 64 bits), RC. */
const cw = (pc = 3, rc = 0, masks = 0x3f): number => masks | 0x40 | (pc << 8) | (rc << 10);

function op(kind: "add" | "sub" | "mul" | "div", a: Img, b: Img, fcw = cw()): Img {
  sf.begin(fcw);
  if (kind === "add" || kind === "sub") sf.add(a[0], a[1], a[2], b[0], b[1], b[2], kind === "sub");
  else if (kind === "mul") sf.mul(a[0], a[1], a[2], b[0], b[1], b[2]);
  else sf.div(a[0], a[1], a[2], b[0], b[1], b[2]);
  return res();
}

describe("softfloat80 arithmetic", () => {
  it("exact results raise nothing", () => {
    expect(op("add", ONE, ONE)).toEqual(TWO);
    expect(op("mul", ONE, THREE)).toEqual(THREE);
    expect(sf.exc).toBe(0);
    expect(op("div", THREE, TWO)).toEqual([0, 0xc0000000, 0x3fff]); // exact quotient: the digit-by-digit fallback
    expect(sf.exc).toBe(0);
    expect(op("sub", ONE, ONE)).toEqual(ZERO);
    expect(op("sub", ONE, ONE, cw(3, 1))).toEqual([0, 0, 0x8000]); // x - x = -0 rounding down
  });
  it("rounds 1/3 at 64, 53 and 24 bits under RC, with PE and C1 = rounded up", () => {
    expect(op("div", ONE, THREE)).toEqual([0xaaaaaaab, 0xaaaaaaaa, 0x3ffd]);
    expect([sf.exc, sf.up]).toEqual([Exc.PE, 1]);
    expect(op("div", ONE, THREE, cw(3, 3))).toEqual([0xaaaaaaaa, 0xaaaaaaaa, 0x3ffd]);
    expect(sf.up).toBe(0);
    expect(op("div", ONE, THREE, cw(2, 0))).toEqual([0xaaaaa800, 0xaaaaaaaa, 0x3ffd]);
    expect(op("div", ONE, THREE, cw(2, 2))).toEqual([0xaaaab000, 0xaaaaaaaa, 0x3ffd]);
    expect(op("div", ONE, THREE, cw(0, 0))).toEqual([0, 0xaaaaab00, 0x3ffd]);
    expect(op("div", ONE, THREE, cw(0, 1))).toEqual([0, 0xaaaaaa00, 0x3ffd]);
  });
  it("square root of 2 and of a perfect square", () => {
    sf.begin(cw()); sf.sqrt(TWO[0], TWO[1], TWO[2]);
    expect(res()).toEqual([0xf9de6484, 0xb504f333, 0x3fff]);
    expect(sf.exc).toBe(Exc.PE);
    sf.begin(cw()); sf.sqrt(0, 0x90000000, 0x4002); // 9
    expect(res()).toEqual(THREE);
    expect(sf.exc).toBe(0);
    sf.begin(cw()); sf.sqrt(ONE[0], ONE[1], ONE[2] | 0x8000);
    expect([res(), sf.exc]).toEqual([[0, 0xc0000000, 0xffff], Exc.IE]);
  });
  it("overflow: infinity or the largest finite value by RC; unmasked, the exponent is re-biased", () => {
    expect(op("mul", MAX, TWO)).toEqual(INF);
    expect([sf.exc, sf.up]).toEqual([Exc.OE | Exc.PE, 1]);
    expect(op("mul", MAX, TWO, cw(3, 3))).toEqual(MAX);
    expect(op("mul", MAX, TWO, cw(0, 3))).toEqual([0, 0xffffff00, 0x7ffe]);
    expect(op("mul", MAX, TWO, cw(3, 0, 0x37))).toEqual([0xffffffff, 0xffffffff, 0x7fff - 24576]);
    expect(sf.exc).toBe(Exc.OE);
  });
  it("underflow: denormal results, tininess after rounding, UE only when inexact unless unmasked", () => {
    const minNormal: Img = [0, 0x80000000, 1];
    expect(op("div", minNormal, TWO)).toEqual([0, 0x40000000, 0]);
    expect(sf.exc).toBe(0);
    expect(op("div", minNormal, TWO, cw(3, 0, 0x2f))).toEqual([0, 0x80000000, 24576]);
    expect(sf.exc).toBe(Exc.UE);
    expect(op("div", minNormal, THREE)).toEqual([0xaaaaaaab, 0x2aaaaaaa, 0]);
    expect(sf.exc).toBe(Exc.UE | Exc.PE);
    // 2^-16382 (1 - 2^-64): at 24 bits it rounds up to 2^-16382, so it is not tiny after rounding
    expect(op("mul", [0xffffffff, 0xffffffff, 0x3ffe], minNormal, cw(0, 2))).toEqual(minNormal);
    expect(sf.exc).toBe(Exc.PE);
    // at 64 bits it is exact but below 2^-16382: tiny, and inexact once denormalized
    expect(op("mul", [0xffffffff, 0xffffffff, 0x3ffe], minNormal, cw(3, 2))).toEqual(minNormal);
    expect(sf.exc).toBe(Exc.UE | Exc.PE);
  });
  it("invalid operations, zero divide, NaN propagation, denormal operands", () => {
    expect(op("sub", INF, INF)).toEqual([0, 0xc0000000, 0xffff]);
    expect(sf.exc).toBe(Exc.IE);
    expect(op("div", ONE, ZERO)).toEqual(INF);
    expect(sf.exc).toBe(Exc.ZE);
    expect(op("add", [1, 0x80000000, 0x7fff], ONE)).toEqual([1, 0xc0000000, 0x7fff]); // SNaN: quieted, IE
    expect(sf.exc).toBe(Exc.IE);
    expect(op("add", [0, 0x40000000, 0x3fff], ONE)).toEqual([0, 0xc0000000, 0xffff]); // unnormal: unsupported
    expect(op("add", [1, 0, 0], ZERO)).toEqual([1, 0, 0]);
    expect(sf.exc).toBe(Exc.DE);
  });
});

describe("softfloat80 conversions and the other operations", () => {
  it("m32 load and store", () => {
    sf.begin(cw()); f32ToImage(sf, 0x3fc00000);
    expect(res()).toEqual([0, 0xc0000000, 0x3fff]);
    sf.begin(cw()); op("div", ONE, THREE);
    sf.begin(cw()); expect(toReal(sf, 0xaaaaaaab, 0xaaaaaaaa | 0, 0x3ffd, true) >>> 0).toBe(0x3eaaaaab);
    sf.begin(cw(3, 1)); expect(toReal(sf, 0xaaaaaaab, 0xaaaaaaaa | 0, 0x3ffd, true) >>> 0).toBe(0x3eaaaaaa);
  });
  it("integers round per RC or truncate; out of range is the integer indefinite", () => {
    const twoAndHalf: Img = [0, 0xa0000000, 0x4000];
    sf.begin(cw()); expect(toInt(sf, ...twoAndHalf, 32, false)).toBe(2);
    expect([sf.exc, sf.up]).toEqual([Exc.PE, 0]);
    sf.begin(cw(3, 2)); expect(toInt(sf, ...twoAndHalf, 32, false)).toBe(3);
    expect(sf.up).toBe(1);
    sf.begin(cw(3, 2)); expect(toInt(sf, ...twoAndHalf, 16, true)).toBe(2);
    sf.begin(cw()); expect(toInt(sf, 0, 0x80000000, 0x400e + 1, 16, false)).toBe(0x8000);
    expect(sf.exc).toBe(Exc.IE);
  });
  it("packed BCD both ways", () => {
    const out = new Uint8Array(10);
    sf.begin(cw()); toBcd(sf, 0, 0x9a400000, 0x4009, out); // 1234
    expect([...out]).toEqual([0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0]);
    const b = Uint8Array.of(0x89, 0x67, 0x45, 0x23, 0x01, 0x89, 0x67, 0x45, 0x23, 0x80); // -234567890123456789
    sf.begin(cw()); bcdToImage(sf, b);
    const back = new Uint8Array(10);
    toBcd(sf, sf.lo, sf.hi, sf.se, back);
    expect([...back]).toEqual([...b]);
  });
  it("compare, FPREM and FPREM1 quotient bits", () => {
    sf.begin(cw());
    expect(compare(sf, sf.unpack(sf.a, ...ONE), sf.unpack(sf.b, ...TWO), false)).toBe(0x100);
    expect(compare(sf, sf.unpack(sf.a, 0, 0, 0x8000), sf.unpack(sf.b, ...ZERO), false)).toBe(0x4000);
    const seven: Img = [0, 0xe0000000, 0x4001];
    sf.begin(cw());
    expect(prem(sf, sf.unpack(sf.a, ...seven), sf.unpack(sf.b, ...TWO), false)).toBe(0x4200); // q = 3
    expect(res()).toEqual(ONE);
    sf.begin(cw());
    expect(prem(sf, sf.unpack(sf.a, ...seven), sf.unpack(sf.b, ...TWO), true)).toBe(0x100); // q = 4
    expect(res()).toEqual([0, 0x80000000, 0xbfff]);
  });
});
