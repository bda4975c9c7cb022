/**
 * Access-size adaptation between the guest and a device's RegionOps (QEMU
 * memory_region_access_valid + access_with_adjusted_size):
 *  - the guest's size and alignment must fit `valid` (default {min:1,max:4}, aligned), else the
 *    access is a guest error: reads return all-ones, writes are dropped;
 *  - the size is then clamped into `impl` (default {min:1,max:4}); a wider guest access is
 *    split into impl.max-sized pieces (little-endian), a narrower one becomes one aligned
 *    impl.min-sized access whose value is shifted into place (writes send zeros in the other
 *    bytes, as QEMU does: no read-modify-write, since reads may have side effects).
 * Values are unsigned 32-bit numbers; 1, 2 and 4-byte accesses only (read64 lives in the
 * address space, which splits or forwards to RegionOps.read64).
 */

import type { Logger } from "../common/log.js";
import type { AccessSize, AccessSizes, RegionOps } from "./types.js";

const DEFAULT_SIZES: AccessSizes = { min: 1, max: 4 };

/** All-ones value of `size` bytes (1, 2 or 4). */
export function ones(size: number): number {
  return size >= 4 ? 0xffffffff : (1 << (size * 8)) - 1;
}

export function maskTo(value: number, size: number): number {
  return size >= 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
}

/** Does the guest access (offset, size) satisfy `ops.valid`? */
export function accessValid(ops: RegionOps, offset: number, size: number): boolean {
  const v = ops.valid ?? DEFAULT_SIZES;
  if (size < v.min || size > v.max) return false;
  return v.unaligned === true || offset % size === 0;
}

function implSize(ops: RegionOps, size: number): AccessSize {
  const i = ops.impl ?? DEFAULT_SIZES;
  const max = Math.min(i.max, 4);
  return Math.max(Math.min(size, max), Math.min(i.min, max)) as AccessSize;
}

/** Dispatch a guest read of 1, 2 or 4 bytes to `ops`, adapting sizes. */
export function dispatchRead(ops: RegionOps, offset: number, size: AccessSize, log: Logger, where: string): number {
  if (!accessValid(ops, offset, size)) {
    log.guestError(`${where}: invalid ${size}-byte read at offset 0x${offset.toString(16)}`, `invalid-read ${where}`);
    return ones(size);
  }
  const a = implSize(ops, size);
  if (a === size) return maskTo(ops.read(offset, a), size);
  if (a > size) {
    const unaligned = ops.impl?.unaligned === true;
    const base = unaligned ? offset : offset - (offset % a);
    const shift = (offset - base) * 8;
    return maskTo(ops.read(base, a) >>> shift, size);
  }
  let v = 0;
  for (let i = 0; i < size; i += a) v += maskTo(ops.read(offset + i, a), a) * 2 ** (i * 8);
  return v >>> 0;
}

/** Dispatch a guest write of 1, 2 or 4 bytes to `ops`, adapting sizes. */
export function dispatchWrite(ops: RegionOps, offset: number, value: number, size: AccessSize, log: Logger, where: string): void {
  if (!accessValid(ops, offset, size)) {
    log.guestError(`${where}: invalid ${size}-byte write at offset 0x${offset.toString(16)}`, `invalid-write ${where}`);
    return;
  }
  const v = maskTo(value, size);
  const a = implSize(ops, size);
  if (a === size) {
    ops.write(offset, v, a);
    return;
  }
  if (a > size) {
    const unaligned = ops.impl?.unaligned === true;
    const base = unaligned ? offset : offset - (offset % a);
    ops.write(base, (v << ((offset - base) * 8)) >>> 0, a);
    return;
  }
  for (let i = 0; i < size; i += a) ops.write(offset + i, maskTo(Math.floor(v / 2 ** (i * 8)), a), a);
}
