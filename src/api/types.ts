/**
 * The public surface of tsemu as a library (`import { createMachine } from "tsemu"`): the
 * options a test harness passes, the Machine it gets back and what `run()` resolves to.
 * Everything here is host-neutral; hosts inject what needs a host (a clock for real time).
 */

import type { IDisposable, Event } from "../common/lifecycle.js";
import type { LogCategory, LogSink } from "../common/log.js";
import type { JitStats } from "../jit/jit-info.js";

export type { IDisposable, Event, LogCategory, LogSink, JitStats };

export interface MachineOptions {
  /** A bzImage, a PVH vmlinux (ELF) or a multiboot image. */
  kernel: Uint8Array;
  initrd?: Uint8Array;
  /** The kernel command line (e.g. "console=ttyS0"). */
  append?: string;
  /** Guest RAM: bytes, or "512M" / "2G" / "65536K" (a bare number string means MiB). Default 512M. */
  memory?: number | string;
  /** "pc" (default: i440FX-style PC with PCI and ACPI) or "microvm". */
  board?: "pc" | "microvm";
  /**
   * "deterministic" (default): virtual time advances with guest instructions, so the same
   * inputs give the same run. "realtime": virtual time follows `now` while `run()` runs.
   */
  clock?: "deterministic" | "realtime";
  /** The host's monotonic clock in ms (`performance.now`); required for clock "realtime". */
  now?: () => number;
  /** Serial ports COM1..COMn (1..4, default 1); `machine.serial(i)` is COM(i+1). */
  serialPorts?: number;
  /** Treat a guest reset as an exit (QEMU -no-reboot). */
  noReboot?: boolean;
  /** Guest wall-clock time at power-on for the RTC, Unix ms (default 2026-01-01, fixed for determinism). */
  rtcStartMs?: number;
  /** Where log lines go (default: nowhere) and which trace categories to enable besides guest_error/unimp. */
  logSink?: LogSink;
  log?: LogCategory[];
}

/** A serial port of the machine, seen from the host. */
export interface SerialPort {
  /** Fires with every chunk of bytes the guest transmits. */
  readonly onData: Event<Uint8Array>;
  /** Send bytes to the guest (a string is UTF-8 encoded). They arrive while the machine runs. */
  write(data: Uint8Array | string): void;
  /** Everything the guest has transmitted so far, decoded as UTF-8. */
  readonly text: string;
  /** Everything the guest has transmitted so far, as bytes. */
  readonly bytes: Uint8Array;
}

export interface RunOptions {
  /**
   * Stop when this text (or a match of this pattern) appears in the watched port's output
   * after the end of the previous match on that port (so consecutive waits read on, like expect).
   */
  until?: string | RegExp;
  /** The serial port `until` watches (default 0, COM1). */
  port?: number;
  /** Stop after about this many guest instructions of this call (a "timeout" result). */
  maxInstructions?: number;
  /** Stop when aborted (a "timeout" result); `AbortSignal.timeout(ms)` gives a wall-clock limit. */
  signal?: AbortSignalLike;
}

/** The part of an AbortSignal that run() uses (Node's and the DOM's both fit). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener?(type: "abort", listener: () => void): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

export type RunResult =
  /**
   * The guest powered off (ACPI or isa-debug-exit: code (v << 1) | 1) or reset with noReboot.
   * Once exited, the machine stays exited: further runs resolve to the same result.
   */
  | { kind: "exit"; exitCode: number; reason: string }
  /** `until` matched: `match` is the matched text, `output` the port's text from the previous match's end through this one. */
  | { kind: "match"; match: string; output: string }
  /** maxInstructions ran out, or the signal aborted. */
  | { kind: "timeout"; by: "instructions" | "signal" };

export interface MachineStats {
  /** Guest instructions retired since power-on. */
  readonly instructions: number;
  /** Virtual time since power-on, ns. */
  readonly virtualTimeNs: number;
  /** A snapshot of the JIT's counters (QEMU `info jit`). */
  jitStats(): JitStats;
}

/** One emulated computer. Create many; dispose each. */
export interface Machine extends IDisposable {
  readonly board: "pc" | "microvm";
  /** Serial port `index` (0 = COM1). Throws a ConfigError for a port the machine does not have. */
  serial(index: number): SerialPort;
  /** Run the guest until it exits, `until` matches, or a limit is hit. Yields to the event loop as it goes. */
  run(options?: RunOptions): Promise<RunResult>;
  /**
   * Run until `text` appears on the port (default COM1) and return the output since the
   * previous match through it; throws if the guest exits or a limit is hit first.
   */
  waitFor(text: string | RegExp, options?: Omit<RunOptions, "until">): Promise<string>;
  /** The exit status once the guest has exited, else undefined. */
  readonly exitCode: number | undefined;
  readonly stats: MachineStats;
  /** Release the machine (Wasm memory, timers, listeners). Idempotent; a run() under way rejects. */
  dispose(): void;
  readonly isDisposed: boolean;
}
