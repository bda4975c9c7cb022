/**
 * The Wasm backend: batches IR units into modules (emit.ts renders each unit, wasm-writer.ts
 * writes the module), instantiates them against the one shared memory, and puts translated
 * blocks into the function table the dispatcher calls through. It also builds the runtime
 * module: the dispatcher loop and the runtime functions written in IR (the lazy-flags
 * evaluators). binaryen (optimize.ts) is an optional optimising pass over emitted modules.
 *
 * Only the runtime module imports the table: V8 keeps a dispatch table per importing instance
 * and updates all of them on every Table.set, so TB modules importing it made instantiation
 * quadratic (measured: 2.3 ms per instance at 3,000 blocks). TB modules export their function
 * and JavaScript puts it in the table.
 *
 * Block linking: an exit to a constant RIP whose block starts on the exiting block's linear
 * page and is in the same batch, or was compiled earlier (the batch's `externs`, imported as
 * functions), becomes `if (valid[slot]) return_call f` (a Wasm tail call, so chains never grow
 * the stack). The validity word is cleared when the block is invalidated (self-modifying code,
 * tb flush); a slot, and so its word, is reused only once every block of its module is dead
 * and no live module imports one of them, so a stale link never sees a newcomer's word. The
 * CPU raises an exit request on every TLB flush and mode change, which the next block's
 * prologue honours, so a link never outlives the mapping or mode it was made under.
 */

import { EmulatorBug } from "../../common/errors.js";
import { JitCounter, WasmLayout } from "../../memory/wasm-layout.js";
import { StateOff, stateAddr } from "../../cpu/state-layout.js";
import { TbExit, type HelperDecl, type IrUnit } from "../ir/types.js";
import type { BackendHost, BackendStats, Batch, ExecBackend, HelperImpl } from "../backend.js";
import { declareHelpers, emitCount, emitUnit, helperType, type EmitEnv } from "./emit.js";
import { optimizeModule } from "./optimize.js";
import { ByteBuf, ValType, WasmModuleWriter } from "./wasm-writer.js";

export type { BackendHost, BackendStats, HelperImpl } from "../backend.js";

export interface WasmBackendOptions {
  /**
   * Run binaryen's optimiser over generated modules (today: the runtime module). Off by
   * default: loading binaryen and optimising cost 0.5-3 s per machine here, far more than the
   * runtime functions gain; tests use it to check that optimised and plain code agree.
   */
  optimize?: boolean;
  /** Block linking: direct tail calls between blocks of a batch (default on). */
  link?: boolean;
  /**
   * Count jump-cache hits, linked jumps and TLB fast-path hits in generated code (JitCounter).
   * Off by default: the increments are loads and stores on the hottest paths.
   */
  stats?: boolean;
}

/**
 * The blocks of one module. Its slots return to the free list when all of them are dead and no
 * live module links to them (`refs`: modules that import one of its blocks).
 */
interface ModuleSlots {
  live: number;
  refs: number;
  readonly slots: number[];
  /** Modules whose blocks this one imports. */
  readonly deps: ModuleSlots[];
}

/** Import namespace of helper functions and slow paths (a string only at the JS API boundary). */
const IMPORT_MODULE = "t";
const I32 = ValType.I32;

export class WasmBackend implements ExecBackend {
  readonly stats: BackendStats;
  private readonly _freeSlots: number[] = [];
  private readonly _slotModule: (ModuleSlots | undefined)[] = [];
  /** The block function in each live slot (for other modules to import). */
  private readonly _fns: unknown[] = [];
  private readonly _valid: Int32Array;
  private readonly _counters: Uint32Array;
  private _nextSlot = 1; // slot 0 stays empty: a zeroed jump-cache entry never calls anything
  private _runtime: WebAssembly.Instance | null = null;
  /** Runtime functions (built from IR, living in the runtime module) by name. */
  private readonly _runtimeFns = new Set<string>();

