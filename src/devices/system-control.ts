/**
 * What devices may ask of the machine as a whole: reset (i8042 0xFE, port 0xCF9, triple
 * fault) and power-off (ACPI S5, isa-debug-exit). The board implements it; the run loop acts
 * on the request at the next block boundary (never re-entrantly from a device callback).
 */

export type ShutdownCause =
  | { kind: "reset"; reason: string }
  | { kind: "poweroff"; reason: string; exitCode: number };

export interface SystemControl {
  requestReset(reason: string): void;
  /** exitCode: the process exit status tsemu should return (isa-debug-exit: (value << 1) | 1). */
  requestPowerOff(reason: string, exitCode?: number): void;
}
