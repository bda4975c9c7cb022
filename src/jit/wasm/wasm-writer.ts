/**
 * A minimal WebAssembly binary writer (WebAssembly core spec, "Binary Format"): LEB128,
 * function types, imports of memory/table/functions, functions with locals, exports. It
 * exists so the baseline JIT tier can emit a module in microseconds: binaryen.js builds every
 * node through a call into its own Wasm, which measured ~150 us per block here.
 */

export const enum ValType { I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b }

/** A growable byte buffer with the Wasm primitive encodings. */
export class ByteBuf {
  private _b = new Uint8Array(256);
  length = 0;

  private _grow(n: number): void {
    if (this.length + n <= this._b.length) return;
    let cap = this._b.length * 2;
    while (cap < this.length + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this._b.subarray(0, this.length));
    this._b = nb;
  }
  byte(v: number): this {
    this._grow(1);
    this._b[this.length++] = v & 0xff;
    return this;
  }
  bytes(src: Uint8Array | readonly number[]): this {
    this._grow(src.length);
    this._b.set(src, this.length);
    this.length += src.length;
    return this;
  }
  /** Unsigned LEB128 of a non-negative integer < 2^53. */
  u32(v: number): this {
    do {
      let byte = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) byte |= 0x80;
      this.byte(byte);
    } while (v !== 0);
    return this;
  }
  /** Signed LEB128 of an int32. */
  s32(v: number): this {
    v |= 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return this.byte(byte);
      this.byte(byte | 0x80);
    }
  }
  /** Signed LEB128 of the 64-bit value (hi:lo), without BigInt. */
  s64(lo: number, hi: number): this {
    lo >>>= 0;
    hi |= 0;
    for (;;) {
      const byte = lo & 0x7f;
      // arithmetic shift of the 64-bit pair right by 7
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>= 7;
      const done = (hi === 0 && lo === 0 && (byte & 0x40) === 0) || (hi === -1 && lo === 0xffffffff && (byte & 0x40) !== 0);
      if (done) return this.byte(byte);
      this.byte(byte | 0x80);
    }
  }
  str(s: string): this {
    const enc = new TextEncoder().encode(s);
    return this.u32(enc.length).bytes(enc);
  }
  /** A length-prefixed copy of another buffer. */
  vec(inner: ByteBuf): this {
    return this.u32(inner.length).bytes(inner.view());
  }
  view(): Uint8Array {
    return this._b.subarray(0, this.length);
  }
}

export interface FuncType { params: readonly ValType[]; results: readonly ValType[] }

interface FuncDef { type: number; locals: readonly ValType[]; body: Uint8Array; exportName: string | null }

/** Builds one module: imports first (their indices come first), then defined functions. */
export class WasmModuleWriter {
  private readonly _types: FuncType[] = [];
  private readonly _typeKeys = new Map<string, number>();
  private readonly _funcImports: { module: string; name: string; type: number }[] = [];
  private readonly _funcs: FuncDef[] = [];
  private _memory: { module: string; name: string; min: number; max: number } | null = null;
  private _table: { module: string; name: string; min: number } | null = null;

  typeIndex(t: FuncType): number {
    const key = `${t.params.join(",")}:${t.results.join(",")}`;
    let i = this._typeKeys.get(key);
    if (i === undefined) {
      i = this._types.length;
      this._types.push(t);
      this._typeKeys.set(key, i);
    }
    return i;
  }

  importMemory(module: string, name: string, min: number, max: number): void {
    this._memory = { module, name, min, max };
  }
  importTable(module: string, name: string, min: number): void {
    this._table = { module, name, min };
  }
  /** Import a function; returns its function index. Must precede every addFunction. */
  importFunction(module: string, name: string, t: FuncType): number {
    if (this._funcs.length) throw new Error("function imports must come before definitions");
    this._funcImports.push({ module, name, type: this.typeIndex(t) });
    return this._funcImports.length - 1;
  }
  get importedFunctions(): number { return this._funcImports.length; }

  /** Define a function; `body` is the code without the locals header and without the final `end`. */
  addFunction(t: FuncType, locals: readonly ValType[], body: Uint8Array, exportName: string | null): number {
    this._funcs.push({ type: this.typeIndex(t), locals, body, exportName });
    return this._funcImports.length + this._funcs.length - 1;
  }

  finish(): Uint8Array {
    const out = new ByteBuf();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, build: (b: ByteBuf) => void): void => {
      const b = new ByteBuf();
      build(b);
      out.byte(id).vec(b);
    };
    section(1, (b) => {
      b.u32(this._types.length);
      for (const t of this._types) b.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
    });
    section(2, (b) => {
      const n = this._funcImports.length + (this._memory ? 1 : 0) + (this._table ? 1 : 0);
      b.u32(n);
      if (this._memory) b.str(this._memory.module).str(this._memory.name).byte(0x02).byte(0x01).u32(this._memory.min).u32(this._memory.max);
      if (this._table) b.str(this._table.module).str(this._table.name).byte(0x01).byte(0x70).byte(0x00).u32(this._table.min);
      for (const f of this._funcImports) b.str(f.module).str(f.name).byte(0x00).u32(f.type);
    });
    section(3, (b) => {
      b.u32(this._funcs.length);
      for (const f of this._funcs) b.u32(f.type);
    });
    const exported = this._funcs.map((f, i) => ({ f, index: this._funcImports.length + i })).filter((x) => x.f.exportName !== null);
    section(7, (b) => {
      b.u32(exported.length);
      for (const { f, index } of exported) b.str(f.exportName!).byte(0x00).u32(index);
    });
    section(10, (b) => {
      b.u32(this._funcs.length);
      for (const f of this._funcs) {
        const fb = new ByteBuf();
        // locals, run-length encoded
        const runs: [number, ValType][] = [];
        for (const l of f.locals) {
          const last = runs[runs.length - 1];
          if (last && last[1] === l) last[0]++;
          else runs.push([1, l]);
        }
        fb.u32(runs.length);
        for (const [n, t] of runs) fb.u32(n).byte(t);
        fb.bytes(f.body).byte(0x0b);
        b.vec(fb);
      }
    });
    return out.view().slice();
  }
}
