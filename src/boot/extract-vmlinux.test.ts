import { describe, expect, test } from "vitest";
import { gzipSync } from "node:zlib";
import { ConfigError } from "../common/errors.js";
import { extractVmlinux, payloadFormat } from "./extract-vmlinux.js";
import { fakeBzImage, fakeElf } from "./testing/images.js";
import { findPvhEntry } from "./pvh.js";

function withPayload(payload: Uint8Array): Uint8Array {
  const kernel = new Uint8Array(0x400 + payload.length + 4);
  kernel.set(payload, 0x400);
  return fakeBzImage({ kernel, payloadOffset: 0x400, payloadLength: payload.length + 4 });
}

describe("extractVmlinux", () => {
  test("gzip payload (with the appended size) decompresses to the ELF", () => {
    const elf = fakeElf({ pvhEntry: 0x1000200, paddr: 0x1000000 });
    const out = extractVmlinux(withPayload(new Uint8Array(gzipSync(elf))));
    expect(out.length).toBe(elf.length);
    expect(findPvhEntry(out)).toBe(0x1000200);
  });
  test("unsupported or non-ELF payloads are ConfigErrors", () => {
    expect(() => extractVmlinux(withPayload(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3)))).toThrow(/zstd-compressed/);
    expect(() => extractVmlinux(withPayload(new Uint8Array(gzipSync(new Uint8Array(100)))))).toThrow(/did not decompress to an ELF/);
    expect(() => extractVmlinux(fakeBzImage())).toThrow(ConfigError);
    expect(payloadFormat(Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0))).toBe("xz");
  });
});
