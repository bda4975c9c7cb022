/**
 * Validation of the public MachineOptions into the board's internal options. Every mistake is
 * a one-line ConfigError naming the option (API users may pass anything from plain JS).
 */

import { ConfigError } from "../common/errors.js";
import { BOARDS } from "../machine/create.js";
import { DEFAULT_MEMORY_BYTES } from "../machine/machine.js";
import type { MachineOptions } from "./types.js";

/** The validated options, in the shapes the board builder wants. */
export interface ResolvedOptions {
  board: "pc" | "microvm";
  kernel: Uint8Array;
  initrd: Uint8Array | undefined;
  append: string;
  memoryBytes: number;
  /** The host clock (ms), if given: paces the run loop's batches, times JIT compiles. */
  nowMs: (() => number) | undefined;
  realtime: boolean;
  serialPorts: number;
  noReboot: boolean;
  rtcStartMs: number;
}

const fail = (msg: string): never => { throw new ConfigError(msg); };

const UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };

/** "512M", "2G", "65536K", "512" (MiB, as QEMU's -m) or a byte count; a multiple of 4 KiB. */
export function parseMemory(v: number | string): number {
  let bytes: number;
  if (typeof v === "number") bytes = v;
  else {
    const m = /^\s*(\d+)\s*(?:([kmg])(?:i?b)?)?\s*$/i.exec(v);
    if (!m) return fail(`memory: invalid size '${v}' (examples: "512M", "2G", or a byte count)`);
    bytes = Number(m[1]) * (m[2] ? UNITS[m[2].toLowerCase()]! : 2 ** 20);
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return fail(`memory: invalid size ${String(v)}`);
  if (bytes % 4096 !== 0) return fail(`memory: ${String(v)} is not a multiple of 4 KiB`);
  return bytes;
}

const KNOWN = new Set(["kernel", "initrd", "append", "memory", "board", "clock", "now", "serialPorts", "noReboot", "rtcStartMs", "logSink", "log"]);

export function resolveOptions(o: MachineOptions): ResolvedOptions {
  if (typeof o !== "object" || o === null) return fail("createMachine: options must be an object");
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) fail(`createMachine: unknown option '${k}'`);
  if (!(o.kernel instanceof Uint8Array)) return fail("kernel: must be a Uint8Array (the image's bytes)");
  if (o.kernel.length === 0) fail("kernel: the image is empty");
  if (o.initrd !== undefined && !(o.initrd instanceof Uint8Array)) fail("initrd: must be a Uint8Array");
  if (o.append !== undefined && typeof o.append !== "string") fail("append: must be a string");
  const board = o.board ?? "pc";
  if (!(BOARDS as readonly string[]).includes(board)) fail(`board: unknown board '${String(board)}' (supported: ${BOARDS.join(", ")})`);
  const clock = o.clock ?? "deterministic";
  if (clock !== "deterministic" && clock !== "realtime") fail(`clock: must be "deterministic" or "realtime", not '${String(clock)}'`);
  if (o.now !== undefined && typeof o.now !== "function") fail("now: must be a function returning host milliseconds");
  if (clock === "realtime" && o.now === undefined) fail('clock: "realtime" needs the host clock as option now (e.g. () => performance.now())');
  const serialPorts = o.serialPorts ?? 1;
  if (!Number.isInteger(serialPorts) || serialPorts < 1 || serialPorts > 4) fail(`serialPorts: must be 1..4, not ${String(serialPorts)}`);
  const rtcStartMs = o.rtcStartMs ?? Date.UTC(2026, 0, 1);
  if (!Number.isFinite(rtcStartMs)) fail("rtcStartMs: must be a number (Unix ms)");
  if (o.logSink !== undefined && typeof o.logSink !== "function") fail("logSink: must be a function");
  return {
    board: board as "pc" | "microvm", kernel: o.kernel, initrd: o.initrd, append: o.append ?? "",
    memoryBytes: o.memory === undefined ? DEFAULT_MEMORY_BYTES : parseMemory(o.memory),
    nowMs: o.now, realtime: clock === "realtime", serialPorts, noReboot: o.noReboot === true, rtcStartMs,
  };
}
