/**
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decoding, host-neutral, for gzip-compressed bzImage
 * payloads. Huffman codes are decoded through one lookup table per code (indexed by the next
 * max-length bits, LSB-first as DEFLATE packs them). Every failure is a ConfigError.
 */
import { ConfigError } from "../common/errors.js";
import { crc32 } from "./crc.js";

const bad = (why: string): ConfigError => new ConfigError(`gzip data is corrupt: ${why}`);

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A decoding table: entry = symbol << 4 | code length (0 = invalid code). */
interface Huffman { table: Uint32Array; bits: number }

function buildHuffman(lengths: ArrayLike<number>): Huffman {
  let max = 0;
  for (let i = 0; i < lengths.length; i++) max = Math.max(max, lengths[i]!);
  const bits = Math.max(max, 1);
  const table = new Uint32Array(1 << bits);
  const count = new Array<number>(16).fill(0);
  for (let i = 0; i < lengths.length; i++) count[lengths[i]!]!++;
  count[0] = 0;
  const next = new Array<number>(16).fill(0);
  let code = 0;
  for (let len = 1; len <= 15; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
    if (code + count[len]! > 1 << len) throw bad("over-subscribed Huffman code");
  }
  for (let sym = 0; sym < lengths.length; sym++) {
    const len = lengths[sym]!;
    if (len === 0) continue;
    const c = next[len]!++;
    let rev = 0;
    for (let k = 0; k < len; k++) rev |= ((c >>> k) & 1) << (len - 1 - k);
    for (let i = rev; i < table.length; i += 1 << len) table[i] = (sym << 4) | len;
  }
  return { table, bits };
}

class Inflater {
  out: Uint8Array;
  pos = 0;
  private _bitBuf = 0;
  private _bitCnt = 0;
  constructor(private readonly _in: Uint8Array, public p: number, sizeHint: number, private readonly _max: number) {
    // DEFLATE expands at most ~1032:1, which bounds a (possibly garbled) size hint.
    this.out = new Uint8Array(Math.min(Math.max(sizeHint, 1 << 16), _max, (_in.length - p) * 1032 + (1 << 16)));
  }
  private _need(n: number): void {
    while (this._bitCnt < n) {
      if (this.p >= this._in.length) throw bad("unexpected end of data");
      this._bitBuf |= this._in[this.p++]! << this._bitCnt;
      this._bitCnt += 8;
    }
  }
  bits(n: number): number {
    if (n === 0) return 0;
    this._need(n);
    const v = this._bitBuf & ((1 << n) - 1);
    this._bitBuf >>>= n;
    this._bitCnt -= n;
    return v;
  }
  private _sym(h: Huffman): number {
    // Fill up to h.bits when the input allows; near the end a short code may need fewer.
    while (this._bitCnt < h.bits && this.p < this._in.length) {
      this._bitBuf |= this._in[this.p++]! << this._bitCnt;
      this._bitCnt += 8;
    }
    const e = h.table[this._bitBuf & ((1 << h.bits) - 1)]!;
    const len = e & 15;
    if (len === 0 || len > this._bitCnt) throw bad("invalid Huffman code");
    this._bitBuf >>>= len;
    this._bitCnt -= len;
    return e >>> 4;
  }
  private _ensure(n: number): void {
    if (this.pos + n <= this.out.length) return;
    if (this.pos + n > this._max) throw new ConfigError(`gzip output exceeds ${this._max >>> 20} MiB`);
    let cap = this.out.length;
    while (cap < this.pos + n) cap *= 2;
    const o = new Uint8Array(Math.min(cap, this._max));
    o.set(this.out.subarray(0, this.pos));
    this.out = o;
  }
  /** Decode the whole DEFLATE stream; leaves `p` at the byte after it. */
  run(): void {
    for (;;) {
      const final = this.bits(1);
      const type = this.bits(2);
      if (type === 0) this._stored();
      else if (type === 1) this._codes(FIXED.lit, FIXED.dist);
      else if (type === 2) this._dynamic();
      else throw bad("invalid block type 3");
      if (final) break;
    }
    this._bitBuf = 0;
    this.p -= this._bitCnt >>> 3; // give back whole unread bytes
    this._bitCnt = 0;
  }
  private _stored(): void {
    this.p -= this._bitCnt >>> 3;
    this._bitBuf = 0;
    this._bitCnt = 0;
    if (this.p + 4 > this._in.length) throw bad("stored block header truncated");
    const len = this._in[this.p]! | (this._in[this.p + 1]! << 8);
    const nlen = this._in[this.p + 2]! | (this._in[this.p + 3]! << 8);
    if ((len ^ 0xffff) !== nlen) throw bad("stored block length check failed");
    this.p += 4;
    if (this.p + len > this._in.length) throw bad("stored block truncated");
    this._ensure(len);
    this.out.set(this._in.subarray(this.p, this.p + len), this.pos);
    this.pos += len;
    this.p += len;
  }
  private _dynamic(): void {
    const hlit = this.bits(5) + 257, hdist = this.bits(5) + 1, hclen = this.bits(4) + 4;
    const cl = new Uint8Array(19);
    for (let i = 0; i < hclen; i++) cl[CLEN_ORDER[i]!] = this.bits(3);
    const clh = buildHuffman(cl);
    const lens = new Uint8Array(hlit + hdist);
    for (let i = 0; i < lens.length;) {
      const s = this._sym(clh);
      if (s < 16) { lens[i++] = s; continue; }
      let rep: number, v = 0;
      if (s === 16) {
        if (i === 0) throw bad("length repeat with no previous length");
        v = lens[i - 1]!;
        rep = 3 + this.bits(2);
      } else if (s === 17) rep = 3 + this.bits(3);
      else rep = 11 + this.bits(7);
      if (i + rep > lens.length) throw bad("code lengths overrun");
      lens.fill(v, i, i + rep);
      i += rep;
    }
    if (lens[256] === 0) throw bad("no end-of-block code");
    this._codes(buildHuffman(lens.subarray(0, hlit)), buildHuffman(lens.subarray(hlit)));
  }
  private _codes(lit: Huffman, dist: Huffman): void {
    for (;;) {
      const s = this._sym(lit);
      if (s < 256) {
        this._ensure(1);
        this.out[this.pos++] = s;
        continue;
      }
      if (s === 256) return;
      const li = s - 257;
      if (li >= 29) throw bad("invalid length code");
      const len = LEN_BASE[li]! + this.bits(LEN_EXTRA[li]!);
      const di = this._sym(dist);
      if (di >= 30) throw bad("invalid distance code");
      const d = DIST_BASE[di]! + this.bits(DIST_EXTRA[di]!);
      if (d > this.pos) throw bad("distance reaches before the start");
      this._ensure(len);
      const out = this.out;
      for (let k = 0, src = this.pos - d; k < len; k++) out[this.pos++] = out[src + k]!;
    }
  }
}

