/**
 * AddressSpace: a root MemoryRegion seen through its FlatView (QEMU AddressSpace). Guest
 * physical memory is one; the 64 KiB I/O port space is another. Every change in the tree
 * marks the view stale and fires `onDidChange` (the CPU flushes its TLB); the view is
 * re-rendered on the next access. Accesses:
 *  - read/write of 1, 2, 4 bytes; read64/write64 with (lo, hi) halves;
 *  - RAM is read little-endian from its backing bytes; ROM ignores writes;
 *  - io regions go through the valid/impl adaptation in access.ts;
 *  - unassigned addresses read all-ones and drop writes, with a rate-limited guest_error;
 *  - an access straddling two flat ranges is split into bytes.
 * `lookup()` and `ramWasmOffset()` serve the CPU's softmmu slow path.
 */

import { Disposable, Emitter, type Event } from "../common/lifecycle.js";
import type { Logger } from "../common/log.js";
import { dispatchRead, dispatchWrite, accessValid, ones } from "./access.js";
import { FlatView, type FlatRange } from "./flat-view.js";
import type { MemoryRegion } from "./memory-region.js";
import type { AccessSize, U64 } from "./types.js";

export type LookupResult =
  | {
      kind: "ram";
      /** Wasm-memory offset of the looked-up byte (valid while the backing view is the Wasm memory). */
      wasmOffset: number;
      /** false for ROM. */
      writable: boolean;
      /** The contiguous RAM range [start, end) containing the address (for page-granular TLB fills). */
      start: number;
      end: number;
      region: MemoryRegion;
    }
  | { kind: "mmio"; region: MemoryRegion; offset: number; start: number; end: number }
  | { kind: "unassigned" };

export interface WriteBytesOptions {
  /** Also write into ROM regions (loaders; QEMU address_space_write_rom). */
  rom?: boolean;
}

function hex(n: number, digits: number): string {
  return n.toString(16).padStart(digits, "0");
}

export class AddressSpace extends Disposable {
  private _view: FlatView | null = null;
  private readonly _onDidChange = this._register(new Emitter<void>());
  /** Fires after any change of the tree (map, unmap, enable, alias move). */
  readonly onDidChange: Event<void> = this._onDidChange.event;
  private readonly _digits: number;

  constructor(readonly name: string, readonly root: MemoryRegion, private readonly _log: Logger) {
    super();
    const unwatch = root.watch(() => {
      this._view = null;
      this._onDidChange.fire();
    });
    this._register({ dispose: unwatch });
    this._digits = root.size > 2 ** 32 ? 16 : root.size > 0x10000 ? 8 : 4;
  }

  /** The current flat view (rendered on demand). */
  get flatView(): FlatView {
    return (this._view ??= FlatView.render(this.root));
  }

  private _unassigned(addr: number, size: number, op: "read" | "write"): void {
    this._log.guestError(`${this.name}: unassigned ${size}-byte ${op} at 0x${addr.toString(16)}`, `unassigned ${this.name}`);
  }

  /** Read 1, 2 or 4 bytes (unsigned). Size 8 belongs to read64; here it yields the low half. */
  read(addr: number, size: AccessSize): number {
    if (size === 8) return this.read64(addr).lo;
    const r = this.flatView.find(addr);
    if (!r) {
      this._unassigned(addr, size, "read");
      return ones(size);
    }
    if (addr + size > r.end) return this._readSplit(addr, size);
    const off = r.regionOffset + (addr - r.start);
    if (r.region.kind === "io") return dispatchRead(r.region.ops, off, size, this._log, r.region.name);
    const b = r.region.bytes;
    if (size === 1) return b[off]!;
    if (size === 2) return b[off]! | (b[off + 1]! << 8);
    return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
  }

