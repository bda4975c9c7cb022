/**
 * Little-endian byte access for loaders: a bounds-checked reader over untrusted images (every
 * failure is a ConfigError naming what was being read) and a struct writer for the tables the
 * loaders build. 64-bit fields are JS numbers < 2^53 split into (lo, hi) halves; no BigInt.
 */
import { ConfigError } from "../common/errors.js";

const TWO32 = 0x1_0000_0000;

/** Bounds-checked little-endian reader over an image; `what` names the image in errors. */
export class ByteReader {
  private readonly _dv: DataView;
  constructor(readonly bytes: Uint8Array, readonly what: string) {
    this._dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  private _check(off: number, len: number, field: string): void {
    if (!Number.isSafeInteger(off) || off < 0 || off + len > this.bytes.length) {
      throw new ConfigError(`${this.what} truncated: ${field} at offset 0x${off.toString(16)} is past the end (${this.bytes.length} bytes)`);
    }
  }
  u8(off: number, field = "byte"): number {
    this._check(off, 1, field);
    return this._dv.getUint8(off);
  }
  u16(off: number, field = "u16"): number {
    this._check(off, 2, field);
    return this._dv.getUint16(off, true);
  }
  u32(off: number, field = "u32"): number {
    this._check(off, 4, field);
    return this._dv.getUint32(off, true);
  }
  /** A u64 that must fit in 2^53 (addresses, sizes); larger values are a ConfigError. */
  u64(off: number, field = "u64"): number {
    this._check(off, 8, field);
    const lo = this._dv.getUint32(off, true), hi = this._dv.getUint32(off + 4, true);
    if (hi >= 0x20_0000) throw new ConfigError(`${this.what}: ${field} 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} is too large`);
    return hi * TWO32 + lo;
  }
  /**
   * A u64 virtual address as a canonical sign-extended number (0xffffffff81000000 is
   * -0x7f000000, docs/ARCHITECTURE.md "One Wasm memory"); ConfigError beyond +-2^53.
   */
  vaddr64(off: number, field = "address"): number {
    this._check(off, 8, field);
    const lo = this._dv.getUint32(off, true), hi = this._dv.getUint32(off + 4, true);
    if (hi < 0x20_0000) return hi * TWO32 + lo;
    if (hi >= 0xffe0_0000) return (hi - TWO32) * TWO32 + lo;
    throw new ConfigError(`${this.what}: ${field} 0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")} is not a canonical address`);
  }
  slice(off: number, len: number, field = "data"): Uint8Array {
    this._check(off, len, field);
    return this.bytes.subarray(off, off + len);
  }
  ascii(off: number, len: number, field = "string"): string {
    return String.fromCharCode(...this.slice(off, len, field));
  }
}

/** Little-endian struct writer over a fresh zeroed buffer. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly _dv: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this._dv = new DataView(this.bytes.buffer);
  }
  u8(off: number, v: number): this {
    this._dv.setUint8(off, v);
    return this;
  }
  u16(off: number, v: number): this {
    this._dv.setUint16(off, v, true);
    return this;
  }
  u32(off: number, v: number): this {
    this._dv.setUint32(off, v >>> 0, true);
    return this;
  }
  /** v: a non-negative integer < 2^53. */
  u64(off: number, v: number): this {
    this._dv.setUint32(off, v % TWO32, true);
    this._dv.setUint32(off + 4, Math.floor(v / TWO32), true);
    return this;
  }
  set(off: number, data: Uint8Array | readonly number[]): this {
    this.bytes.set(data, off);
    return this;
  }
  ascii(off: number, s: string): this {
    for (let i = 0; i < s.length; i++) this.bytes[off + i] = s.charCodeAt(i) & 0xff;
    return this;
  }
}

/** Checked arithmetic for image-controlled values: a + b must stay a safe integer. */
export function checkedAdd(a: number, b: number, what: string): number {
  const r = a + b;
  if (!Number.isSafeInteger(r)) throw new ConfigError(`${what}: arithmetic overflow`);
  return r;
}

export function alignUp(v: number, align: number): number {
  return Math.ceil(v / align) * align;
}

export function alignDown(v: number, align: number): number {
  return Math.floor(v / align) * align;
}

/** "12 MiB" / "300 KiB" / "17 bytes" for error messages. */
export function fmtSize(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}

export function hex(n: number): string {
  return "0x" + n.toString(16);
}

/** The command line as NUL-terminated bytes (Latin-1; boot protocols are ASCII). */
export function cstring(s: string): Uint8Array {
  const b = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}