const FIXED = (() => {
  const l = new Uint8Array(288);
  l.fill(8, 0, 144); l.fill(9, 144, 256); l.fill(7, 256, 280); l.fill(8, 280, 288);
  return { lit: buildHuffman(l), dist: buildHuffman(new Uint8Array(30).fill(5)) };
})();

/** Raw DEFLATE: returns the output and the input offset after the stream. */
export function inflateRaw(data: Uint8Array, offset = 0, sizeHint = 0, maxOutput = 1 << 30): { out: Uint8Array; end: number } {
  const inf = new Inflater(data, offset, sizeHint, maxOutput);
  inf.run();
  return { out: inf.out.subarray(0, inf.pos), end: inf.p };
}

/** Decompress the first gzip member of `data` (trailing bytes are ignored), verifying CRC32 and ISIZE. */
export function gunzip(data: Uint8Array): Uint8Array {
  if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b) throw new ConfigError("not gzip data: bad magic");
  if (data[2] !== 8) throw new ConfigError(`gzip compression method ${data[2]} is not deflate`);
  const flg = data[3]!;
  let p = 10;
  const skipZ = (): void => { while (p < data.length && data[p] !== 0) p++; p++; };
  if (flg & 4) p += 2 + (data[10]! | (data[11]! << 8));
  if (flg & 8) skipZ();
  if (flg & 16) skipZ();
  if (flg & 2) p += 2;
  if (p >= data.length) throw bad("header truncated");
  const hint = data.length >= 4 ? new DataView(data.buffer, data.byteOffset + data.length - 4).getUint32(0, true) : 0;
  const { out, end } = inflateRaw(data, p, hint);
  if (end + 8 > data.length) throw bad("trailer truncated");
  const dv = new DataView(data.buffer, data.byteOffset + end, 8);
  if (dv.getUint32(0, true) !== crc32(out)) throw bad("CRC32 mismatch");
  if (dv.getUint32(4, true) !== out.length % 2 ** 32) throw bad("ISIZE mismatch");
  return out;
}
