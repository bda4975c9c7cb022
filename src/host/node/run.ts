/**
 * The boot path of the Node CLI: turns validated RunOptions into a running machine (the board
 * -M names: pc or microvm), drives it in real time (virtual time follows the host clock;
 * -icount makes it deterministic), sleeps while the guest idles, and resolves to the exit
 * status: the guest's power-off code, isa-debug-exit's (v << 1) | 1, 0 for a reset with
 * -no-reboot, or 0 after `C-a x` or the monitor's `quit`. The monitor's `stop` pauses the
 * loop (no slices run, virtual time frozen) until `cont`; -S starts that way. With -gdb/-s the
 * gdbstub (gdb-server.ts) shares that run control: a host breakpoint or single-step ends the
 * slice with "debug", the loop stops and the stub sends gdb its stop reply.
 */

import { appendFileSync, readFileSync } from "node:fs";
import { ConfigError } from "../../common/errors.js";
import type { LogSink } from "../../common/log.js";
import type { Writable } from "node:stream";
import { createMachine } from "../../machine/create.js";
import type { Machine, SliceResult } from "../../machine/machine.js";
import type { VirtualClock } from "../../devices/virtual-clock.js";
import { Monitor, type RunControl } from "../../monitor/monitor.js";
import type { RunOptions } from "./args.js";
import type { CharBackend } from "../../devices/char-backend.js";
import { createCharBackend, StdioCharBackend, type InputStream } from "./char-backends.js";
import { GdbServer } from "./gdb-server.js";
import { StdioMonitor } from "./monitor-stdio.js";
import { describeSocketAddress, SocketCharBackend } from "./socket-backend.js";

/** Where the CLI writes text; injected so tests can capture it. */
export interface HostIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The terminal for `-serial stdio` and the monitor (default: process.stdin/stdout). */
  stdio?: { stdin: InputStream; stdout: Writable };
}

/**
 * Where the monitor lives: nowhere, alone on stdio, or multiplexed with the serial console
 * on stdio (focus at start on the monitor or on the console).
 */
export type MonitorPlan = "none" | "stdio" | "mux-monitor" | "mux-console";

export function monitorPlan(o: RunOptions): MonitorPlan {
  const s = o.serial.find((sp) => sp.kind === "stdio");
  if (o.monitor === "none") return "none";
  if (o.monitor === "stdio") return s ? "mux-monitor" : "stdio";
  return s && (o.nographic || s.monitor === true) ? "mux-console" : "none";
}

/** The host's side of the monitor's stop/cont/quit, which the run loop obeys. */
export class HostRunControl implements RunControl {
  running = true;
  exitCode: number | undefined;
  private _waiters: (() => void)[] = [];

  constructor(private readonly _clock: VirtualClock) {}

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this._clock.pause();
    this._wake();
  }
  cont(): void {
    if (this.running) return;
    this.running = true;
    this._clock.resume();
    this._wake();
  }
  quit(exitCode: number): void {
    this.exitCode ??= exitCode;
    this._wake();
  }
  /** Resolves at the next stop, cont or quit, or after `ms` (default: no time limit). */
  wait(ms = Infinity): Promise<void> {
    return new Promise((res) => {
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this._waiters = this._waiters.filter((w) => w !== done);
        res();
      };
      const timer = ms === Infinity ? undefined : setTimeout(done, ms);
      this._waiters.push(done);
    });
  }
  private _wake(): void {
    const w = this._waiters;
    this._waiters = [];
    for (const f of w) f();
  }
}

/** Instructions per slice between looks at host events (stdin, timers). */
const SLICE_INSNS = 500_000;
/** How long one macrotask may run guest code before yielding to the event loop. */
const YIELD_MS = 20;

function hostNowNs(): number {
  return performance.now() * 1e6;
}

function readFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ConfigError(`cannot read ${what} '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Builds and runs the machine described by `options` (kernel and initrd already checked
 * to be readable files) and resolves to the process exit code.
 */
export async function runMachine(options: RunOptions, io: HostIo): Promise<number> {
  const kernel = readFile(options.kernel!, "kernel");
  const initrd = options.initrd === undefined ? undefined : readFile(options.initrd, "initrd");
  const serialSpecs = options.serial.length ? options.serial : [{ kind: "null" as const }];
  if (serialSpecs.filter((sp) => sp.kind === "stdio").length > 1) throw new ConfigError("stdio can serve only one -serial port");
  const plan = monitorPlan(options);
  if (options.startStopped && plan === "none" && !options.gdb)
    throw new ConfigError("-S needs a monitor or gdb to continue (use -monitor stdio, or -s / -gdb tcp::PORT)");
  const streams = io.stdio ?? { stdin: process.stdin, stdout: process.stdout };
  let stdio: StdioCharBackend | undefined;
  const sharedStdio = (): StdioCharBackend => (stdio ??= new StdioCharBackend(streams.stdin, streams.stdout));
  // COM1..COM4 in -serial order; a socket server with wait=on holds the boot until its client connects.
  const serials: CharBackend[] = [];
  const closeSerials = (): void => { stdio?.dispose(); for (const b of serials) if (b !== stdio) b.dispose(); };
  try {
    for (const spec of serialSpecs) {
      const backend = spec.kind === "stdio" ? sharedStdio() : createCharBackend(spec, streams);
      serials.push(backend);
      if (backend instanceof SocketCharBackend) {
        if (backend.spec.wait) io.stderr(`tsemu: waiting for connection on ${describeSocketAddress(backend.spec.address)}\n`);
        await backend.ready;
      }
    }
  } catch (e) {
    closeSerials();
    throw e;
  }
  const logSink: LogSink = options.logFile
    ? (cat, msg) => appendFileSync(options.logFile!, `[${cat}] ${msg}\n`)
    : (cat, msg) => io.stderr(`tsemu: [${cat}] ${msg}\n`);
  const deterministic = options.icount !== undefined;
  let m: Machine;
  try {
    m = createMachine({
      board: options.machine, kernel, initrd, cmdline: options.append, memoryBytes: options.memoryBytes,
      serial: serials[0], extraSerials: serials.slice(1),
      clock: deterministic ? { mode: "deterministic" } : { mode: "realtime", hostNowNs },
      logSink, log: options.debug, noReboot: options.noReboot, nowMs: () => performance.now(),
      rtcStartMs: deterministic ? undefined : Date.now(),
    });
  } catch (e) {
    closeSerials();
    throw e;
  }
  const control = new HostRunControl(m.clock);
  if (options.startStopped) control.stop();
  let monitor: StdioMonitor | undefined;
  if (plan !== "none") {
    monitor = new StdioMonitor(sharedStdio(), new Monitor(m, control), {
      multiplexed: plan !== "stdio", startFocused: plan !== "mux-console", ending: () => control.exitCode !== undefined,
    });
  }
  stdio?.onExitRequest(() => control.quit(0));
  let gdb: GdbServer | undefined;
  try {
    if (options.gdb) {
      gdb = new GdbServer(options.gdb, m, control);
      await gdb.ready;
      if (options.gdb.port === 0) io.stderr(`tsemu: gdbstub listening on tcp:${options.gdb.host || "127.0.0.1"}:${gdb.port}\n`);
    }
    const code = await drive(m, control, gdb);
    gdb?.exited(code);
    return code;
  } finally {
    gdb?.dispose();
    monitor?.dispose();
    m.dispose();
    closeSerials();
  }
}

/**
 * Run slices, yielding to the event loop regularly (host input, the monitor) and sleeping
 * through guest idle time; while the monitor has the guest stopped, wait for it.
 */
async function drive(m: Machine, control: HostRunControl, gdb: GdbServer | undefined): Promise<number> {
  for (;;) {
    if (control.exitCode !== undefined) return control.exitCode;
    if (!control.running) {
      await control.wait();
      continue;
    }
    const start = performance.now();
    let r: SliceResult = { kind: "running" };
    while (r.kind === "running" && control.running && control.exitCode === undefined && performance.now() - start < YIELD_MS)
      r = m.runSlice(SLICE_INSNS);
    if (control.exitCode !== undefined) return control.exitCode;
    if (r.kind === "exit") return r.exitCode;
    if (r.kind === "debug") {
      control.stop();
      gdb?.debugStop(m.cpu.debug.stopCause);
      continue;
    }
    const waitMs = r.kind === "idle" ? Math.min(50, Math.max(0, (r.untilNs - m.clock.now()) / 1e6)) : 0;
    await control.wait(waitMs);
  }
}
