/**
 * FlatView: the memory tree rendered to a sorted array of non-overlapping ranges, each
 * pointing at one terminal region (ram, rom or io) and the offset inside it (QEMU
 * render_memory_region + flatview). Rendering walks children highest priority first and each
 * region only fills the gaps left by what was rendered before it, so priorities resolve
 * overlaps. Lookups binary-search the range starts.
 */

import type { MemoryRegion } from "./memory-region.js";

export interface FlatRange {
  /** First address covered. */
  readonly start: number;
  /** One past the last address covered. */
  readonly end: number;
  /** The terminal region (kind ram, rom or io). */
  readonly region: MemoryRegion;
  /** Offset inside `region` of the byte at `start`. */
  readonly regionOffset: number;
}

interface MutableRange {
  start: number;
  end: number;
  region: MemoryRegion;
  regionOffset: number;
}

export class FlatView {
  private readonly _starts: Float64Array;

  constructor(readonly ranges: readonly FlatRange[]) {
    this._starts = Float64Array.from(ranges, (r) => r.start);
  }

  /** Render the tree under `root` (mapped at address 0), clipped to [0, root.size). */
  static render(root: MemoryRegion): FlatView {
    const out: MutableRange[] = [];
    renderRegion(root, 0, 0, root.size, out);
    out.sort((a, b) => a.start - b.start);
    return new FlatView(merge(out));
  }

  /** Index of the range containing `addr`, or -1. */
  findIndex(addr: number): number {
    const s = this._starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0) return -1;
    return addr < this.ranges[hi]!.end ? hi : -1;
  }

  find(addr: number): FlatRange | undefined {
    const i = this.findIndex(addr);
    return i < 0 ? undefined : this.ranges[i];
  }
}

function renderRegion(mr: MemoryRegion, base: number, clipStart: number, clipEnd: number, out: MutableRange[]): void {
  if (!mr.enabled) return;
  const s = Math.max(base, clipStart);
  const e = Math.min(base + mr.size, clipEnd);
  if (s >= e) return;
  switch (mr.kind) {
    case "alias":
      renderRegion(mr.aliasTarget!, base - mr.aliasOffset, s, e, out);
      return;
    case "container":
      for (const c of mr.orderedSubregions()) renderRegion(c.region, base + c.offset, s, e, out);
      return;
    default:
      fillGaps(out, s, e, mr, base);
  }
}

/** Add [s, e) of terminal region `mr` (mapped at `base`) where `out` has no range yet. */
function fillGaps(out: MutableRange[], s: number, e: number, mr: MemoryRegion, base: number): void {
  const covered = out.filter((r) => r.end > s && r.start < e).sort((a, b) => a.start - b.start);
  let cur = s;
  for (const r of covered) {
    if (r.start > cur) out.push({ start: cur, end: r.start, region: mr, regionOffset: cur - base });
    cur = Math.max(cur, r.end);
    if (cur >= e) return;
  }
  if (cur < e) out.push({ start: cur, end: e, region: mr, regionOffset: cur - base });
}

/** Join adjacent ranges of the same region whose offsets continue (QEMU flatrange_mergeable). */
function merge(sorted: MutableRange[]): FlatRange[] {
  const res: MutableRange[] = [];
  for (const r of sorted) {
    const last = res[res.length - 1];
    if (last && last.region === r.region && last.end === r.start && last.regionOffset + (last.end - last.start) === r.regionOffset) {
      last.end = r.end;
    } else {
      res.push({ ...r });
    }
  }
  return res;
}
