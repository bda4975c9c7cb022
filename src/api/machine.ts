/**
 * The library's Machine: a board (src/machine) behind the public interface of types.ts. `run()`
 * drives `runSlice()` in batches and yields to the event loop between them, so a harness can
 * run many machines, type into them and time out from one thread; while the guest idles it
 * sleeps (real time) or waits for serial input (deterministic time with nothing armed).
 */

import { ConfigError } from "../common/errors.js";
import { createMachine as createBoard, type BoardMachineInfo } from "../machine/create.js";
import type { SliceResult } from "../machine/machine.js";
import { sleep, yieldToHost } from "./host-timers.js";
import { resolveOptions } from "./options.js";
import { ApiSerialPort } from "./serial.js";
import type { Machine, MachineOptions, MachineStats, RunOptions, RunResult, SerialPort } from "./types.js";

/** Instructions per runSlice call. */
const SLICE_INSNS = 500_000;
/** Without a host clock: slices per batch between yields to the event loop. */
const SLICES_PER_BATCH = 8;
/** With a host clock: ms of guest execution per batch. */
const BATCH_MS = 20;
/** Longest idle sleep before looking again (real time), ms. */
const MAX_IDLE_MS = 50;

/** Create a machine: validates `options` (ConfigError with a one-line message), builds the board, loads the kernel. */
export function createMachine(options: MachineOptions): Machine {
  return new ApiMachine(options);
}

class ApiMachine implements Machine {
  readonly board: "pc" | "microvm";
  private readonly _m: BoardMachineInfo;
  private readonly _ports: ApiSerialPort[];
  private readonly _nowMs: (() => number) | undefined;
  private readonly _realtime: boolean;
  private _exit: { kind: "exit"; exitCode: number; reason: string } | undefined;
  private _running = false;
  private _disposed = false;
  private _wake: () => void = () => {};

  constructor(options: MachineOptions) {
    const o = resolveOptions(options);
    this.board = o.board;
    this._nowMs = o.nowMs;
    this._realtime = o.realtime;
    this._ports = Array.from({ length: o.serialPorts }, () => new ApiSerialPort());
    for (const p of this._ports) p.onHostWrite = () => this._wake();
    const now = o.nowMs;
    try {
      this._m = createBoard({
        board: o.board, kernel: o.kernel, initrd: o.initrd, cmdline: o.append, memoryBytes: o.memoryBytes,
        serial: this._ports[0]!.backend, extraSerials: this._ports.slice(1).map((p) => p.backend),
        clock: now && o.realtime ? { mode: "realtime", hostNowNs: () => now() * 1e6 } : { mode: "deterministic" },
        noReboot: o.noReboot, rtcStartMs: o.rtcStartMs, logSink: options.logSink, log: options.log,
        ...(now ? { nowMs: now } : {}),
      });
    } catch (e) {
      for (const p of this._ports) p.dispose();
      throw e;
    }
    // Virtual time runs only inside run().
    if (o.realtime) this._m.clock.pause();
  }

  serial(index: number): SerialPort {
    const p = this._ports[index];
    if (!Number.isInteger(index) || !p) throw new ConfigError(`serial(${index}): the machine has serial ports 0..${this._ports.length - 1}`);
    return p;
  }

  get exitCode(): number | undefined { return this._exit?.exitCode; }
  get isDisposed(): boolean { return this._disposed; }

  get stats(): MachineStats {
    const m = this._m;
    return {
      instructions: m.cpu.stats.insnsRetired,
      virtualTimeNs: m.clock.now(),
      jitStats: () => m.cpu.jitStats(),
    };
  }

  async waitFor(text: string | RegExp, options: Omit<RunOptions, "until"> = {}): Promise<string> {
    const r = await this.run({ ...options, until: text });
    if (r.kind === "match") return r.output;
    const what = r.kind === "exit" ? `the guest exited (status ${r.exitCode}: ${r.reason})` : `timed out (${r.by === "signal" ? "aborted" : "maxInstructions"})`;
    const port = options.port ?? 0;
    throw new Error(`waitFor(${String(text)}): ${what}; COM${port + 1} ends with: ${JSON.stringify(this.serial(port).text.slice(-200))}`);
  }

