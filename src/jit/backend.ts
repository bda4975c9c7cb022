/**
 * The contract between the CPU's execution loop and a code-generation backend (STYLE point
 * 11): the CPU hands IR units over and calls `dispatch()`; it never sees how code is made.
 * src/jit/wasm/backend.ts is the implementation; the board picks it.
 */

import type { HelperDecl, IrUnit, TbExit } from "./ir/types.js";

/** A JS or Wasm function implementing a helper. */
export type HelperImpl = (...args: number[]) => number | void;

/** What a backend needs from the CPU it serves. */
export interface BackendHost {
  readonly memory: WebAssembly.Memory;
  readonly table: WebAssembly.Table;
  /** Softmmu slow paths (SlowStatus results). */
  ldSlow(addrLo: number, addrHi: number, sizeMmu: number): number;
  stSlow(addrLo: number, addrHi: number, sizeMmu: number, valLo: number, valHi: number): number;
  /** The JS implementation of a helper, by its (unique) name. */
  resolveHelper(name: string): HelperImpl;
}

export interface BackendStats {
  modules: number;
  functions: number;
  wasmBytes: number;
  /** Host ms spent emitting and compiling. */
  compileMs: number;
  /** Block-to-block jumps emitted (linked exits), and whether linking is on. */
  linkedExits: number;
  linking: boolean;
}

/** One block of a batch: its IR and the RIP it starts at. */
export interface BatchBlock {
  readonly unit: IrUnit;
  readonly rip: number;
}

/**
 * Blocks compiled into one module. `csBase` (0 in 64-bit code) gives linear addresses
 * (csBase + RIP): a block may jump directly only to a block of the same batch whose start is on
 * the block's own linear page (see docs/ARCHITECTURE.md, "Dispatch and linking").
 */
export interface Batch {
  readonly csBase: number;
  readonly blocks: readonly BatchBlock[];
  /**
   * Blocks compiled earlier (same hflags and CS base, live now) that this batch's blocks may
   * jump to: their RIP and table slot.
   */
  readonly externs?: readonly { readonly rip: number; readonly slot: number }[];
}

export interface ExecBackend {
  readonly stats: BackendStats;
  /** Build the runtime (dispatcher and runtime functions written in IR). */
  buildRuntime(functions: readonly { decl: HelperDecl; unit: IrUnit }[]): void;
  /** Run translated code from the current RIP until something needs TypeScript. */
  dispatch(): TbExit;
  runtimeFunction(name: string): HelperImpl;
  /** Compile blocks; returns each one's function-table slot. */
  compileBatch(batch: Batch): number[];
  /** Generated-code counters (JitCounter order), or null when the backend does not keep them. */
  counters(): number[] | null;
  freeSlot(slot: number): void;
}

export type BackendFactory = (host: BackendHost) => ExecBackend;
