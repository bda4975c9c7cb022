/**
 * The contract between the memory API and devices (QEMU MemoryRegionOps, typed).
 * A device implements RegionOps and sees only offsets within its region, in bytes;
 * the AddressSpace adapts access sizes from `valid` to `impl` (splitting or merging)
 * so a device with impl {min:1,max:1} never sees a wider access. 8-byte accesses to
 * MMIO are split into two 4-byte ones unless impl.max is 8: devices never see a bigint;
 * an 8-byte value travels as (lo, hi) 32-bit halves through read64/write64 only when
 * impl.max is 8.
 */

/** Access sizes are always in bytes. */
export type AccessSize = 1 | 2 | 4 | 8;

export interface AccessSizes {
  min: AccessSize;
  max: AccessSize;
  /** Whether unaligned accesses are accepted (valid) or implemented (impl). */
  unaligned?: boolean;
}

export interface RegionOps {
  /** Read `size` bytes (1, 2 or 4) at `offset`; returns the value zero-extended (unsigned 32-bit). */
  read(offset: number, size: AccessSize): number;
  /** Write the low `size` bytes (1, 2 or 4) of `value` at `offset`. */
  write(offset: number, value: number, size: AccessSize): void;
  /** Access sizes the guest may use; others are guest errors (read all-ones, writes ignored). */
  valid?: AccessSizes;
  /** Access sizes the implementation handles; the core splits or merges to fit. */
  impl?: AccessSizes;
  /**
   * Optional 8-byte access as (lo, hi) halves, used only when both valid.max and impl.max
   * are 8; otherwise the core splits an 8-byte access into two 4-byte ones (lo first).
   */
  read64?(offset: number): U64;
  write64?(offset: number, lo: number, hi: number): void;
}

/** A 64-bit value as two unsigned 32-bit halves (no BigInt on any path). */
export interface U64 {
  lo: number;
  hi: number;
}
