/**
 * Tests of the stored-block gzip writer: output must round-trip through node:zlib and
 * through the host's `gzip -d`, across the 64 KiB block boundary.
 */
import { execFileSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, gzipStored } from "./gzip.js";

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

describe("crc32", () => {
  it("matches the standard check value and continues a running checksum", () => {
    const s = new TextEncoder().encode("123456789");
    expect(crc32(s)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(s.subarray(4), crc32(s.subarray(0, 4)))).toBe(0xcbf43926);
  });
});

describe("gzipStored", () => {
  const sizes = [0, 1, 65535, 65536, 200_000];
  it.each(sizes)("round-trips %d bytes through node:zlib", (n) => {
    const data = pattern(n);
    const gz = gzipStored(data);
    expect(gz[0]).toBe(0x1f);
    expect(gz[1]).toBe(0x8b);
    expect(Buffer.compare(gunzipSync(gz), data)).toBe(0);
  });

  it("is accepted by gzip -d", () => {
    const data = pattern(150_000);
    const out = execFileSync("gzip", ["-d", "-c"], { input: gzipStored(data), maxBuffer: 1 << 24 });
    expect(Buffer.compare(out, data)).toBe(0);
  });
});
