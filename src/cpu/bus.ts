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

/**
 * Optional board hooks for the local APIC's CPU-side registers: IA32_APIC_BASE (0x1B), the
 * x2APIC MSRs 0x800..0x8FF and IA32_TSC_DEADLINE (0x6E0), and CR8 (= TPR bits 7:4).
 */
export interface CpuApicBus {
  /** The MSR as (lo, hi), or null/undefined when it does not exist in the current APIC mode (→ #GP). */
  readMsr(msr: number): { lo: number; hi: number } | null | undefined;
  /** Returns false to refuse the write (→ #GP): reserved bits, read-only register, wrong mode. */
  writeMsr(msr: number, lo: number, hi: number): boolean;
  /** CR8 reads and writes (0..15). */
  getTpr?(): number;
  setTpr?(cr8: number): void;
}

export interface CpuBus {
  readonly mem: CpuMemoryBus;
  readonly io: CpuIoBus;
  /** Maskable interrupts (the local APIC, or the PIC on a board without one). */
  readonly irq: InterruptSource | null;
  /** TSC value for RDTSC as (lo, hi) from the one virtual clock. */
  readTsc(): { lo: number; hi: number };
  /** The local APIC's MSRs and TPR, when the board has one (else the CPU keeps IA32_APIC_BASE itself). */
  readonly apic?: CpuApicBus;
  /** Triple fault or other CPU-initiated reset. */
  requestReset(reason: string): void;
  /**
   * FERR#: a waiting x87 instruction found an unmasked exception pending with CR0.NE = 0 (a PC
   * routes it to IRQ 13). Absent on a board without the route.
   */
  fpuError?(): void;
}
