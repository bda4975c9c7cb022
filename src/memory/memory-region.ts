/**
 * MemoryRegion: one node of the guest-physical (or I/O port) memory tree, after QEMU's
 * memory API, typed. Kinds:
 *  - "ram":       bytes backed by a Uint8Array view; when the view lies on the one Wasm memory
 *                 (wasm-layout.ts) its byteOffset is the Wasm offset the softmmu TLB uses.
 *  - "rom":       like ram, but guest writes are ignored.
 *  - "io":        a device's RegionOps (MMIO or port I/O; the address space decides which).
 *  - "alias":     a window of `size` bytes onto `target` starting at `targetOffset`.
 *  - "container": children at offsets, each with a priority. Children added without an
 *                 explicit priority may not overlap their siblings (an EmulatorBug at map
 *                 time); children added with one may overlap, and the higher priority wins
 *                 (at equal priority the later-added child wins, as in QEMU).
 * A region notifies its watchers (parents, aliases, address spaces) on every change so the
 * flat views above it are rebuilt; nothing here is global state.
 */

import { EmulatorBug } from "../common/errors.js";
import type { IDisposable } from "../common/lifecycle.js";
import type { RegionOps } from "./types.js";

export type RegionKind = "ram" | "rom" | "io" | "alias" | "container";

/** A child of a container, as placed by addSubregion. */
export interface Subregion {
  readonly region: MemoryRegion;
  readonly offset: number;
  readonly priority: number;
  /** Added with an explicit priority (may overlap siblings). */
  readonly mayOverlap: boolean;
  /** Insertion sequence (ties between equal priorities: later wins). */
  readonly seq: number;
}

export interface AddSubregionOptions {
  /** Giving a priority allows overlapping siblings; the highest priority wins. */
  priority?: number;
}

function checkSize(name: string, size: number): void {
  if (!Number.isSafeInteger(size) || size <= 0) throw new EmulatorBug(`memory region "${name}": bad size ${size}`);
}

export class MemoryRegion implements IDisposable {
  private readonly _children: Subregion[] = [];
  private readonly _watchers = new Set<() => void>();
  private _enabled = true;
  private _aliasOffset: number;
  private _seq = 0;
  private _parent: MemoryRegion | null = null;

  private constructor(
    readonly name: string,
    readonly kind: RegionKind,
    readonly size: number,
    private readonly _ops: RegionOps | null,
    private readonly _bytes: Uint8Array | null,
    private readonly _target: MemoryRegion | null,
    aliasOffset: number,
  ) {
    checkSize(name, size);
    this._aliasOffset = aliasOffset;
  }

  /** RAM backed by `bytes` (its length is the region size). */
  static ram(name: string, bytes: Uint8Array): MemoryRegion {
    return new MemoryRegion(name, "ram", bytes.length, null, bytes, null, 0);
  }

  /** ROM: guest reads see `bytes`; guest writes are ignored. Loaders use writeBytes. */
  static rom(name: string, bytes: Uint8Array): MemoryRegion {
    return new MemoryRegion(name, "rom", bytes.length, null, bytes, null, 0);
  }

  /** A device region (MMIO or port I/O) of `size` bytes. */
  static io(name: string, size: number, ops: RegionOps): MemoryRegion {
    return new MemoryRegion(name, "io", size, ops, null, null, 0);
  }

  /** A window of `size` bytes onto `target`, starting at `targetOffset` inside it. */
  static alias(name: string, target: MemoryRegion, targetOffset: number, size: number): MemoryRegion {
    const r = new MemoryRegion(name, "alias", size, null, null, target, targetOffset);
    r._unwatchTarget = target.watch(() => r._notify());
    return r;
  }

  /** An empty container of `size` bytes (unfilled parts are unassigned). */
  static container(name: string, size: number): MemoryRegion {
    return new MemoryRegion(name, "container", size, null, null, null, 0);
  }

  get enabled(): boolean { return this._enabled; }
  get subregions(): readonly Subregion[] { return this._children; }
  get parent(): MemoryRegion | null { return this._parent; }
  get aliasTarget(): MemoryRegion | null { return this._target; }
  get aliasOffset(): number { return this._aliasOffset; }