  async run(options: RunOptions = {}): Promise<RunResult> {
    if (this._disposed) throw new Error("run(): the machine is disposed");
    if (this._running) throw new Error("run(): this machine is already running");
    const { until, maxInstructions = Infinity, signal, port = 0 } = options;
    const watched = this.serial(port) as ApiSerialPort;
    if (until !== undefined && typeof until !== "string" && !(until instanceof RegExp)) throw new ConfigError("run: until must be a string or a RegExp");
    if (typeof maxInstructions !== "number" || !(maxInstructions > 0)) throw new ConfigError(`run: maxInstructions must be a positive number, not ${String(maxInstructions)}`);
    const matcher = until === undefined ? undefined : matcherOn(watched, until);
    this._running = true;
    if (this._realtime) this._m.clock.resume();
    const onAbort = (): void => this._wake();
    signal?.addEventListener?.("abort", onAbort);
    try {
      return await this._drive(watched, matcher, maxInstructions, signal);
    } finally {
      signal?.removeEventListener?.("abort", onAbort);
      this._running = false;
      if (this._realtime && !this._disposed) this._m.clock.pause();
    }
  }

  private async _drive(watched: ApiSerialPort, match: (() => RunResult | undefined) | undefined, maxInsns: number, signal: RunOptions["signal"]): Promise<RunResult> {
    const m = this._m, nowMs = this._nowMs;
    const start = m.cpu.stats.insnsRetired;
    let seen = -1;
    const check = (): RunResult | undefined => {
      this._rethrowListenerErrors();
      if (match && watched.byteLength !== seen) {
        seen = watched.byteLength;
        const r = match();
        if (r) return r;
      }
      if (this._exit) return this._exit;
      if (signal?.aborted) return { kind: "timeout", by: "signal" };
      if (m.cpu.stats.insnsRetired - start >= maxInsns) return { kind: "timeout", by: "instructions" };
      return undefined;
    };
    for (;;) {
      let done = check();
      if (done) return done;
      // One batch of slices, then yield.
      let r: SliceResult = { kind: "running" };
      const t0 = nowMs?.() ?? 0;
      for (let i = 0; r.kind === "running"; i++) {
        if (nowMs ? nowMs() - t0 >= BATCH_MS : i >= SLICES_PER_BATCH) break;
        const left = maxInsns - (m.cpu.stats.insnsRetired - start);
        r = m.runSlice(Math.max(1, Math.min(SLICE_INSNS, left)));
        if (r.kind === "exit") this._exit = { kind: "exit", exitCode: r.exitCode, reason: r.reason };
        done = check();
        if (done) return done;
      }
      if (r.kind === "idle") {
        // Real time: sleep until the next timer (capped); deterministic with nothing armed: wait for input.
        const ms = this._realtime ? Math.min(MAX_IDLE_MS, (r.untilNs - m.clock.now()) / 1e6) : MAX_IDLE_MS * 20;
        const s = sleep(ms);
        this._wake = s.wake;
        await s.done;
        this._wake = () => {};
      } else await yieldToHost();
      if (this._disposed) throw new Error("run(): the machine was disposed while running");
    }
  }

  private _rethrowListenerErrors(): void {
    for (const p of this._ports) {
      if (p.listenerErrors.length) throw p.listenerErrors.splice(0)[0];
    }
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._m.dispose();
    for (const p of this._ports) p.dispose();
    this._wake();
  }
}

/** A search of the port's text from its cursor; on a match the cursor moves past it. */
function matcherOn(port: ApiSerialPort, until: string | RegExp): () => RunResult | undefined {
  if (typeof until === "string") {
    let scanned = port.cursor;
    return () => {
      const text = port.text, from = port.cursor;
      const at = text.indexOf(until, Math.max(from, scanned - until.length + 1));
      scanned = text.length;
      if (at < 0) return undefined;
      port.cursor = at + until.length;
      return { kind: "match", match: until, output: text.slice(from, port.cursor) };
    };
  }
  const re = new RegExp(until.source, until.flags.replace(/[gy]/g, ""));
  return () => {
    const text = port.text, from = port.cursor;
    const found = re.exec(text.slice(from));
    if (!found) return undefined;
    port.cursor = from + found.index + found[0].length;
    return { kind: "match", match: found[0], output: text.slice(from, port.cursor) };
  };
}