  /** Write the low 1, 2 or 4 bytes of `value`. Size 8 writes `value` as the low half, zero high. */
  write(addr: number, value: number, size: AccessSize): void {
    if (size === 8) {
      this.write64(addr, value >>> 0, 0);
      return;
    }
    const r = this.flatView.find(addr);
    if (!r) {
      this._unassigned(addr, size, "write");
      return;
    }
    if (addr + size > r.end) {
      this._writeSplit(addr, value, size);
      return;
    }
    const off = r.regionOffset + (addr - r.start);
    if (r.region.kind === "io") {
      dispatchWrite(r.region.ops, off, value, size, this._log, r.region.name);
      return;
    }
    if (r.region.kind === "rom") return;
    const b = r.region.bytes;
    for (let i = 0; i < size; i++) b[off + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  }

  private _readSplit(addr: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v += this.read(addr + i, 1) * 2 ** (8 * i);
    return v >>> 0;
  }

  private _writeSplit(addr: number, value: number, size: number): void {
    for (let i = 0; i < size; i++) this.write(addr + i, Math.floor(value / 2 ** (8 * i)) & 0xff, 1);
  }

  /** 8-byte read as (lo, hi). MMIO: forwarded to ops.read64 when valid and impl allow 8, else two 4-byte reads. */
  read64(addr: number): U64 {
    const r = this.flatView.find(addr);
    if (r && r.region.kind === "io" && addr + 8 <= r.end) {
      const ops = r.region.ops;
      const off = r.regionOffset + (addr - r.start);
      if (ops.read64 && ops.impl?.max === 8 && accessValid(ops, off, 8)) return ops.read64(off);
    }
    return { lo: this.read(addr, 4), hi: this.read(addr + 4, 4) };
  }

  write64(addr: number, lo: number, hi: number): void {
    const r = this.flatView.find(addr);
    if (r && r.region.kind === "io" && addr + 8 <= r.end) {
      const ops = r.region.ops;
      const off = r.regionOffset + (addr - r.start);
      if (ops.write64 && ops.impl?.max === 8 && accessValid(ops, off, 8)) {
        ops.write64(off, lo >>> 0, hi >>> 0);
        return;
      }
    }
    this.write(addr, lo, 4);
    this.write(addr + 4, hi, 4);
  }

  /** Copy guest memory into `dst` (loaders, DMA). io regions are read byte by byte; holes read 0xFF. */
  readBytes(gpa: number, dst: Uint8Array): void {
    let done = 0;
    while (done < dst.length) {
      const addr = gpa + done;
      const r = this.flatView.find(addr);
      if (r && r.region.kind !== "io") {
        const n = Math.min(dst.length - done, r.end - addr);
        const off = r.regionOffset + (addr - r.start);
        dst.set(r.region.bytes.subarray(off, off + n), done);
        done += n;
      } else {
        dst[done] = this.read(addr, 1);
        done++;
      }
    }
  }

  /** Copy `src` into guest memory. ROM is skipped unless `opts.rom` (loaders). */
  writeBytes(gpa: number, src: Uint8Array, opts: WriteBytesOptions = {}): void {
    let done = 0;
    while (done < src.length) {
      const addr = gpa + done;
      const r = this.flatView.find(addr);
      if (r && (r.region.kind === "ram" || r.region.kind === "rom")) {
        const n = Math.min(src.length - done, r.end - addr);
        if (r.region.kind === "ram" || opts.rom === true) {
          const off = r.regionOffset + (addr - r.start);
          r.region.bytes.set(src.subarray(done, done + n), off);
        }
        done += n;
      } else {
        this.write(addr, src[done]!, 1);
        done++;
      }
    }
  }

  /** What lives at `addr`, for the CPU's softmmu slow path. */
  lookup(addr: number): LookupResult {
    const r = this.flatView.find(addr);
    if (!r) return { kind: "unassigned" };
    const off = r.regionOffset + (addr - r.start);
    if (r.region.kind === "io") return { kind: "mmio", region: r.region, offset: off, start: r.start, end: r.end };
    return {
      kind: "ram",
      wasmOffset: r.region.wasmOffset + off,
      writable: r.region.kind === "ram",
      start: r.start,
      end: r.end,
      region: r.region,
    };
  }

  /** The shape of CpuMemoryBus.ramWasmOffset: Wasm offset of RAM at `gpa`, or -1. */
  ramWasmOffset(gpa: number, write: boolean): number {
    const r = this.flatView.find(gpa);
    if (!r || r.region.kind === "io" || (write && r.region.kind === "rom")) return -1;
    return r.region.wasmOffset + r.regionOffset + (gpa - r.start);
  }

  /** `info mtree`-style dump of the region tree. */
  dumpTree(): string {
    const lines = [`address-space: ${this.name}`];
    const walk = (mr: MemoryRegion, base: number, prio: number, indent: string): void => {
      const range = `${hex(base, this._digits)}-${hex(base + mr.size - 1, this._digits)}`;
      const kind = mr.kind === "io" ? "i/o" : mr.kind;
      const dis = mr.enabled ? "" : " [disabled]";
      let extra = "";
      if (mr.kind === "alias") {
        const t = mr.aliasTarget!;
        extra = ` @${t.name} ${hex(mr.aliasOffset, this._digits)}-${hex(mr.aliasOffset + mr.size - 1, this._digits)}`;
      }
      lines.push(`${indent}${range} (prio ${prio}, ${kind}): ${mr.name}${extra}${dis}`);
      for (const c of mr.orderedSubregions()) walk(c.region, base + c.offset, c.priority, indent + "  ");
    };
    walk(this.root, 0, 0, "  ");
    return lines.join("\n") + "\n";
  }

  /** `info mtree -f`-style dump of the flat view. */
  dumpFlat(): string {
    const lines = [`FlatView: ${this.name}`];
    for (const r of this.flatView.ranges as readonly FlatRange[]) {
      const kind = r.region.kind === "io" ? "i/o" : r.region.kind;
      const off = r.regionOffset ? ` @${hex(r.regionOffset, this._digits)}` : "";
      lines.push(`  ${hex(r.start, this._digits)}-${hex(r.end - 1, this._digits)} (${kind}): ${r.region.name}${off}`);
    }
    return lines.join("\n") + "\n";
  }
}
