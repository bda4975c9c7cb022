/**
 * The Wasm backend: batches IR units into binaryen modules, instantiates them against the one
 * shared memory and function table, and builds the runtime module (the dispatcher loop and the
 * runtime functions written in IR, e.g. the lazy-flags evaluator).
 *
 * binaryen.js notes (STYLE.md): every node is a call across the JS->Wasm boundary, settings
 * are global, modules must be disposed. So: few, large modules; no optimisation passes by
 * default (the brief measured -O1 at 0.3-2.5 ms per function); `dispose()` in finally.
 */

import binaryen from "binaryen";
import { EmulatorBug } from "../../common/errors.js";
import { WasmLayout } from "../../memory/wasm-layout.js";
import { StateOff, stateAddr } from "../../cpu/state-layout.js";
import { IrType, TbExit, type HelperDecl, type IrUnit } from "../ir/types.js";
import { lowerUnit, type LowerHost } from "./lower.js";

/** A JS or Wasm function implementing a helper. */
export type HelperImpl = (...args: number[]) => number | void;

export interface BackendHost {
  readonly memory: WebAssembly.Memory;
  readonly table: WebAssembly.Table;
  /** Softmmu slow paths (see lower.ts SlowStatus). */
  ldSlow(addrLo: number, addrHi: number, sizeMmu: number): number;
  stSlow(addrLo: number, addrHi: number, sizeMmu: number, valLo: number, valHi: number): number;
  /** The JS implementation of a helper declared with defineHelper, by its (unique) name. */
  resolveHelper(name: string): HelperImpl;
}

export interface BackendStats {
  modules: number;
  functions: number;
  wasmBytes: number;
  compileMs: number;
}

const FEATURES = binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals |
  binaryen.Features.BulkMemory | binaryen.Features.TailCall | binaryen.Features.NontrappingFPToInt;

const wt = (t: IrType): binaryen.Type => (t === IrType.I64 ? binaryen.i64 : binaryen.i32);

/** Wasm imports are keyed by strings at the JS API boundary; these are internal to the backend. */
const IMPORT_MODULE = "t";

export class WasmBackend {
  readonly stats: BackendStats = { modules: 0, functions: 0, wasmBytes: 0, compileMs: 0 };
  private readonly _freeSlots: number[] = [];
  private _nextSlot = 1; // slot 0 stays empty: a zero jump-cache entry never calls anything
  private _runtime: WebAssembly.Instance | null = null;
  /** Runtime functions (built from IR) by name, importable by TB modules. */
  private readonly _runtimeFns = new Map<string, HelperDecl>();

  constructor(private readonly _host: BackendHost, private readonly _now: () => number = () => 0) {
    binaryen.setOptimizeLevel(0);
    binaryen.setShrinkLevel(0);
  }

