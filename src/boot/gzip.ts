/**
 * Host-neutral gzip writer (RFC 1952 member around RFC 1951 *stored* blocks) plus CRC-32.
 * It does not compress: it is the fallback when no real deflate is at hand (the browser,
 * the core). The Node CLI uses node:zlib instead. Linux's initramfs unpacker, gunzip and
 * node:zlib all accept stored blocks.
 */

/** CRC-32 lookup table for the reflected polynomial 0xEDB88320 (RFC 1952 section 8). */
const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `data`; pass a previous result as `crc` to continue a running checksum. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Largest payload of one stored deflate block (LEN is 16 bits). */
const MAX_STORED = 0xffff;
const HEADER_BYTES = 10;
const TRAILER_BYTES = 8;

/** Wraps `data` in a gzip member made of stored (uncompressed) deflate blocks. */
export function gzipStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_STORED));
  const out = new Uint8Array(HEADER_BYTES + blocks * 5 + data.length + TRAILER_BYTES);
  const dv = new DataView(out.buffer);
  // ID1 ID2, CM=8 (deflate), FLG=0, MTIME=0, XFL=0, OS=255 (unknown).
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255], 0);
  let o = HEADER_BYTES;
  for (let b = 0; b < blocks; b++) {
    const start = b * MAX_STORED;
    const len = Math.min(MAX_STORED, data.length - start);
    // Block header bits: BFINAL, then BTYPE=00 (stored), then pad to the byte boundary.
    out[o] = b === blocks - 1 ? 1 : 0;
    dv.setUint16(o + 1, len, true);
    dv.setUint16(o + 3, ~len & 0xffff, true);
    out.set(data.subarray(start, start + len), o + 5);
    o += 5 + len;
  }
  dv.setUint32(o, crc32(data), true);
  dv.setUint32(o + 4, data.length >>> 0, true);
  return out;
}
