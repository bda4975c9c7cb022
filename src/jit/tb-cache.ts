/**
 * Translation-block bookkeeping (QEMU tb-maint.c's role): TBs by virtual PC, by physical page
 * (for self-modifying-code invalidation), and the jump cache in Wasm memory that the
 * dispatcher reads (virtual PC + hflags -> table slot).
 */

import { WasmLayout } from "../memory/wasm-layout.js";

export interface Tb {
  /** Canonical virtual (linear) PC of the first instruction. */
  readonly pc: number;
  /** The RIP value the dispatcher sees (pc minus the CS base; equal to pc in 64-bit code). */
  readonly rip: number;
  /** hflags the block was translated under (part of the key). */
  readonly hflags: number;
  /** CS base (legacy modes; part of the key). */
  readonly csBase: number;
  /** CS limit (legacy modes, else 0xFFFFFFFF; part of the key: fetch and branch checks use it). */
  readonly csLimit: number;
  /** Physical pages the block's bytes occupy (one, or two for a straddling instruction). */
  readonly physPages: readonly number[];
  readonly physPc: number;
  readonly guestBytes: number;
  readonly insns: number;
  slot: number;
  /** How many times the dispatcher missed into this TB (a filled jump-cache entry does not count). */
  lookups: number;
}

export interface TbStats {
  translated: number;
  invalidated: number;
  jumpCacheFills: number;
  lookupsHit: number;
}

const TWO32 = 4294967296;

/**
 * Do the TB's bytes on physical page `page` overlap [off, off + len) of that page? A block
 * that ends in an undecodable first instruction has no length: it depends on up to 15 bytes.
 */
function overlaps(tb: Tb, page: number, off: number, len: number): boolean {
  const pages = tb.physPages;
  if (pages.length > 2) return true;
  const bytes = tb.guestBytes > 0 ? tb.guestBytes : 15;
  const start = tb.physPc - pages[0]! * 4096;
  const first = Math.min(bytes, 4096 - start);
  if (page === pages[0] && off < start + first && off + len > start) return true;
  return pages.length === 2 && page === pages[1] && off < bytes - first;
}

export class TbCache {
  readonly stats: TbStats = { translated: 0, invalidated: 0, jumpCacheFills: 0, lookupsHit: 0 };
  private readonly _byPc = new Map<number, Tb[]>();
  private readonly _byPage = new Map<number, Set<Tb>>();
  private readonly _jc: Int32Array;
  /**
   * Entries (word index) filled since the last flushRecentJumpCacheUnless(): entries that
   * passed it once stay valid (their page is global), so a CR3 write looks only at these.
   */
  private readonly _recent: number[] = [];

  constructor(buffer: ArrayBuffer, private readonly _freeSlot: (slot: number) => void) {
    this._jc = new Int32Array(buffer, WasmLayout.JMP_CACHE_BASE, (WasmLayout.JMP_CACHE_ENTRIES * WasmLayout.JMP_CACHE_ENTRY_BYTES) / 4);
    this.flushJumpCache();
  }

  /** The dispatcher's hash of a RIP value (must match backend.ts _addDispatcher). */
  static jcIndex(rip: number): number {
    const hi = Math.floor(rip / TWO32);
    const lo = (rip - hi * TWO32) | 0;
    return (lo ^ (lo >>> 12)) & (WasmLayout.JMP_CACHE_ENTRIES - 1);
  }

  find(pc: number, physPc: number, hflags: number, csBase: number, csLimit = 0xffffffff): Tb | undefined {
    const list = this._byPc.get(pc);
    if (!list) return undefined;
    for (const tb of list) {
      if (tb.physPc === physPc && tb.hflags === hflags && tb.csBase === csBase && tb.csLimit === csLimit) {
        this.stats.lookupsHit++;
        return tb;
      }
    }
    return undefined;
  }

  insert(tb: Tb): void {
    let list = this._byPc.get(tb.pc);
    if (!list) this._byPc.set(tb.pc, (list = []));
    list.push(tb);
    for (const p of tb.physPages) {
      let set = this._byPage.get(p);
      if (!set) this._byPage.set(p, (set = new Set()));
      set.add(tb);
    }
    this.stats.translated++;
  }