  /** Build the runtime module: the dispatcher plus runtime functions written in IR. */
  buildRuntime(functions: readonly { decl: HelperDecl; unit: IrUnit }[]): void {
    const m = new binaryen.Module();
    try {
      this._prepare(m, true);
      const host = this._lowerHost(m);
      for (const f of functions) {
        lowerUnit(host, f.unit);
        m.addFunctionExport(f.unit.name, f.unit.name);
        this._runtimeFns.set(f.decl.name, f.decl);
      }
      this._addDispatcher(m);
      m.addFunctionExport("dispatch", "dispatch");
      this._runtime = this._instantiate(m, true);
    } finally {
      m.dispose();
    }
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
  compileBatch(units: readonly IrUnit[]): number[] {
    const t0 = this._now();
    const m = new binaryen.Module();
    try {
      this._prepare(m, false);
      const host = this._lowerHost(m);
      units.forEach((u, i) => {
        lowerUnit(host, u);
        m.addFunctionExport(u.name, `f${i}`);
      });
      const inst = this._instantiate(m, false);
      const slots = units.map((_, i) => {
        const slot = this._allocSlot();
        this._host.table.set(slot, inst.exports[`f${i}`]);
        return slot;
      });
      this.stats.functions += units.length;
      return slots;
    } finally {
      m.dispose();
      this.stats.compileMs += this._now() - t0;
    }
  }

  /** Release a TB's table slot (its module stays alive until no slot references it). */
  freeSlot(slot: number): void {
    this._host.table.set(slot, null);
    this._freeSlots.push(slot);
  }

  private _allocSlot(): number {
    const s = this._freeSlots.pop();
    if (s !== undefined) return s;
    const table = this._host.table;
    if (this._nextSlot >= table.length) table.grow(Math.max(1024, table.length));
    return this._nextSlot++;
  }

  /**
   * Only the runtime module imports the function table: V8 keeps a dispatch table per
   * importing instance and updates all of them on every Table.set, so TB modules that
   * imported it made instantiation and linking quadratic (measured: 2.3 ms per instance at
   * 3,000 TBs). TB modules export their function; JS puts it in the table.
   */
  private _prepare(m: binaryen.Module, importTable: boolean): void {
    m.setFeatures(FEATURES);
    m.setMemory(1, 65536, null, [], false, false, "0");
    m.addMemoryImport("0", "env", "memory");
    if (importTable) {
      m.addTable("tbl", 1, 0xffffffff);
      m.addTableImport("tbl", "env", "table");
    }
  }

  private _lowerHost(m: binaryen.Module): LowerHost {
    const declared = new Set<string>();
    const importFn = (name: string, params: binaryen.Type[], result: binaryen.Type): string => {
      if (!declared.has(name)) {
        declared.add(name);
        m.addFunctionImport(name, IMPORT_MODULE, name, binaryen.createType(params), result);
      }
      return name;
    };
    const i32 = binaryen.i32;
    return {
      m,
      ldSlow: importFn("ld_slow", [i32, i32, i32], i32),
      stSlow: importFn("st_slow", [i32, i32, i32, i32, i32], i32),
      helper: (h) => importFn(`h_${h.name}`, h.params.map(wt), h.result === null ? binaryen.none : wt(h.result)),
    };
  }

  private _instantiate(m: binaryen.Module, isRuntime: boolean): WebAssembly.Instance {
    if (!m.validate()) throw new EmulatorBug("binaryen produced an invalid module");
    const bytes = m.emitBinary();
    this.stats.modules++;
    this.stats.wasmBytes += bytes.length;
    const imports: WebAssembly.ModuleImports = {
      ld_slow: (a: number, b: number, c: number) => this._host.ldSlow(a, b, c),
      st_slow: (a: number, b: number, c: number, d: number, e: number) => this._host.stSlow(a, b, c, d, e),
    };
    // Resolve each imported helper: runtime functions (Wasm) first, else the host's JS helper.
    const mod = new WebAssembly.Module(bytes);
    for (const imp of moduleImportNames(mod)) {
      if (!imp.startsWith("h_")) continue;
      const name = imp.slice(2);
      if (this._runtimeFns.has(name) && !isRuntime) imports[imp] = this.runtimeFunction(name);
      else imports[imp] = this._host.resolveHelper(name);
    }
    const env: WebAssembly.ModuleImports = isRuntime ? { memory: this._host.memory, table: this._host.table } : { memory: this._host.memory };
    return new WebAssembly.Instance(mod, { env, [IMPORT_MODULE]: imports });
  }

  /**
   * dispatch(): loop { look RIP + hflags up in the jump cache; on a hit call the TB through the
   * table and continue while it returns NEXT; on a miss return MISS to TypeScript }.
   */
  private _addDispatcher(m: binaryen.Module): void {
    const i32 = binaryen.i32, i64 = binaryen.i64;
    const Z = () => m.i32.const(0);
    const RIP = 0, E = 1, R = 2;
    const rip = () => m.local.get(RIP, i64);
    const e = () => m.local.get(E, i32);
    const lo = () => m.i32.wrap(rip());
    const hash = m.i32.and(m.i32.xor(lo(), m.i32.shr_u(lo(), m.i32.const(12))), m.i32.const(WasmLayout.JMP_CACHE_ENTRIES - 1));
    const body = m.loop("top", m.block(null, [
      m.local.set(RIP, m.i64.load(stateAddr(StateOff.RIP), 8, Z())),
      m.local.set(E, m.i32.add(m.i32.shl(hash, m.i32.const(4)), m.i32.const(WasmLayout.JMP_CACHE_BASE))),
      m.if(m.i32.and(m.i64.eq(m.i64.load(0, 8, e()), rip()), m.i32.eq(m.i32.load(8, 4, e()), m.i32.load(stateAddr(StateOff.HFLAGS), 4, Z()))),
        m.block(null, [
          m.local.set(R, m.call_indirect("tbl", m.i32.load(12, 4, e()), [], binaryen.none, i32)),
          m.br("top", m.i32.eq(m.local.get(R, i32), m.i32.const(TbExit.NEXT))),
          m.return(m.local.get(R, i32)),
        ])),
      m.return(m.i32.const(TbExit.MISS)),
    ]));
    m.addFunction("dispatch", binaryen.none, i32, [i64, i32, i32], body);
  }
}

/** Import names of a compiled module (WebAssembly.Module.imports is not in the minimal typings). */
function moduleImportNames(mod: WebAssembly.Module): string[] {
  const M = WebAssembly.Module as unknown as { imports(m: WebAssembly.Module): { module: string; name: string }[] };
  return M.imports(mod).filter((i) => i.module === IMPORT_MODULE).map((i) => i.name);
}
