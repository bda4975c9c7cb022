/**
 * `info jit`: translation statistics in the spirit of QEMU's, from the counters the CPU, the
 * backend, the TB cache and the TLB keep. `jitStats(cpu)` gathers them into a plain object and
 * `formatJitInfo(stats)` renders it; when src/jit grows its own formatter over a richer stats
 * object, the monitor only needs to call that instead.
 */

import type { Cpu } from "../cpu/cpu.js";

export interface JitInfoStats {
  /** Guest instructions retired, exceptions and interrupts delivered, dispatcher entries. */
  insnsRetired: number;
  exceptions: number;
  interrupts: number;
  dispatches: number;
  /** Blocks alive in the cache, translated so far, invalidated (self-modifying code). */
  tbsLive: number;
  tbsTranslated: number;
  tbsInvalidated: number;
  /** Dispatcher misses that found an existing block, and jump-cache fills. */
  lookupsHit: number;
  jumpCacheFills: number;
  /** Wasm modules and functions compiled, their bytes, host ms spent emitting and compiling. */
  modules: number;
  functions: number;
  wasmBytes: number;
  compileMs: number;
  /** Softmmu TLB fills, full flushes and single-page flushes. */
  tlbFills: number;
  tlbFlushes: number;
  tlbPageFlushes: number;
}

export function jitStats(cpu: Cpu): JitInfoStats {
  const b = cpu.backend.stats, t = cpu.tbs.stats, tlb = cpu.softmmu.tlb.stats, c = cpu.stats;
  return {
    insnsRetired: c.insnsRetired, exceptions: c.exceptions, interrupts: c.interrupts, dispatches: c.dispatches,
    tbsLive: cpu.tbs.size, tbsTranslated: t.translated, tbsInvalidated: t.invalidated,
    lookupsHit: t.lookupsHit, jumpCacheFills: t.jumpCacheFills,
    modules: b.modules, functions: b.functions, wasmBytes: b.wasmBytes, compileMs: b.compileMs,
    tlbFills: tlb.fills, tlbFlushes: tlb.flushes, tlbPageFlushes: tlb.pageFlushes,
  };
}

const row = (name: string, value: string): string => `${name.padEnd(24)}${value}`;
const avg = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(1) : "0");

/** The `info jit` text for a stats object. */
export function formatJitInfo(s: JitInfoStats): string {
  return [
    "Translation buffer state:",
    row("TB count", `${s.tbsLive} live, ${s.tbsTranslated} translated`),
    row("TB invalidate count", String(s.tbsInvalidated)),
    row("TB lookups (found)", String(s.lookupsHit)),
    row("jump cache fills", String(s.jumpCacheFills)),
    row("Wasm modules", `${s.modules} (${s.functions} functions, ${avg(s.functions, s.modules)} per module)`),
    row("Wasm code size", `${s.wasmBytes} bytes (${avg(s.wasmBytes, s.functions)} per function)`),
    row("compile time", `${s.compileMs.toFixed(1)} ms`),
    "",
    "Statistics:",
    row("guest instructions", String(s.insnsRetired)),
    row("dispatcher entries", `${s.dispatches} (${avg(s.insnsRetired, s.dispatches)} insns each)`),
    row("exceptions", String(s.exceptions)),
    row("interrupts", String(s.interrupts)),
    row("TLB fills", String(s.tlbFills)),
    row("TLB full flushes", String(s.tlbFlushes)),
    row("TLB page flushes", String(s.tlbPageFlushes)),
  ].join("\n") + "\n";
}
