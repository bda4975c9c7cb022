/**
 * Boots a kernel on the pc board with deterministic time and runs it until the machine exits
 * (power-off, isa-debug-exit, or reset with noReboot), capturing COM1 and the emulator's log.
 * For system tests that need one boot and then look at the output; bounded by `maxInsns`.
 */
import { readFileSync } from "node:fs";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createPcMachine } from "../../src/machine/pc.js";

export interface BootRun {
  /** Everything the guest wrote to COM1 (Latin-1), CR stripped. */
  serial: string;
  /** The machine's exit status, or undefined when maxInsns ran out first. */
  exitCode: number | undefined;
  /** Guest instructions retired. */
  insns: number;
  /** Host wall time of the run (ms), machine construction included. */
  wallMs: number;
  /** Lines the emulator logged (guest errors, unimplemented features). */
  log: string[];
}

export interface BootSpec {
  kernelPath: string;
  initrdPath?: string;
  cmdline: string;
  memoryBytes?: number;
  /** Give up after this many guest instructions (default 20e9). */
  maxInsns?: number;
}

/** Runs the boot; yields to the event loop now and then so vitest's worker stays responsive. */
export async function runToExit(spec: BootSpec): Promise<BootRun> {
  const t0 = performance.now();
  const serial = new MemoryCharBackend();
  const log: string[] = [];
  const m = createPcMachine({
    kernel: new Uint8Array(readFileSync(spec.kernelPath)),
    initrd: spec.initrdPath === undefined ? undefined : new Uint8Array(readFileSync(spec.initrdPath)),
    cmdline: spec.cmdline, memoryBytes: spec.memoryBytes ?? 256 << 20, serial, noReboot: true,
    logSink: (cat, msg) => { if (log.length < 1000) log.push(`[${cat}] ${msg}`); },
  });
  const maxInsns = spec.maxInsns ?? 20e9;
  let exitCode: number | undefined;
  try {
    for (let slice = 0; m.cpu.stats.insnsRetired < maxInsns; slice++) {
      if (slice % 50 === 0) await new Promise((res) => setImmediate(res));
      const r = m.runSlice(2_000_000);
      if (r.kind === "exit") { exitCode = r.exitCode; break; }
    }
    return { serial: serial.text.replace(/\r/g, ""), exitCode, insns: m.cpu.stats.insnsRetired, wallMs: performance.now() - t0, log };
  } finally {
    m.dispose();
    serial.dispose();
  }
}
