import { describe, expect, test } from "vitest";
import { deflateRawSync, gzipSync } from "node:zlib";
import { ConfigError } from "../common/errors.js";
import { gunzip, inflateRaw } from "./inflate.js";
import { fakeKernelBytes } from "./testing/images.js";

function sample(n: number): Uint8Array {
  const b = fakeKernelBytes(n);
  let s = 1;
  for (let i = 0; i < n; i += 7) { s = (s * 1103515245 + 12345) >>> 0; if (s & 0x100) b[i] = s >>> 24; }
  return b;
}
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

describe("inflate", () => {
  test.each([0, 1, 0, 6, 9])("round-trips zlib output at level %i", (level) => {
    const data = sample(200_000);
    expect(same(inflateRaw(deflateRawSync(data, { level })).out, data)).toBe(true);
    expect(same(gunzip(gzipSync(data, { level })), data)).toBe(true);
  });
  test("fixed Huffman blocks, empty input, trailing bytes", () => {
    const data = new TextEncoder().encode("hello hello hello");
    expect(new TextDecoder().decode(gunzip(gzipSync(data, { strategy: 4 })))).toBe("hello hello hello");
    expect(gunzip(gzipSync(new Uint8Array(0))).length).toBe(0);
    const g = gzipSync(data);
    const t = new Uint8Array(g.length + 4);
    t.set(g);
    expect(gunzip(t).length).toBe(data.length);
  });
  test("corruption is a ConfigError (fuzz)", () => {
    const g = new Uint8Array(gzipSync(sample(20000)));
    let seed = 5, errors = 0;
    const rnd = (n: number): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n; };
    for (let i = 0; i < 300; i++) {
      const x = g.slice(0, rnd(4) === 0 ? rnd(g.length) : g.length);
      for (let k = 0, n = 1 + rnd(3); k < n; k++) if (x.length) x[rnd(x.length)] = rnd(256);
      try { gunzip(x); } catch (e) { if (!(e instanceof ConfigError)) throw e; errors++; }
    }
    expect(errors).toBeGreaterThan(280);
  });
});
