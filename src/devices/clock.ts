/**
 * The contract of the one virtual clock that drives every timer (PIT, HPET, RTC, LAPIC,
 * ACPI PM timer) and the TSC, so that the kernel's TSC calibration against the PIT is
 * always consistent. Time is in nanoseconds as a JS number (exact to 2^53 ns, 104 days).
 *
 * Two modes:
 *  - "realtime": virtual time follows the host's monotonic clock (while running).
 *  - "deterministic": virtual time advances with executed guest instructions
 *    (QEMU -icount style), so the same guest run gives the same output.
 * While the CPU halts with interrupts enabled, the run loop jumps virtual time to the next
 * deadline (deterministic) or sleeps the host until it (realtime).
 */

import type { IDisposable } from "../common/lifecycle.js";

export type ClockMode = "realtime" | "deterministic";

export interface Timer extends IDisposable {
  /** Arm (or re-arm) to fire once when virtual time reaches `deadlineNs`. */
  setDeadline(deadlineNs: number): void;
  cancel(): void;
  readonly armed: boolean;
  readonly deadlineNs: number;
}

export interface VirtualClock {
  readonly mode: ClockMode;
  /** Current virtual time in ns since machine start. */
  now(): number;
  /** Create a timer whose callback runs from the machine's run loop (never re-entrantly). */
  newTimer(callback: (nowNs: number) => void): Timer;
  /** Earliest armed deadline, or Infinity. */
  nextDeadline(): number;
}
