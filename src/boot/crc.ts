/**
 * CRC32 (IEEE 802.3, reflected polynomial 0xEDB88320) and CRC64 (ECMA-182, reflected
 * polynomial 0xC96C5795D7870F42), the integrity checks of the .xz format (xz-file-format
 * section 3.4 / 5.3). CRC64 is kept as two 32-bit halves: no BigInt.
 */

let crc32Tables: Uint32Array[] | null = null;
let crc64Lo: Uint32Array | null = null;
let crc64Hi: Uint32Array | null = null;

/** Table 0 is the byte-wise table; tables 1..3 advance it by 1..3 more zero bytes (slicing-by-4). */
function makeCrc32Tables(): Uint32Array[] {
  const t = [0, 1, 2, 3].map(() => new Uint32Array(256));
  const t0 = t[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[i] = c >>> 0;
  }
  for (let k = 1; k < 4; k++) {
    const prev = t[k - 1]!, cur = t[k]!;
    for (let i = 0; i < 256; i++) cur[i] = (t0[prev[i]! & 0xff]! ^ (prev[i]! >>> 8)) >>> 0;
  }
  return t;
}

/** CRC32 of `data`, continuing from `crc` (0 to start). */
export function crc32(data: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3] = (crc32Tables ??= makeCrc32Tables()) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~crc >>> 0;
  let i = 0;
  const n4 = data.length & ~3;
  for (; i < n4; i += 4) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c = t3[c & 0xff]! ^ t2[(c >>> 8) & 0xff]! ^ t1[(c >>> 16) & 0xff]! ^ t0[c >>> 24]!;
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function makeCrc64Tables(): [Uint32Array, Uint32Array] {
  const lo = new Uint32Array(256), hi = new Uint32Array(256);
  const polyLo = 0xd7870f42, polyHi = 0xc96c5795;
  for (let i = 0; i < 256; i++) {
    let l = i, h = 0;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (bit) { l = (l ^ polyLo) >>> 0; h = (h ^ polyHi) >>> 0; }
    }
    lo[i] = l; hi[i] = h;
  }
  return [lo, hi];
}

/** CRC64 of `data` as [lo, hi] 32-bit halves. */
export function crc64(data: Uint8Array): [number, number] {
  if (!crc64Lo || !crc64Hi) [crc64Lo, crc64Hi] = makeCrc64Tables();
  const tl = crc64Lo, th = crc64Hi;
  let l = 0xffffffff, h = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    const idx = (l ^ data[i]!) & 0xff;
    l = (tl[idx]! ^ ((l >>> 8) | (h << 24))) >>> 0;
    h = (th[idx]! ^ (h >>> 8)) >>> 0;
  }
  return [~l >>> 0, ~h >>> 0];
}
