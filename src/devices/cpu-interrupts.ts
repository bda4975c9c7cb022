/**
 * The CPU side of interrupt delivery, as seen by the local APIC (and, through LINT0/ExtINT,
 * the 8259 PIC). The LAPIC tells the CPU that something is pending; at an instruction
 * boundary with IF=1 the CPU calls `ackInterrupt()` on its InterruptSource to get the vector.
 */

export interface CpuInterruptSink {
  /** The maskable INTR condition changed (the CPU polls it at block boundaries). */
  setInterruptPending(pending: boolean): void;
  nmi(): void;
  /** INIT IPI / INIT assertion: the CPU enters wait-for-SIPI (APs) or resets (BSP INIT). */
  init(): void;
  /** Startup IPI with the 8-bit vector (start at vector << 12 in real mode). */
  sipi(vector: number): void;
}

export interface InterruptSource {
  /** Is a maskable interrupt deliverable now? */
  hasInterrupt(): boolean;
  /** Accept the highest-priority pending interrupt; returns its vector (0-255). */
  ackInterrupt(): number;
}