  constructor(
    private readonly _host: BackendHost,
    private readonly _now: () => number = () => 0,
    private readonly _opts: WasmBackendOptions = {},
  ) {
    this.stats = { modules: 0, functions: 0, wasmBytes: 0, compileMs: 0, linkedExits: 0, linking: _opts.link !== false };
    const buf = _host.memory.buffer;
    this._valid = new Int32Array(buf, WasmLayout.TB_VALID_BASE, WasmLayout.TB_VALID_SLOTS);
    this._counters = new Uint32Array(buf, WasmLayout.JIT_COUNTERS_BASE, 2 * JitCounter.COUNT);
    this._valid.fill(0);
    this._counters.fill(0);
  }

  /** Generated-code counters (JitCounter order), or null without the `stats` option. */
  counters(): number[] | null {
    if (!this._opts.stats) return null;
    const c = this._counters;
    return Array.from({ length: JitCounter.COUNT }, (_, i) => c[2 * i + 1]! * 4294967296 + c[2 * i]!);
  }

  /** Build the runtime module: the dispatcher plus runtime functions written in IR. */
  buildRuntime(functions: readonly { decl: HelperDecl; unit: IrUnit }[]): void {
    const { writer, env, imports } = this._newModule(true);
    for (const f of functions) {
      const e = emitUnit(env, f.unit);
      writer.addFunction({ params: e.params, results: e.results }, e.locals, e.body, f.unit.name);
    }
    this._addDispatcher(writer);
    for (const f of functions) this._runtimeFns.add(f.decl.name);
    const bytes = writer.finish();
    this._runtime = this._instantiate(this._opts.optimize ? optimizeModule(bytes) : bytes, imports(), true);
  }

  /** Run translated code from the current RIP until something needs TypeScript. */
  dispatch(): TbExit {
    const rt = this._runtime;
    if (!rt) throw new EmulatorBug("runtime not built");
    return (rt.exports.dispatch as () => number)() as TbExit;
  }

  /** Call a runtime function directly (tests, cold helpers). */
  runtimeFunction(name: string): HelperImpl {
    const f = this._runtime?.exports[name];
    if (typeof f !== "function") throw new EmulatorBug(`no runtime function ${name}`);
    return f as HelperImpl;
  }

  /** Compile a batch of TB units into one module; returns each unit's table slot. */
  compileBatch(batch: Batch): number[] {
    const t0 = this._now();
    try {
      const { writer, env, imports } = this._newModule(false);
      const blocks = batch.blocks;
      // Helpers and imported blocks first, so function indices are known while linking.
      for (const b of blocks) declareHelpers(env, b.unit);
      const linkTo = new Map<number, { fn: number; slot: number }>();
      const deps = new Set<ModuleSlots>();
      if (this.stats.linking) {
        const impls = imports();
        for (const x of batch.externs ?? []) {
          const dep = this._slotModule[x.slot];
          if (!dep || linkTo.has(x.rip)) continue;
          const name = `x${x.slot}`;
          impls[name] = this._fns[x.slot] as WebAssembly.ImportValue;
          linkTo.set(x.rip, { fn: writer.importFn(name, { params: [], results: [I32] }), slot: x.slot });
          deps.add(dep);
        }
      }
      const fnBase = writer.importCount;
      const slots = blocks.map(() => this._allocSlot());
      blocks.forEach((b, i) => linkTo.set(b.rip, { fn: fnBase + i, slot: slots[i]! }));
      const page = (rip: number): number => Math.floor((batch.csBase + rip) / 4096);
      blocks.forEach((b, i) => {
        const chain = this.stats.linking ? (rip: number) => {
          const t = linkTo.get(rip);
          if (t === undefined || page(rip) !== page(b.rip)) return undefined;
          this.stats.linkedExits++;
          return { fn: t.fn, valid: WasmLayout.TB_VALID_BASE + 4 * t.slot };
        } : undefined;
        const e = emitUnit(env, b.unit, { chain, counters: this._opts.stats });
        writer.addFunction({ params: e.params, results: e.results }, e.locals, e.body, `f${i}`);
      });
      if (writer.importCount !== fnBase) throw new EmulatorBug("a helper import appeared while emitting a batch");
      const inst = this._instantiate(writer.finish(), imports(), false);
      this.stats.functions += blocks.length;
      const mod: ModuleSlots = { live: blocks.length, refs: 0, slots, deps: [...deps] };
      for (const d of mod.deps) d.refs++;
      slots.forEach((slot, i) => {
        const f = inst.exports[`f${i}`];
        this._host.table.set(slot, f);
        this._fns[slot] = f;
        this._valid[slot] = 1;
        this._slotModule[slot] = mod;
      });
      return slots;
    } finally {
      this.stats.compileMs += this._now() - t0;
    }
  }