  /** The device ops of an "io" region. */
  get ops(): RegionOps {
    if (!this._ops) throw new EmulatorBug(`memory region "${this.name}" (${this.kind}) has no ops`);
    return this._ops;
  }

  /** The backing bytes of a "ram"/"rom" region. */
  get bytes(): Uint8Array {
    if (!this._bytes) throw new EmulatorBug(`memory region "${this.name}" (${this.kind}) has no backing bytes`);
    return this._bytes;
  }

  /** Wasm-memory offset of the first byte of a ram/rom region (its view's byteOffset). */
  get wasmOffset(): number { return this.bytes.byteOffset; }

  /** Call `fn` whenever this region or anything below it changes. Returns an unsubscribe. */
  watch(fn: () => void): () => void {
    this._watchers.add(fn);
    return () => { this._watchers.delete(fn); };
  }

  private _notify(): void {
    for (const w of [...this._watchers]) w();
  }

  private _notifyChild = (): void => this._notify();

  /**
   * Map `child` at `offset` inside this container. Without a priority the child must not
   * overlap an enabled sibling that was also added without one (QEMU
   * memory_region_add_subregion vs _overlap).
   */
  addSubregion(child: MemoryRegion, offset: number, opts: AddSubregionOptions = {}): void {
    if (this.kind !== "container") throw new EmulatorBug(`addSubregion on non-container "${this.name}"`);
    if (child._parent) throw new EmulatorBug(`memory region "${child.name}" is already mapped in "${child._parent.name}"`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new EmulatorBug(`bad offset ${offset} for "${child.name}"`);
    const mayOverlap = opts.priority !== undefined;
    if (!mayOverlap) {
      for (const s of this._children) {
        if (s.mayOverlap) continue;
        if (offset < s.offset + s.region.size && s.offset < offset + child.size) {
          throw new EmulatorBug(
            `memory region "${child.name}" @0x${offset.toString(16)} overlaps "${s.region.name}" @0x${s.offset.toString(16)} in "${this.name}" without a priority`,
          );
        }
      }
    }
    this._children.push({ region: child, offset, priority: opts.priority ?? 0, mayOverlap, seq: this._seq++ });
    child._parent = this;
    child._unwatchParent = child.watch(this._notifyChild);
    this._notify();
  }

  private _unwatchParent: (() => void) | null = null;
  private _unwatchTarget: (() => void) | null = null;

  /** Detach an alias from its target's change notifications (an unmapped alias that is dropped). */
  dispose(): void {
    this._unwatchTarget?.();
    this._unwatchTarget = null;
  }

  removeSubregion(child: MemoryRegion): void {
    const i = this._children.findIndex((s) => s.region === child);
    if (i < 0) throw new EmulatorBug(`memory region "${child.name}" is not a subregion of "${this.name}"`);
    this._children.splice(i, 1);
    child._parent = null;
    child._unwatchParent?.();
    child._unwatchParent = null;
    this._notify();
  }

  /** Disabled regions are skipped when flattening (QEMU memory_region_set_enabled). */
  setEnabled(enabled: boolean): void {
    if (this._enabled === enabled) return;
    this._enabled = enabled;
    this._notify();
  }

  /** Move an alias window (e.g. PAM or SMRAM style remapping). */
  setAliasOffset(targetOffset: number): void {
    if (this.kind !== "alias") throw new EmulatorBug(`setAliasOffset on non-alias "${this.name}"`);
    if (this._aliasOffset === targetOffset) return;
    this._aliasOffset = targetOffset;
    this._notify();
  }

  /** Move a mapped subregion to a new offset in its container (priority kept). */
  setOffset(offset: number): void {
    const p = this._parent;
    if (!p) throw new EmulatorBug(`setOffset on unmapped region "${this.name}"`);
    const s = p._children.find((c) => c.region === this);
    if (!s || s.offset === offset) return;
    p.removeSubregion(this);
    p.addSubregion(this, offset, s.mayOverlap ? { priority: s.priority } : {});
  }

  /** Children ordered as they render: highest priority first, later-added first on ties. */
  orderedSubregions(): Subregion[] {
    return [...this._children].sort((a, b) => b.priority - a.priority || b.seq - a.seq);
  }
}
