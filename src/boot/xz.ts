/**
 * A host-neutral .xz decoder written from "The .xz File Format" specification (version 1.x):
 * stream header/footer (magic, flags, CRC32), blocks (block header with filter flags and
 * optional sizes, compressed data, padding, check), the index, and stream padding. Filters:
 * LZMA2 (0x21, required last) optionally preceded by x86 BCJ (0x04). Checks: None, CRC32 and
 * CRC64 are verified; SHA-256 is skipped (not verified). Every failure is a ConfigError.
 */
import { ConfigError } from "../common/errors.js";
import { bcjX86Decode } from "./bcj-x86.js";
import { crc32, crc64 } from "./crc.js";
import { Lzma2Decoder } from "./lzma2.js";

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC = [0x59, 0x5a];
const FILTER_LZMA2 = 0x21;
const FILTER_X86 = 0x04;
const CHECK_NONE = 0, CHECK_CRC32 = 1, CHECK_CRC64 = 4, CHECK_SHA256 = 10;

const bad = (why: string): ConfigError => new ConfigError(`not a valid xz stream: ${why}`);

export interface XzOptions {
  /** Accept arbitrary bytes after the first stream (Linux appends the size). Default false. */
  allowTrailing?: boolean;
  /** Verify CRC32/CRC64 checks (default true). */
  verifyChecks?: boolean;
}

/** Check field size for each check type (types 0x1-0xF have sizes 0,4,4,4,8,8,8,16,16,16,32...). */
function checkSize(type: number): number {
  if (type === 0) return 0;
  return 4 << Math.floor((type - 1) / 3);
}

class Cursor {
  constructor(readonly b: Uint8Array, public p: number) {}
  byte(what: string): number {
    if (this.p >= this.b.length) throw bad(`truncated ${what}`);
    return this.b[this.p++]!;
  }
  /** Multibyte integer (up to 9 bytes, 7 bits each); must be < 2^53. */
  varint(what: string): number {
    let v = 0;
    for (let i = 0; i < 9; i++) {
      const b = this.byte(what);
      v += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) {
        if (b === 0 && i > 0) throw bad(`non-minimal integer in ${what}`);
        if (!Number.isSafeInteger(v)) throw bad(`${what} too large`);
        return v;
      }
    }
    throw bad(`integer in ${what} longer than 9 bytes`);
  }
  u32(what: string): number {
    if (this.p + 4 > this.b.length) throw bad(`truncated ${what}`);
    const b = this.b, p = this.p;
    this.p += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }
}

interface BlockRecord { unpadded: number; uncompressed: number }

/** Decompress a complete .xz file (one or more concatenated streams). */
export function xzDecompress(data: Uint8Array, opts: XzOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  let p = 0;
  for (;;) {
    const r = decodeStream(data, p, opts.verifyChecks ?? true);
    parts.push(r.out);
    p = r.end;
    while (p + 4 <= data.length && data[p] === 0 && data[p + 1] === 0 && data[p + 2] === 0 && data[p + 3] === 0) p += 4;
    if (p >= data.length || opts.allowTrailing) break;
    if (!MAGIC.every((m, i) => data[p + i] === m)) throw bad("garbage after the stream");
  }
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((s, x) => s + x.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const x of parts) { out.set(x, o); o += x.length; }
  return out;
}

function decodeStream(data: Uint8Array, start: number, verify: boolean): { out: Uint8Array; end: number } {
  if (data.length - start < 24) throw bad("too short");
  if (!MAGIC.every((m, i) => data[start + i] === m)) throw bad("missing stream header magic");
  const c = new Cursor(data, start + 6);
  const flags0 = c.byte("stream flags"), flags1 = c.byte("stream flags");
  if (crc32(data.subarray(start + 6, start + 8)) !== c.u32("stream header CRC32")) throw bad("stream header CRC32 mismatch");
  if (flags0 !== 0 || flags1 > 0x0f) throw bad(`unsupported stream flags 0x${flags1.toString(16)}`);
  const check = flags1;
  const blocks: Uint8Array[] = [];
  const records: BlockRecord[] = [];
  let total = 0;
  for (;;) {
    const blockStart = c.p;
    const hsizeByte = c.byte("block header");
    if (hsizeByte === 0) break; // index indicator
    const out = decodeBlock(data, blockStart, (hsizeByte + 1) * 4, check, verify, c);
    records.push({ unpadded: out.unpadded, uncompressed: out.data.length });
    blocks.push(out.data);
    total += out.data.length;
  }
  const indexStart = c.p - 1;
  readIndex(c, records);
  const indexSize = c.p - indexStart;
  readFooter(data, c, flags1, indexSize);
  const out = blocks.length === 1 ? blocks[0]! : new Uint8Array(total);
  if (blocks.length !== 1) {
    let o = 0;
    for (const b of blocks) { out.set(b, o); o += b.length; }
  }
  return { out, end: c.p };
}

