/**
 * What the CPU needs from the board: physical memory (RAM pages by their Wasm offset, MMIO
 * otherwise), the I/O port space, and its interrupt controller. The board adapts its memory
 * API (src/memory) to these; the CPU never sees device objects.
 */

import type { InterruptSource } from "../devices/cpu-interrupts.js";

export interface CpuMemoryBus {
  /**
   * Wasm-memory offset of the byte at `gpa` when it is RAM the access may use directly
   * (`write`: false for ROM), else -1 (MMIO, ROM write, unassigned).
   */
  ramWasmOffset(gpa: number, write: boolean): number;
  readMmio(gpa: number, size: 1 | 2 | 4): number;
  writeMmio(gpa: number, value: number, size: 1 | 2 | 4): void;
}

export interface CpuIoBus {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, value: number, size: 1 | 2 | 4): void;
}

export interface CpuBus {
  readonly mem: CpuMemoryBus;
  readonly io: CpuIoBus;
  /** Maskable interrupts (the local APIC, or the PIC on a board without one). */
  readonly irq: InterruptSource | null;
  /** TSC value for RDTSC as (lo, hi) from the one virtual clock. */
  readTsc(): { lo: number; hi: number };
  /** Triple fault or other CPU-initiated reset. */
  requestReset(reason: string): void;
}