  /**
   * Release a TB's table slot: its validity word drops at once (linked jumps into it stop);
   * the slot is reused once every block of its module is dead.
   */
  freeSlot(slot: number): void {
    this._host.table.set(slot, null);
    this._valid[slot] = 0;
    this._fns[slot] = undefined;
    const mod = this._slotModule[slot];
    if (!mod) return;
    this._slotModule[slot] = undefined;
    if (--mod.live === 0 && mod.refs === 0) this._release(mod);
  }

  /** A dead, unreferenced module: its slots can be reused, and it stops holding its deps. */
  private _release(mod: ModuleSlots): void {
    const work = [mod];
    for (let m = work.pop(); m; m = work.pop()) {
      for (const s of m.slots) this._freeSlots.push(s);
      for (const d of m.deps) if (--d.refs === 0 && d.live === 0) work.push(d);
    }
  }

  private _allocSlot(): number {
    const s = this._freeSlots.pop();
    if (s !== undefined) return s;
    const table = this._host.table;
    if (this._nextSlot >= WasmLayout.TB_VALID_SLOTS) throw new EmulatorBug("out of TB validity words");
    if (this._nextSlot >= table.length) table.grow(Math.max(1024, table.length));
    return this._nextSlot++;
  }

  /**
   * A module writer with the slow paths imported (always indices 0 and 1) and helpers imported
   * on first use. Helpers come in as imports too, so every emitted function must be added after
   * all imports: emitUnit runs first per unit and only then addFunction — imports are declared
   * lazily through `env.helper`, which is why functions are emitted before any is added.
   */
  private _newModule(isRuntime: boolean) {
    const writer = new PendingModule(isRuntime);
    const impls: WebAssembly.ModuleImports = {
      ld_slow: (a: number, b: number, c: number) => this._host.ldSlow(a, b, c),
      st_slow: (a: number, b: number, c: number, d: number, e: number) => this._host.stSlow(a, b, c, d, e),
    };
    const env: EmitEnv = {
      ldSlow: writer.importFn("ld_slow", { params: [I32, I32, I32], results: [I32] }),
      stSlow: writer.importFn("st_slow", { params: [I32, I32, I32, I32, I32], results: [I32] }),
      helper: (h) => {
        const name = `h_${h.name}`;
        if (!(name in impls)) {
          impls[name] = this._runtimeFns.has(h.name) && !isRuntime ? this.runtimeFunction(h.name) : this._host.resolveHelper(h.name);
        }
        return writer.importFn(name, helperType(h));
      },
    };
    return { writer, env, imports: () => impls };
  }

