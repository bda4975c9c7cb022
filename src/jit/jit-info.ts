/**
 * JIT statistics in the spirit of QEMU's `info jit`: one plain-data snapshot (`Cpu.jitStats()`)
 * and a host-neutral text rendering of it for the monitor. Counts that generated code would
 * have to increment (jump-cache hits, linked jumps, TLB fast-path hits) exist only when the
 * backend was built with its `stats` option; they are null otherwise.
 */

export interface JitStats {
  /** Guest instructions retired by finished run() calls. */
  insnsRetired: number;
  // ---- translation
  blocksTranslated: number;
  /** Blocks currently in the TB cache. */
  blocksLive: number;
  modules: number;
  wasmBytes: number;
  /** Host ms spent emitting and compiling Wasm. */
  compileMs: number;
  // ---- dispatch and linking
  linking: boolean;
  /** Exits compiled as direct jumps to a block of the same module. */
  linkedExits: number;
  /** Direct jumps taken at run time (null without the stats option). */
  chainedJumps: number | null;
  /** Calls into the Wasm dispatcher from the run loop. */
  dispatcherCalls: number;
  /** Dispatcher lookups that found their block (null without the stats option). */
  jumpCacheHits: number | null;
  /** Dispatcher lookups that missed and went to TypeScript. */
  jumpCacheMisses: number;
  // ---- softmmu TLB
  /** Guest accesses served by the inline fast path (null without the stats option). */
  tlbHits: number | null;
  /** Calls of the load/store slow path (TLB misses, page-crossing, MMIO, code-page writes). */
  tlbSlowPath: number;
  tlbFills: number;
  tlbFlushes: number;
  /** CR3 writes (flushes that keep global entries), and the global entries now in the TLB. */
  tlbNonGlobalFlushes: number;
  tlbGlobalEntries: number;
  tlbPageFlushes: number;
  // ---- self-modifying code
  /** Blocks invalidated by writes to their pages. */
  smcBlocks: number;
  /** Writes that invalidated at least one block. */
  smcWrites: number;
}

const num = (v: number): string => Math.round(v).toLocaleString("en-US");
const opt = (v: number | null): string => (v === null ? "n/a (stats off)" : num(v));
const pct = (part: number | null, whole: number): string =>
  part === null || whole <= 0 ? "" : ` (${((100 * part) / whole).toFixed(1)}%)`;

/** Text for the monitor's `info jit`: one `name  value` line per figure, grouped. */
export function formatJitInfo(s: JitStats): string {
  const lookups = s.jumpCacheHits === null ? 0 : s.jumpCacheHits + s.jumpCacheMisses;
  const entries = s.chainedJumps === null || s.jumpCacheHits === null ? 0 : s.chainedJumps + s.jumpCacheHits;
  const accesses = s.tlbHits === null ? 0 : s.tlbHits + s.tlbSlowPath;
  const rows: [string, string][] = [
    ["Translation", ""],
    ["guest instructions", num(s.insnsRetired)],
    ["blocks translated", num(s.blocksTranslated)],
    ["blocks live", num(s.blocksLive)],
    ["modules compiled", num(s.modules)],
    ["Wasm bytes", `${num(s.wasmBytes)}${s.blocksTranslated ? ` (${num(s.wasmBytes / s.blocksTranslated)} per block)` : ""}`],
    ["compile time", `${num(s.compileMs)} ms`],
    ["Dispatch", ""],
    ["block linking", s.linking ? "on" : "off"],
    ["linked exits", num(s.linkedExits)],
    ["linked jumps taken", opt(s.chainedJumps) + pct(s.chainedJumps, entries)],
    ["dispatcher calls", num(s.dispatcherCalls)],
    ["jump cache hits", opt(s.jumpCacheHits) + pct(s.jumpCacheHits, lookups)],
    ["jump cache misses", num(s.jumpCacheMisses)],
    ["TLB", ""],
    ["fast-path hits", opt(s.tlbHits) + pct(s.tlbHits, accesses)],
    ["slow-path calls", num(s.tlbSlowPath)],
    ["fills", num(s.tlbFills)],
    ["full flushes", num(s.tlbFlushes)],
    ["CR3 flushes (global kept)", num(s.tlbNonGlobalFlushes)],
    ["global entries now", num(s.tlbGlobalEntries)],
    ["page flushes", num(s.tlbPageFlushes)],
    ["Self-modifying code", ""],
    ["blocks invalidated", num(s.smcBlocks)],
    ["invalidating writes", num(s.smcWrites)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => (v === "" ? k : `  ${k.padEnd(width)}  ${v}`)).join("\n") + "\n";
}
