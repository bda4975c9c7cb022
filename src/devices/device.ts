/**
 * The device tree (a typed, QOM-like model without string properties).
 * Every device is a Device: it has a type name (for `info qtree`), an instance id, typed
 * constructor options (validated in the constructor: a bad option is a ConfigError),
 * children, and a lifecycle: constructed -> realize() -> reset() ... -> dispose().
 * Device state is plain JSON-safe data: getState() returns it, setState() restores it, so
 * snapshots and "set state, poke register, compare state" tests come for free.
 * A device sees offsets only; the board maps it at ports/addresses and wires its IRQs.
 */

import { Disposable } from "../common/lifecycle.js";

/** JSON-safe plain data (no class instances, no typed arrays other than number[]). */
export type PlainData = null | boolean | number | string | PlainData[] | { [key: string]: PlainData };

export abstract class Device<S extends PlainData = PlainData> extends Disposable {
  /** The device type, e.g. "i8259", "isa-serial", "ioapic" (as QEMU names them where one exists). */
  abstract readonly typeName: string;
  private readonly _children: Device[] = [];
  private _realized = false;

  constructor(readonly id: string) {
    super();
  }

  get children(): readonly Device[] { return this._children; }
  get realized(): boolean { return this._realized; }

  addChild<D extends Device>(child: D): D {
    this._children.push(child);
    this._register(child);
    return child;
  }

  /** Finish construction after wiring; realizes children first. Idempotent. */
  realize(): void {
    if (this._realized) return;
    for (const c of this._children) c.realize();
    this.onRealize();
    this._realized = true;
    this.reset();
  }

  /** System reset: children first, then this device (power-on state). */
  reset(): void {
    for (const c of this._children) c.reset();
    this.onReset();
  }

  protected onRealize(): void {}
  protected abstract onReset(): void;

  abstract getState(): S;
  abstract setState(state: S): void;

  /** Properties shown by `info qtree` (typed values, rendered by the dump). */
  describe(): Record<string, string | number | boolean> { return {}; }

  /** `info qtree`-style dump of this subtree. */
  dumpTree(indent = ""): string {
    const props = Object.entries(this.describe()).map(([k, v]) => `${indent}  ${k} = ${typeof v === "number" ? "0x" + v.toString(16) : String(v)}\n`).join("");
    return `${indent}dev: ${this.typeName}, id "${this.id}"\n${props}${this._children.map((c) => c.dumpTree(indent + "  ")).join("")}`;
  }
}
