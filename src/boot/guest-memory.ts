/**
 * GuestMemory: the only way a boot loader touches the guest. Loaders write blobs at guest
 * physical addresses; the board implements this over its RAM later, tests use
 * ArrayGuestMemory. Only RAM below 4 GiB is addressable (wasm32 caps RAM, see
 * src/memory/wasm-layout.ts), so addresses are plain numbers < 2^32.
 */
import { ConfigError } from "../common/errors.js";

export interface GuestMemory {
  /** Bytes of RAM below 4 GiB (addresses [0, size) that are backed by RAM). */
  readonly size: number;
  /** Copy `bytes` to guest physical address `gpa`; throws ConfigError when out of RAM. */
  write(gpa: number, bytes: Uint8Array): void;
  /** Read `len` bytes at `gpa` (a copy). */
  read(gpa: number, len: number): Uint8Array;
}

/** A GuestMemory over a plain Uint8Array (tests, tools). */
export class ArrayGuestMemory implements GuestMemory {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  get size(): number {
    return this.bytes.length;
  }
  write(gpa: number, bytes: Uint8Array): void {
    checkRange(this.size, gpa, bytes.length);
    this.bytes.set(bytes, gpa);
  }
  read(gpa: number, len: number): Uint8Array {
    checkRange(this.size, gpa, len);
    return this.bytes.slice(gpa, gpa + len);
  }
}

/** ConfigError unless [gpa, gpa+len) lies inside [0, size). */
export function checkRange(size: number, gpa: number, len: number): void {
  if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(len) || gpa < 0 || len < 0 || gpa + len > size) {
    throw new ConfigError(`guest write of ${len} bytes at 0x${gpa.toString(16)} is outside ${size >>> 20} MiB of RAM`);
  }
}
