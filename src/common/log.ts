/**
 * Logging by category, rate-limited, host-neutral (QEMU's -d categories).
 * - guest_error: the guest did something wrong (bad register, bad offset). Never throw for these.
 * - unimp: an unimplemented feature the guest touched; logged once per message key.
 * - Other categories are traces, enabled per machine (e.g. `-d int,cpu_reset,pic`).
 * The sink is injected by the host adapter (stderr in Node, console in the browser, a
 * capturing array in tests). Nothing here is global: each Machine owns its Logger.
 */

export type LogCategory =
  | "guest_error" | "unimp" | "int" | "exec" | "cpu" | "mmu" | "jit" | "ioport" | "mmio"
  | "pic" | "pit" | "apic" | "ioapic" | "serial" | "rtc" | "pci" | "acpi" | "boot" | "virtio";

export type LogSink = (category: LogCategory, message: string) => void;

export class Logger {
  private readonly _enabled = new Set<LogCategory>(["guest_error", "unimp"]);
  private readonly _onceKeys = new Set<string>();
  private readonly _counts = new Map<string, number>();
  /** Messages with the same key beyond this count are suppressed (rate limit). */
  maxRepeats = 20;

  constructor(private readonly _sink: LogSink = () => {}) {}

  enable(...cats: LogCategory[]): void { for (const c of cats) this._enabled.add(c); }
  disable(...cats: LogCategory[]): void { for (const c of cats) this._enabled.delete(c); }
  isEnabled(cat: LogCategory): boolean { return this._enabled.has(cat); }

  /** Log; `key` groups repeats for rate limiting (defaults to the message). */
  log(cat: LogCategory, message: string, key: string = message): void {
    if (!this._enabled.has(cat)) return;
    const n = (this._counts.get(key) ?? 0) + 1;
    this._counts.set(key, n);
    if (n > this.maxRepeats) return;
    this._sink(cat, n === this.maxRepeats ? `${message} (further repeats suppressed)` : message);
  }

  guestError(message: string, key?: string): void { this.log("guest_error", message, key); }

  /** Log an unimplemented feature once per key. */
  unimp(message: string, key: string = message): void {
    if (this._onceKeys.has(key)) return;
    this._onceKeys.add(key);
    this.log("unimp", message, key);
  }
}

/** A logger that discards everything; for unit tests that do not look at logs. */
export const nullLogger = (): Logger => new Logger();