function decodeBlock(data: Uint8Array, blockStart: number, hsize: number, check: number, verify: boolean, c: Cursor): { data: Uint8Array; unpadded: number } {
  if (blockStart + hsize > data.length) throw bad("truncated block header");
  const hdrEnd = blockStart + hsize - 4;
  if (crc32(data.subarray(blockStart, hdrEnd)) !== new Cursor(data, hdrEnd).u32("block header CRC32")) throw bad("block header CRC32 mismatch");
  const bflags = c.byte("block flags");
  if (bflags & 0x3c) throw bad("reserved block flags set");
  const compressedSize = bflags & 0x40 ? c.varint("compressed size") : -1;
  const uncompressedSize = bflags & 0x80 ? c.varint("uncompressed size") : -1;
  const nfilters = (bflags & 3) + 1;
  const filters: { id: number; props: Uint8Array }[] = [];
  for (let i = 0; i < nfilters; i++) {
    const id = c.varint("filter id");
    const psize = c.varint("filter properties size");
    if (c.p + psize > hdrEnd) throw bad("filter properties overrun the block header");
    filters.push({ id, props: data.subarray(c.p, c.p + psize) });
    c.p += psize;
  }
  if (c.p > hdrEnd) throw bad("block header overrun");
  for (; c.p < hdrEnd; c.p++) if (data[c.p] !== 0) throw bad("non-zero block header padding");
  c.p = hdrEnd + 4;
  const last = filters[filters.length - 1]!;
  if (last.id !== FILTER_LZMA2 || last.props.length !== 1) throw bad("last filter is not LZMA2");
  const dictByte = last.props[0]!;
  if (dictByte > 40) throw bad("invalid LZMA2 dictionary size");
  let bcjStart = -1;
  for (const f of filters.slice(0, -1)) {
    if (f.id !== FILTER_X86) throw bad(`unsupported filter 0x${f.id.toString(16)} (only x86 BCJ and LZMA2)`);
    if (f.props.length !== 0 && f.props.length !== 4) throw bad("invalid x86 BCJ properties");
    bcjStart = f.props.length === 4 ? new Cursor(f.props, 0).u32("BCJ start offset") : 0;
  }
  const dataStart = c.p;
  const dec = new Lzma2Decoder(uncompressedSize >= 0 ? uncompressedSize : (data.length - dataStart) * 4);
  c.p = dec.decode(data, dataStart);
  const csize = c.p - dataStart;
  if (compressedSize >= 0 && compressedSize !== csize) throw bad("block compressed size mismatch");
  if (uncompressedSize >= 0 && uncompressedSize !== dec.pos) throw bad("block uncompressed size mismatch");
  const out = dec.out.subarray(0, dec.pos);
  if (bcjStart >= 0) bcjX86Decode(out, bcjStart);
  while (c.p % 4 !== 0) if (c.byte("block padding") !== 0) throw bad("non-zero block padding");
  const unpadded = hsize + csize + checkSize(check);
  verifyCheck(out, check, data, c, verify);
  return { data: out, unpadded };
}

function verifyCheck(out: Uint8Array, check: number, data: Uint8Array, c: Cursor, verify: boolean): void {
  const size = checkSize(check);
  if (c.p + size > data.length) throw bad("truncated block check");
  const at = c.p;
  c.p += size;
  if (!verify || check === CHECK_NONE || check === CHECK_SHA256) return;
  const cr = new Cursor(data, at);
  if (check === CHECK_CRC32) {
    if (crc32(out) !== cr.u32("CRC32")) throw bad("CRC32 mismatch in decompressed data");
  } else if (check === CHECK_CRC64) {
    const [lo, hi] = crc64(out);
    if (lo !== cr.u32("CRC64") || hi !== cr.u32("CRC64")) throw bad("CRC64 mismatch in decompressed data");
  }
}

function readIndex(c: Cursor, records: BlockRecord[]): void {
  const start = c.p - 1;
  const n = c.varint("index record count");
  if (n !== records.length) throw bad(`index lists ${n} blocks, stream has ${records.length}`);
  for (const r of records) {
    if (c.varint("index unpadded size") !== r.unpadded || c.varint("index uncompressed size") !== r.uncompressed) {
      throw bad("index does not match the blocks");
    }
  }
  while ((c.p - start) % 4 !== 0) if (c.byte("index padding") !== 0) throw bad("non-zero index padding");
  if (crc32(c.b.subarray(start, c.p)) !== c.u32("index CRC32")) throw bad("index CRC32 mismatch");
}

function readFooter(data: Uint8Array, c: Cursor, flags1: number, indexSize: number): void {
  const at = c.p;
  const crc = c.u32("stream footer CRC32");
  if (crc32(data.subarray(at + 4, at + 10)) !== crc) throw bad("stream footer CRC32 mismatch");
  const backward = (c.u32("backward size") + 1) * 4;
  if (backward !== indexSize) throw bad("backward size does not match the index");
  if (c.byte("footer flags") !== 0 || c.byte("footer flags") !== flags1) throw bad("footer flags differ from the header");
  if (c.byte("footer magic") !== FOOTER_MAGIC[0] || c.byte("footer magic") !== FOOTER_MAGIC[1]) throw bad("missing stream footer magic");
}
