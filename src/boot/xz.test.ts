import { describe, expect, test } from "vitest";
import { ConfigError } from "../common/errors.js";
import { crc32, crc64 } from "./crc.js";
import { xzDecompress } from "./xz.js";
import { bcjX86Decode } from "./bcj-x86.js";
import { XZ_SAMPLES } from "./testing/xz-samples.js";

const b64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "base64"));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("crc", () => {
  test("check values", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc64(ascii("123456789"))).toEqual([0xdf1939fa, 0x995dc9bb]);
    expect(crc32(ascii("6789"), crc32(ascii("12345")))).toBe(0xcbf43926);
  });
});

describe("xz", () => {
  for (const [name, s] of Object.entries(XZ_SAMPLES)) {
    test(`decodes ${name} (${s.size} bytes)`, () => {
      const out = xzDecompress(b64(s.xz));
      expect(out.length).toBe(s.size);
      expect(crc32(out)).toBe(s.crc32);
    });
  }
  test("concatenated streams with stream padding, and trailing data", () => {
    const a = b64(XZ_SAMPLES.blocksCrc32.xz), b = b64(XZ_SAMPLES.sha256.xz);
    const cat = new Uint8Array(a.length + 8 + b.length);
    cat.set(a);
    cat.set(b, a.length + 8);
    expect(xzDecompress(cat).length).toBe(XZ_SAMPLES.blocksCrc32.size + XZ_SAMPLES.sha256.size);
    const trailing = new Uint8Array(a.length + 4);
    trailing.set(a);
    trailing.set([1, 2, 3, 4], a.length);
    expect(() => xzDecompress(trailing)).toThrow(ConfigError);
    expect(xzDecompress(trailing, { allowTrailing: true }).length).toBe(XZ_SAMPLES.blocksCrc32.size);
  });
  test("corruption is a ConfigError (fuzz)", () => {
    let seed = 99;
    const rnd = (n: number): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const samples = Object.values(XZ_SAMPLES).map((s) => b64(s.xz));
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const src = samples[rnd(samples.length)]!;
      const x = src.slice(0, rnd(5) === 0 ? rnd(src.length) : src.length);
      for (let k = 0, n = 1 + rnd(3); k < n; k++) if (x.length) x[rnd(x.length)] = rnd(256);
      try {
        xzDecompress(x);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(250);
  });
});

describe("bcj x86", () => {
  test("converts an absolute CALL target back to relative", () => {
    // At offset 0x10: E8 with absolute target 0x1000; rel = 0x1000 - (0x10 + 5).
    const b = new Uint8Array(32);
    b.set([0xe8, 0x00, 0x10, 0x00, 0x00], 0x10);
    bcjX86Decode(b);
    expect(Array.from(b.subarray(0x10, 0x15))).toEqual([0xe8, 0xeb, 0x0f, 0x00, 0x00]);
  });
  test("leaves operands whose top byte is not 00/FF alone", () => {
    const b = new Uint8Array(16);
    b.set([0xe8, 1, 2, 3, 0x42]);
    const before = b.slice();
    bcjX86Decode(b);
    expect(b).toEqual(before);
  });
});
