/**
 * LZMA2 decoder (the .xz format's filter 0x21) with the LZMA decoder inside it, written from the
 * published format description: a binary range coder with 11-bit adaptive probabilities, the
 * 12-state literal/match/rep state machine, length coders and 6-bit distance slots. The whole
 * output is kept in memory, so the output buffer doubles as the dictionary.
 *
 * LZMA2 chunk control byte: 0x00 end; 0x01 / 0x02 uncompressed chunk with / without dictionary
 * reset; 0x80 | reset << 5 | size bits 16..20: an LZMA chunk where reset is 0 nothing,
 * 1 state, 2 state + new properties, 3 everything including the dictionary.
 */
import { ConfigError } from "../common/errors.js";

/** Default output limit (a kernel is well below; guards against decompression bombs). */
export const MAX_OUTPUT = 1 << 30;

const corrupt = (why: string): ConfigError => new ConfigError(`xz data is corrupt: ${why}`);

// Probability array layout (offsets into one Uint16Array).
const POS_STATES = 16, STATES = 12;
const IS_MATCH = 0;
const IS_REP = IS_MATCH + STATES * POS_STATES;
const IS_REP_G0 = IS_REP + STATES;
const IS_REP_G1 = IS_REP_G0 + STATES;
const IS_REP_G2 = IS_REP_G1 + STATES;
const IS_REP0_LONG = IS_REP_G2 + STATES;
const DIST_SLOT = IS_REP0_LONG + STATES * POS_STATES;
const DIST_SPECIAL = DIST_SLOT + 4 * 64;
const ALIGN = DIST_SPECIAL + 114;
// A length coder: choice, choice2, low[16][8], mid[16][8], high[256].
const LEN_CHOICE = 0, LEN_CHOICE2 = 1, LEN_LOW = 2, LEN_MID = LEN_LOW + 16 * 8, LEN_HIGH = LEN_MID + 16 * 8;
const LEN_SIZE = LEN_HIGH + 256;
const MATCH_LEN = ALIGN + 16;
const REP_LEN = MATCH_LEN + LEN_SIZE;
const LITERAL = REP_LEN + LEN_SIZE;

export class Lzma2Decoder {
  /** Decoded output (also the dictionary); valid bytes are [0, pos). */
  out: Uint8Array;
  pos = 0;
  private _in: Uint8Array = new Uint8Array(0);
  private _inPos = 0;
  /** Range coder state as int32 bit patterns (unsigned compares via >>> 0): stays a small integer in V8. */
  private _range = 0;
  private _code = 0;
  private _probs = new Uint16Array(LITERAL + 0x300 * 16);
  private _lc = 0;
  private _lp = 0;
  private _pb = 0;
  private _state = 0;
  private _rep0 = 0;
  private _rep1 = 0;
  private _rep2 = 0;
  private _rep3 = 0;
  /** Output position of the last dictionary reset: matches may not reach before it. */
  private _dictStart = 0;
  private _needDictReset = true;
  private _needProps = true;

  /** `sizeHint`: expected output size; `maxOutput`: a ConfigError beyond this many bytes. */
  constructor(sizeHint: number, private readonly _maxOutput = MAX_OUTPUT) {
    this.out = new Uint8Array(Math.min(Math.max(sizeHint, 1 << 16), _maxOutput, 1 << 28));
  }

