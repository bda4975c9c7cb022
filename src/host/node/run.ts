/**
 * The boot path of the Node CLI: turns validated RunOptions into a running machine (-M pc or microvm), drives
 * it in real time (virtual time follows the host clock; -icount makes it deterministic),
 * sleeps while the guest idles, and resolves to the exit status: the guest's power-off code,
 * isa-debug-exit's (v << 1) | 1, 0 for a reset with -no-reboot, or 0 after `C-a x`.
 */

import { appendFileSync, readFileSync } from "node:fs";
import { ConfigError } from "../../common/errors.js";
import type { LogSink } from "../../common/log.js";
import { createMachine } from "../../machine/create.js";
import type { SliceResult } from "../../machine/machine.js";
import type { RunOptions } from "./args.js";
import { createCharBackend, StdioCharBackend } from "./char-backends.js";

/** Where the CLI writes text; injected so tests can capture it. */
export interface HostIo {
  stdout(text: string): void;
  stderr(text: string): void;
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
  const serialSpec = options.serial[0] ?? { kind: "null" as const };
  const serial = createCharBackend(serialSpec, { stdin: process.stdin, stdout: process.stdout });
  const logSink: LogSink = options.logFile
    ? (cat, msg) => appendFileSync(options.logFile!, `[${cat}] ${msg}\n`)
    : (cat, msg) => io.stderr(`tsemu: [${cat}] ${msg}\n`);
  const deterministic = options.icount !== undefined;
  const m = createMachine({
    board: options.machine, kernel, initrd, cmdline: options.append, memoryBytes: options.memoryBytes, serial,
    clock: deterministic ? { mode: "deterministic" } : { mode: "realtime", hostNowNs },
    logSink, log: options.debug, noReboot: options.noReboot, nowMs: () => performance.now(),
    rtcStartMs: deterministic ? undefined : Date.now(),
  });
  let userExit = false;
  if (serial instanceof StdioCharBackend) serial.onExitRequest(() => { userExit = true; m.cpu.requestStop(); });
  try {
    return await drive(m.runSlice.bind(m), () => userExit, (ns) => ns - m.clock.now());
  } finally {
    m.dispose();
    serial.dispose();
  }
}

/** Run slices, yielding to the event loop regularly and sleeping through guest idle time. */
async function drive(runSlice: (n: number) => SliceResult, userExit: () => boolean, nsUntil: (ns: number) => number): Promise<number> {
  for (;;) {
    const start = performance.now();
    let r: SliceResult = { kind: "running" };
    while (r.kind === "running" && !userExit() && performance.now() - start < YIELD_MS) r = runSlice(SLICE_INSNS);
    if (userExit()) return 0;
    if (r.kind === "exit") return r.exitCode;
    const waitMs = r.kind === "idle" ? Math.min(50, Math.max(0, nsUntil(r.untilNs) / 1e6)) : 0;
    await new Promise<void>((res) => setTimeout(res, waitMs));
  }
}