  /** Point the jump-cache entry for the TB's RIP at it. */
  fillJumpCache(tb: Tb): void {
    const e = TbCache.jcIndex(tb.rip) * 4;
    const hi = Math.floor(tb.rip / TWO32);
    this._jc[e] = (tb.rip - hi * TWO32) | 0;
    this._jc[e + 1] = hi | 0;
    this._jc[e + 2] = tb.hflags;
    this._jc[e + 3] = tb.slot;
    if (this._recent.length <= WasmLayout.JMP_CACHE_ENTRIES) this._recent.push(e);
    this.stats.jumpCacheFills++;
  }

  /** Empty the jump cache (an hflags value of -1 never matches). */
  flushJumpCache(): void {
    this._recent.length = 0;
    for (let e = 0; e < this._jc.length; e += 4) {
      this._jc[e + 2] = -1;
      this._jc[e + 3] = 0;
    }
  }

  /**
   * Empty the entries filled since the last call for which `keep(rip, hflags)` is false (a CR3
   * write: `keep` says whether the block's page is global). Older entries passed `keep` before.
   */
  flushRecentJumpCacheUnless(keep: (rip: number, hflags: number) => boolean): void {
    const jc = this._jc;
    const all = this._recent.length > WasmLayout.JMP_CACHE_ENTRIES;
    const n = all ? jc.length / 4 : this._recent.length;
    for (let k = 0; k < n; k++) {
      const e = all ? k * 4 : this._recent[k]!;
      if (jc[e + 2] === -1) continue;
      if (keep(jc[e + 1]! * TWO32 + (jc[e]! >>> 0), jc[e + 2]!)) continue;
      jc[e + 2] = -1;
      jc[e + 3] = 0;
    }
    this._recent.length = 0;
  }

  /** Empty the jump-cache entries whose RIP lies in the 4 KiB page of `rip`. */
  flushJumpCachePage(rip: number): void {
    const page = Math.floor(rip / 4096);
    const jc = this._jc;
    for (let e = 0; e < jc.length; e += 4) {
      if (jc[e + 2] === -1) continue;
      const tag = jc[e + 1]! * TWO32 + (jc[e]! >>> 0);
      if (Math.floor(tag / 4096) === page) {
        jc[e + 2] = -1;
        jc[e + 3] = 0;
      }
    }
  }

  hasCode(physPage: number): boolean {
    const s = this._byPage.get(physPage);
    return s !== undefined && s.size > 0;
  }

  /** Invalidate every TB on a physical page; returns how many died. */
  invalidatePage(physPage: number): number {
    const set = this._byPage.get(physPage);
    if (!set) return 0;
    this._byPage.delete(physPage);
    let n = 0;
    for (const tb of set) {
      this._remove(tb, physPage);
      n++;
    }
    this.stats.invalidated += n;
    return n;
  }

  /**
   * Invalidate the TBs whose guest bytes overlap [off, off + len) of a physical page (QEMU's
   * tb_invalidate_phys_page_range): a patched jump site kills its block or two, not the page's
   * hundreds. Returns how many died.
   */
  invalidateRange(physPage: number, off: number, len: number): number {
    const set = this._byPage.get(physPage);
    if (!set) return 0;
    let n = 0;
    for (const tb of set) {
      if (!overlaps(tb, physPage, off, len)) continue;
      set.delete(tb);
      this._remove(tb, physPage);
      n++;
    }
    if (set.size === 0) this._byPage.delete(physPage);
    this.stats.invalidated += n;
    return n;
  }

  /** Drop everything (tb_flush). */
  flushAll(): void {
    for (const list of this._byPc.values()) for (const tb of list) this._freeSlot(tb.slot);
    this._byPc.clear();
    this._byPage.clear();
    this.flushJumpCache();
  }

  get size(): number {
    let n = 0;
    for (const l of this._byPc.values()) n += l.length;
    return n;
  }

  private _remove(tb: Tb, exceptPage: number): void {
    const list = this._byPc.get(tb.pc);
    if (list) {
      const i = list.indexOf(tb);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this._byPc.delete(tb.pc);
    }
    for (const p of tb.physPages) if (p !== exceptPage) this._byPage.get(p)?.delete(tb);
    const e = TbCache.jcIndex(tb.rip) * 4;
    if (this._jc[e + 3] === tb.slot) {
      this._jc[e + 2] = -1;
      this._jc[e + 3] = 0;
    }
    this._freeSlot(tb.slot);
    tb.slot = 0;
  }
}