  /** Decode one LZMA2 stream starting at `input[offset]`; returns the offset after it. */
  decode(input: Uint8Array, offset: number): number {
    this._in = input;
    let p = offset;
    for (;;) {
      if (p >= input.length) throw corrupt("LZMA2 stream truncated");
      const ctl = input[p++]!;
      if (ctl === 0) return p;
      if (ctl === 1 || ctl === 2) {
        if (p + 2 > input.length) throw corrupt("LZMA2 chunk header truncated");
        const size = ((input[p]! << 8) | input[p + 1]!) + 1;
        p += 2;
        if (ctl === 1) this._dictReset();
        else if (this._needDictReset) throw corrupt("LZMA2 does not start with a dictionary reset");
        if (p + size > input.length) throw corrupt("LZMA2 uncompressed chunk truncated");
        this._ensure(size);
        this.out.set(input.subarray(p, p + size), this.pos);
        this.pos += size;
        p += size;
        continue;
      }
      if (ctl < 0x80) throw corrupt(`invalid LZMA2 control byte 0x${ctl.toString(16)}`);
      if (p + 4 > input.length) throw corrupt("LZMA2 chunk header truncated");
      const usize = ((ctl & 0x1f) * 65536 + ((input[p]! << 8) | input[p + 1]!)) + 1;
      const csize = ((input[p + 2]! << 8) | input[p + 3]!) + 1;
      p += 4;
      const reset = (ctl >>> 5) & 3;
      if (reset === 3) this._dictReset();
      else if (this._needDictReset) throw corrupt("LZMA2 does not start with a dictionary reset");
      if (reset >= 2) {
        if (p >= input.length) throw corrupt("LZMA2 properties truncated");
        this._setProps(input[p++]!);
      } else if (this._needProps) {
        throw corrupt("LZMA2 chunk without properties");
      }
      if (reset >= 1) this._resetState();
      if (p + csize > input.length) throw corrupt("LZMA2 compressed chunk truncated");
      this._ensure(usize);
      this._inPos = p;
      this._rcInit(p + csize);
      this._decodeChunk(this.pos + usize, p + csize);
      p += csize;
    }
  }

  private _dictReset(): void {
    this._dictStart = this.pos;
    this._needDictReset = false;
  }

  private _setProps(b: number): void {
    if (b >= 9 * 5 * 5) throw corrupt(`invalid LZMA properties byte ${b}`);
    this._pb = Math.floor(b / 45);
    this._lp = Math.floor((b % 45) / 9);
    this._lc = b % 9;
    if (this._lc + this._lp > 4) throw corrupt("LZMA2 requires lc + lp <= 4");
    this._needProps = false;
  }

  private _resetState(): void {
    this._probs.fill(1024);
    this._state = 0;
    this._rep0 = this._rep1 = this._rep2 = this._rep3 = 0;
  }

