/**
 * bzImage -> vmlinux: locate the compressed kernel through the setup header (payload_offset
 * and payload_length, boot protocol 2.08+, relative to the protected-mode code) and decompress
 * it. Supported payloads: XZ (with the x86 BCJ filter, as Debian builds it; the Linux build
 * appends the 4-byte uncompressed size after the stream, which is ignored) and gzip
 * (inflate.ts). Anything else (LZ4, LZO, LZMA-alone, bzip2, zstd) is a ConfigError.
 */
import { ConfigError } from "../common/errors.js";
import { parseBzImage } from "./bzimage.js";
import { xzDecompress } from "./xz.js";
import { gunzip } from "./inflate.js";

/** Compression formats recognised by their magic numbers. */
export function payloadFormat(p: Uint8Array): string {
  const m = (...b: number[]): boolean => b.every((x, i) => p[i] === x);
  if (m(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz";
  if (m(0x1f, 0x8b)) return "gzip";
  if (m(0x28, 0xb5, 0x2f, 0xfd)) return "zstd";
  if (m(0x02, 0x21, 0x4c, 0x18)) return "lz4";
  if (m(0x89, 0x4c, 0x5a, 0x4f)) return "lzo";
  if (m(0x42, 0x5a, 0x68)) return "bzip2";
  if (m(0x5d, 0x00)) return "lzma";
  if (m(0x7f, 0x45, 0x4c, 0x46)) return "uncompressed ELF";
  return "unknown";
}

/** Extract the ELF vmlinux from a bzImage. */
export function extractVmlinux(bzImage: Uint8Array): Uint8Array {
  const h = parseBzImage(bzImage);
  if (h.payloadLength === 0) throw new ConfigError("bzImage has no payload_offset/payload_length (boot protocol < 2.08)");
  const start = h.kernelOffset + h.payloadOffset;
  const payload = bzImage.subarray(start, start + h.payloadLength);
  const fmt = payloadFormat(payload);
  let out: Uint8Array;
  if (fmt === "xz") out = xzDecompress(payload, { allowTrailing: true });
  else if (fmt === "gzip") out = gunzip(payload);
  else if (fmt === "uncompressed ELF") out = payload.slice();
  else throw new ConfigError(`bzImage payload is ${fmt}-compressed; only xz and gzip are supported`);
  if (out[0] !== 0x7f || out[1] !== 0x45 || out[2] !== 0x4c || out[3] !== 0x46) {
    throw new ConfigError("bzImage payload did not decompress to an ELF vmlinux");
  }
  return out;
}
