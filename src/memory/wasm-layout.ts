/**
 * The one WebAssembly.Memory that holds guest RAM, CPU state, the softmmu TLB and the jump
 * cache, so generated code reaches all of them with plain loads and stores.
 *
 *   0x0000_0000  zero page (never guest data; null-pointer guard for helpers)
 *   0x0000_1000  CPU state (src/cpu/state-layout.ts), 8 KiB
 *   0x0000_4000  helper scratch, 48 KiB (page-crossing access buffers, call arguments)
 *   0x0001_0000  softmmu TLB: TLB_MODES x TLB_ENTRIES entries of TLB_ENTRY_BYTES
 *   0x0009_0000  jump cache: JMP_CACHE_ENTRIES entries of JMP_CACHE_ENTRY_BYTES
 *   0x000A_0000  JIT statistics counters (i64, JitCounter) that generated code increments
 *   0x000A_1000  TB validity words: one i32 per function-table slot, non-zero while the block
 *                in that slot is live (chained entries check it; src/jit/wasm/backend.ts)
 *   0x0100_0000  guest physical RAM: gpa g (g < below-4G RAM size) lives at RAM_BASE + g
 *
 * wasm32 limits the memory to 4 GiB, so guest RAM is at most 4 GiB - 16 MiB; the PC board
 * keeps all RAM below the 4 GiB PCI hole up to 3.5 GiB (QEMU's i440fx split).
 *
 * TLB entry (32 bytes, little-endian), as QEMU's CPUTLBEntry:
 *   +0  i64 tagRead   page-aligned virtual address for reads, or a value with low flag bits
 *   +8  i64 tagWrite  the same for writes
 *   +16 i64 tagCode   the same for instruction fetch
 *   +24 i32 addend    (wasm offset of the physical page) - (low 32 bits of the virtual page)
 *   +28 i32 physPage  guest-physical page number (gpa >>> 12), for the slow path and SMC
 * The fast path: idx = (va >>> 12) & (TLB_ENTRIES - 1); hit when the page of the access's
 * LAST byte equals the tag, so page-crossing accesses and flagged entries both miss.
 */

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/* Sizes and counts here may coincide (4096 entries, 4 KiB pages): duplicates are intended. */
/* eslint-disable @typescript-eslint/no-duplicate-enum-values */
export const enum WasmLayout {
  STATE_BASE = 0x1000,
  STATE_SIZE = 0x2000,
  SCRATCH_BASE = 0x4000,
  SCRATCH_SIZE = 0xc000,
  TLB_BASE = 0x10000,
  TLB_MODES = 2, // 0: supervisor (CPL 0-2), 1: user (CPL 3)
  TLB_ENTRIES = 4096,
  TLB_ENTRY_BYTES = 32,
  TLB_MODE_BYTES = 4096 * 32,
  JMP_CACHE_BASE = 0x90000,
  JMP_CACHE_ENTRIES = 4096,
  JMP_CACHE_ENTRY_BYTES = 16,
  RUNTIME_BASE = 0xa0000,
  JIT_COUNTERS_BASE = 0xa0000,
  TB_VALID_BASE = 0xa1000,
  /** Table slots a validity word exists for: (RAM_BASE - TB_VALID_BASE) / 4. */
  TB_VALID_SLOTS = (0x0100_0000 - 0xa1000) / 4,
  RAM_BASE = 0x0100_0000,
  WASM_PAGE = 0x10000,
}
/* eslint-enable @typescript-eslint/no-duplicate-enum-values */

/** i64 counters at JIT_COUNTERS_BASE + 8 * index, incremented only with the backend's `stats` option. */
export const enum JitCounter {
  /** Dispatcher jump-cache lookups that found the block. */
  JC_HIT = 0,
  /** Direct block-to-block jumps taken (linked exits). */
  CHAINED = 1,
  /** Guest loads and stores that hit the inline TLB fast path. */
  TLB_HIT = 2,
  COUNT = 3,
}

/** TLB tag flag bits (low page bits; any set bit forces the slow path). */
export const enum TlbFlag {
  INVALID = 1 << 0, // empty entry
  MMIO = 1 << 1, // page is not RAM: dispatch through the AddressSpace
  CODE = 1 << 2, // page holds translated code: writes must invalidate (write tag only)
  WATCH = 1 << 3, // debug watchpoint on the page
}