  private _ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.out.length) return;
    if (need > this._maxOutput) throw new ConfigError(`xz output exceeds ${this._maxOutput >>> 20} MiB`);
    let cap = this.out.length;
    while (cap < need) cap *= 2;
    cap = Math.min(cap, this._maxOutput);
    const n = new Uint8Array(cap);
    n.set(this.out.subarray(0, this.pos));
    this.out = n;
  }

  private _rcInit(end: number): void {
    if (this._inPos + 5 > end) throw corrupt("LZMA chunk too short for the range coder");
    if (this._in[this._inPos] !== 0) throw corrupt("range coder does not start with 0");
    this._range = -1; // 0xffffffff as int32 (range and code are kept as int32 bit patterns)
    let code = 0;
    for (let i = 1; i < 5; i++) code = code * 256 + this._in[this._inPos + i]!;
    this._inPos += 5;
    if (code === 0xffffffff) throw corrupt("invalid range coder start");
    this._code = code | 0;
  }

  /** Decode one bit with adaptive probability at probs[i]. */
  private _bit(i: number): number {
    let range = this._range, code = this._code;
    if (range >>> 24 === 0) {
      range <<= 8;
      code = (code << 8) | this._in[this._inPos++]!;
    }
    const probs = this._probs;
    const p = probs[i]!;
    const bound = Math.imul(range >>> 11, p);
    if (code >>> 0 < bound >>> 0) {
      this._range = bound;
      this._code = code;
      probs[i] = p + ((2048 - p) >>> 5);
      return 0;
    }
    this._range = (range - bound) | 0;
    this._code = (code - bound) | 0;
    probs[i] = p - (p >>> 5);
    return 1;
  }

  private _direct(count: number): number {
    let r = 0;
    let range = this._range, code = this._code;
    for (let k = 0; k < count; k++) {
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | this._in[this._inPos++]!;
      }
      range = range >>> 1;
      let bit = 0;
      if (code >>> 0 >= range) { code = (code - range) | 0; bit = 1; }
      r = r * 2 + bit;
    }
    this._range = range | 0;
    this._code = code;
    return r;
  }

  private _tree(base: number, bits: number): number {
    let m = 1;
    for (let k = 0; k < bits; k++) m = (m << 1) | this._bit(base + m);
    return m - (1 << bits);
  }

  private _reverseTree(base: number, bits: number): number {
    let m = 1, r = 0;
    for (let k = 0; k < bits; k++) {
      const b = this._bit(base + m);
      m = (m << 1) | b;
      r |= b << k;
    }
    return r;
  }

  private _len(base: number, posState: number): number {
    if (this._bit(base + LEN_CHOICE) === 0) return 2 + this._tree(base + LEN_LOW + posState * 8, 3);
    if (this._bit(base + LEN_CHOICE2) === 0) return 10 + this._tree(base + LEN_MID + posState * 8, 3);
    return 18 + this._tree(base + LEN_HIGH, 8);
  }

  private _distance(len: number): number {
    const lenState = len < 6 ? len - 2 : 3;
    const slot = this._tree(DIST_SLOT + lenState * 64, 6);
    if (slot < 4) return slot;
    const nbits = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** nbits;
    if (slot < 14) return dist + this._reverseTree(DIST_SPECIAL + dist - slot - 1, nbits);
    dist += this._direct(nbits - 4) * 16;
    return dist + this._reverseTree(ALIGN, 4);
  }

  private _literal(): void {
    const out = this.out, pos = this.pos;
    const prev = pos > this._dictStart ? out[pos - 1]! : 0;
    const lpMask = (1 << this._lp) - 1;
    const base = LITERAL + 0x300 * ((((pos - this._dictStart) & lpMask) << this._lc) + (prev >>> (8 - this._lc)));
    let sym = 1;
    if (this._state >= 7) {
      let match = out[pos - this._rep0 - 1]!;
      while (sym < 0x100) {
        const matchBit = (match >>> 7) & 1;
        match <<= 1;
        const bit = this._bit(base + ((1 + matchBit) << 8) + sym);
        sym = (sym << 1) | bit;
        if (matchBit !== bit) break;
      }
    }
    while (sym < 0x100) sym = (sym << 1) | this._bit(base + sym);
    out[this.pos++] = sym & 0xff;
    const s = this._state;
    this._state = s < 4 ? 0 : s < 10 ? s - 3 : s - 6;
  }

  private _decodeChunk(outEnd: number, inEnd: number): void {
    const pbMask = (1 << this._pb) - 1;
    while (this.pos < outEnd) {
      if (this._inPos > inEnd) throw corrupt("LZMA chunk overruns its compressed size");
      const posState = (this.pos - this._dictStart) & pbMask; // positions restart at a dictionary reset
      const s = this._state;
      if (this._bit(IS_MATCH + s * POS_STATES + posState) === 0) {
        this._literal();
        continue;
      }
      let len: number;
      if (this._bit(IS_REP + s) === 0) {
        len = this._len(MATCH_LEN, posState);
        this._state = s < 7 ? 7 : 10;
        const dist = this._distance(len);
        if (dist === 0xffffffff) throw corrupt("end marker inside an LZMA2 chunk");
        this._rep3 = this._rep2; this._rep2 = this._rep1; this._rep1 = this._rep0; this._rep0 = dist;
      } else {
        if (this._bit(IS_REP_G0 + s) === 0) {
          if (this._bit(IS_REP0_LONG + s * POS_STATES + posState) === 0) {
            this._state = s < 7 ? 9 : 11;
            this._copy(1, outEnd);
            continue;
          }
        } else {
          let dist: number;
          if (this._bit(IS_REP_G1 + s) === 0) {
            dist = this._rep1;
          } else {
            if (this._bit(IS_REP_G2 + s) === 0) dist = this._rep2;
            else { dist = this._rep3; this._rep3 = this._rep2; }
            this._rep2 = this._rep1;
          }
          this._rep1 = this._rep0;
          this._rep0 = dist;
        }
        len = this._len(REP_LEN, posState);
        this._state = s < 7 ? 8 : 11;
      }
      this._copy(len, outEnd);
    }
  }

  /** Copy `len` bytes from distance rep0 + 1 back. */
  private _copy(len: number, outEnd: number): void {
    const from = this.pos - this._rep0 - 1;
    if (from < this._dictStart) throw corrupt("match distance reaches before the dictionary");
    if (this.pos + len > outEnd) throw corrupt("match runs past the chunk's uncompressed size");
    const out = this.out;
    let src = from, dst = this.pos;
    const end = dst + len;
    while (dst < end) out[dst++] = out[src++]!;
    this.pos = end;
  }
}
