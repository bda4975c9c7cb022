/**
 * The softmmu TLB's TypeScript side: flushes and fills of the entries that generated code
 * reads inline (layout in wasm-layout.ts). Entries are direct-mapped by virtual page number;
 * an entry with all tag bytes 0xFF is empty (the INVALID flag bit is set in every tag).
 * The x86 page walk that decides what to fill lives in src/cpu/mmu.ts.
 */

import { WasmLayout, TlbFlag } from "./wasm-layout.js";

const TWO32 = 4294967296;

export interface TlbStats {
  fills: number;
  /** Full flushes (global entries too). */
  flushes: number;
  /** Flushes that kept global entries (CR3 writes). */
  nonGlobalFlushes: number;
  pageFlushes: number;
}

export class SoftTlb {
  readonly stats: TlbStats = { fills: 0, flushes: 0, nonGlobalFlushes: 0, pageFlushes: 0 };
  private readonly _i32: Int32Array;
  private readonly _u8: Uint8Array;
  /** Per entry (mode-major): 1 when it maps a global page. */
  private readonly _global = new Uint8Array(WasmLayout.TLB_MODES * WasmLayout.TLB_ENTRIES);
  /**
   * Entries filled with a non-global page since the last flush (a CR3 write clears just these;
   * about 120 per CR3 write in a Linux boot against 8192 entries). Past the capacity, a flush
   * scans every entry instead.
   */
  private readonly _recent = new Int32Array(WasmLayout.TLB_MODES * WasmLayout.TLB_ENTRIES);
  private _recentCount = 0;
  private _anyGlobal = false;

  constructor(buffer: ArrayBuffer) {
    this._i32 = new Int32Array(buffer, WasmLayout.TLB_BASE, (WasmLayout.TLB_MODES * WasmLayout.TLB_MODE_BYTES) / 4);
    this._u8 = new Uint8Array(buffer, WasmLayout.TLB_BASE, WasmLayout.TLB_MODES * WasmLayout.TLB_MODE_BYTES);
    this.flushAll();
  }

  static index(gva: number): number {
    return Math.floor(gva / 4096) & (WasmLayout.TLB_ENTRIES - 1);
  }

  /** Word index (int32) of an entry. */
  private _entry(mmuIdx: number, gva: number): number {
    return (mmuIdx * WasmLayout.TLB_MODE_BYTES + SoftTlb.index(gva) * WasmLayout.TLB_ENTRY_BYTES) >> 2;
  }

  flushAll(): void {
    this._u8.fill(0xff);
    this._global.fill(0);
    this._recentCount = 0;
    this._anyGlobal = false;
    this.stats.flushes++;
  }

  /** Flush every entry but those of global pages (a CR3 write). */
  flushNonGlobal(): void {
    this.stats.nonGlobalFlushes++;
    if (!this._anyGlobal) {
      this._u8.fill(0xff);
      this._recentCount = 0;
      return;
    }
    const g = this._global, i32 = this._i32, n = g.length;
    const overflow = this._recentCount > this._recent.length;
    const count = overflow ? n : this._recentCount;
    for (let k = 0; k < count; k++) {
      const i = overflow ? k : this._recent[k]!;
      if (g[i]) continue;
      i32.fill(-1, i * 8, i * 8 + 8);
    }
    this._recentCount = 0;
  }

  /** Global entries now in the TLB (a statistic; scans every entry). */
  globalEntries(): number {
    let n = 0;
    for (const v of this._global) n += v;
    return n;
  }

  /** Whether the entry for `gva` holds a valid execute tag for its page. */
  holdsCode(mmuIdx: number, gva: number): boolean {
    const page = Math.floor(gva / 4096) * 4096;
    const e = this._entry(mmuIdx, page);
    return (this._i32[e + 4]! & TlbFlag.INVALID) === 0 && this._tagPage(e + 4) === page;
  }

  /** Flush one virtual page in every MMU mode (INVLPG). */
  flushPage(gva: number): void {
    const page = Math.floor(gva / 4096) * 4096;
    for (let mmu = 0; mmu < WasmLayout.TLB_MODES; mmu++) {
      const e = this._entry(mmu, page);
      if (this._tagPage(e) === page || this._tagPage(e + 2) === page || this._tagPage(e + 4) === page) {
        this._u8.fill(0xff, e * 4, e * 4 + WasmLayout.TLB_ENTRY_BYTES);
        this._global[e >> 3] = 0;
      }
    }
    this.stats.pageFlushes++;
  }

  private _tagPage(word: number): number {
    return this._i32[word + 1]! * TWO32 + ((this._i32[word]! & ~0xfff) >>> 0);
  }

  /**
   * Fill the entry for `gva`'s page. `read`/`write`/`exec` say which tags are valid; `flags`
   * (TlbFlag) are OR'ed into every valid tag (MMIO) or only the write tag (CODE).
   * `wasmOffset` is where the physical page lives in the Wasm memory (RAM only). `global`:
   * the page survives flushNonGlobal().
   */
  fill(mmuIdx: number, gva: number, wasmOffset: number, physPage: number, read: boolean, write: boolean, exec: boolean, writeFlags = 0, allFlags = 0, global = false): void {
    const page = Math.floor(gva / 4096) * 4096;
    const hi = Math.floor(page / TWO32);
    const lo = (page - hi * TWO32) | 0;
    const e = this._entry(mmuIdx, page);
    const i32 = this._i32;
    const put = (w: number, ok: boolean, flags: number): void => {
      if (ok) { i32[w] = lo | flags; i32[w + 1] = hi; } else { i32[w] = -1; i32[w + 1] = -1; }
    };
    put(e, read, allFlags);
    put(e + 2, write, allFlags | writeFlags);
    put(e + 4, exec, allFlags);
    i32[e + 6] = (wasmOffset - lo) | 0;
    i32[e + 7] = physPage;
    const i = e >> 3;
    this._global[i] = global ? 1 : 0;
    if (global) this._anyGlobal = true;
    else if (this._recentCount++ < this._recent.length) this._recent[this._recentCount - 1] = i;
    this.stats.fills++;
  }

  /** Set the CODE flag on write tags that map `physPage` (a TB was just translated there). */
  protectCodePage(physPage: number): void {
    const i32 = this._i32;
    for (let e = 0; e < i32.length; e += 8) {
      if (i32[e + 7] === physPage && (i32[e + 2]! & TlbFlag.INVALID) === 0) i32[e + 2] = i32[e + 2]! | TlbFlag.CODE;
    }
  }
}