  private _instantiate(bytes: Uint8Array, impls: WebAssembly.ModuleImports, isRuntime: boolean): WebAssembly.Instance {
    this.stats.modules++;
    this.stats.wasmBytes += bytes.length;
    const mod = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>); // binaryen output is never shared memory (lib.dom wants ArrayBuffer)
    const env: WebAssembly.ModuleImports = isRuntime ? { memory: this._host.memory, table: this._host.table } : { memory: this._host.memory };
    return new WebAssembly.Instance(mod, { env, [IMPORT_MODULE]: impls });
  }

  /**
   * dispatch(): loop { look RIP + hflags up in the jump cache; on a hit call the TB through the
   * table and continue while it returns NEXT; on a miss return MISS to TypeScript }.
   */
  private _addDispatcher(w: PendingModule): void {
    const c = new ByteBuf();
    const RIP = 0, E = 1, R = 2;
    const tbType = w.typeIndex({ params: [], results: [I32] });
    c.byte(0x03).byte(0x40); // loop
    c.byte(0x41).s32(0).byte(0x29).u32(3).u32(stateAddr(StateOff.RIP)).byte(0x21).u32(RIP); // rip = i64.load
    // e = ((lo ^ (lo >>> 12)) & (N-1)) * 16 + BASE
    c.byte(0x20).u32(RIP).byte(0xa7).byte(0x20).u32(RIP).byte(0xa7).byte(0x41).s32(12).byte(0x76).byte(0x73);
    c.byte(0x41).s32(WasmLayout.JMP_CACHE_ENTRIES - 1).byte(0x71).byte(0x41).s32(4).byte(0x74);
    c.byte(0x41).s32(WasmLayout.JMP_CACHE_BASE).byte(0x6a).byte(0x21).u32(E);
    // if (tag == rip && hflags match)
    c.byte(0x20).u32(E).byte(0x29).u32(3).u32(0).byte(0x20).u32(RIP).byte(0x51);
    c.byte(0x20).u32(E).byte(0x28).u32(2).u32(8).byte(0x41).s32(0).byte(0x28).u32(2).u32(stateAddr(StateOff.HFLAGS)).byte(0x46);
    c.byte(0x71).byte(0x04).byte(0x40);
    if (this._opts.stats) emitCount(c, JitCounter.JC_HIT);
    c.byte(0x20).u32(E).byte(0x28).u32(2).u32(12).byte(0x11).u32(tbType).u32(0).byte(0x21).u32(R); // r = call_indirect
    c.byte(0x20).u32(R).byte(0x45).byte(0x0d).u32(1); // br_if loop (r == NEXT == 0)
    c.byte(0x20).u32(R).byte(0x0f); // return r
    c.byte(0x0b); // end if
    c.byte(0x41).s32(TbExit.MISS).byte(0x0f); // return MISS
    c.byte(0x0b); // end loop
    c.byte(0x00); // unreachable
    w.addFunction({ params: [], results: [I32] }, [ValType.I64, I32, I32], c.view().slice(), "dispatch");
  }
}

/**
 * A WasmModuleWriter that accepts helper imports while functions are being emitted: defined
 * functions are held back until finish(), when every import is known (imports take the low
 * function indices, so definitions must come after them).
 */
class PendingModule {
  private readonly _imports: { name: string; t: { params: ValType[]; results: ValType[] } }[] = [];
  private readonly _index = new Map<string, number>();
  private readonly _funcs: { t: { params: ValType[]; results: ValType[] }; locals: ValType[]; body: Uint8Array; name: string }[] = [];
  private readonly _types = new WasmModuleWriter();

  constructor(private readonly _withTable: boolean) {}

  /** Imports declared so far (defined functions are numbered from here). */
  get importCount(): number { return this._imports.length; }

  importFn(name: string, t: { params: ValType[]; results: ValType[] }): number {
    let i = this._index.get(name);
    if (i === undefined) {
      if (this._writer) throw new EmulatorBug("a helper import appeared after the module layout was fixed");
      i = this._imports.length;
      this._imports.push({ name, t });
      this._index.set(name, i);
    }
    return i;
  }

  /** Type indices are only stable inside the final writer, so the dispatcher asks here. */
  typeIndex(t: { params: ValType[]; results: ValType[] }): number {
    return this._final().typeIndex(t);
  }

  addFunction(t: { params: ValType[]; results: ValType[] }, locals: ValType[], body: Uint8Array, name: string): void {
    this._funcs.push({ t, locals, body, name });
  }

  private _writer: WasmModuleWriter | null = null;
  private _final(): WasmModuleWriter {
    if (this._writer) return this._writer;
    const w = this._types;
    w.importMemory("env", "memory", 1, 65536);
    if (this._withTable) w.importTable("env", "table", 1);
    for (const imp of this._imports) w.importFunction(IMPORT_MODULE, imp.name, imp.t);
    return (this._writer = w);
  }

  finish(): Uint8Array {
    const w = this._final();
    for (const f of this._funcs) w.addFunction(f.t, f.locals, f.body, f.name);
    return w.finish();
  }
}
