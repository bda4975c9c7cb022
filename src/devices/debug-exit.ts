/**
 * isa-debug-exit (QEMU): a guest write of value v asks the machine to power off with process
 * exit status (v << 1) | 1, so test kernels and firmware can report pass/fail. Reads return 0.
 * The board picks the port and the width (QEMU's iobase/iosize).
 */

import { ConfigError } from "../common/errors.js";
import type { AccessSize, AccessSizes, RegionOps } from "../memory/types.js";
import { Device } from "./device.js";
import type { SystemControl } from "./system-control.js";

export interface DebugExitOptions {
  system: SystemControl;
  /** Register width in bytes (QEMU iosize; default 2). */
  ioSize?: 1 | 2 | 4;
  id?: string;
}

export type DebugExitState = { writes: number };

export class DebugExit extends Device<DebugExitState> implements RegionOps {
  readonly typeName = "isa-debug-exit";
  readonly valid: AccessSizes;
  readonly ioSize: 1 | 2 | 4;
  private readonly _system: SystemControl;
  private _writes = 0;

  constructor(opts: DebugExitOptions) {
    super(opts.id ?? "debug-exit");
    if (typeof opts.system?.requestPowerOff !== "function") throw new ConfigError("DebugExit: option system must be a SystemControl");
    const size = opts.ioSize ?? 2;
    if (size !== 1 && size !== 2 && size !== 4) throw new ConfigError(`DebugExit: ioSize must be 1, 2 or 4, got ${String(size)}`);
    this.ioSize = size;
    this.valid = { min: 1, max: 4 };
    this._system = opts.system;
  }

  protected onReset(): void {}

  read(_offset: number, _size: AccessSize): number { return 0; }

  write(_offset: number, value: number, size: AccessSize): void {
    const v = size >= 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
    this._writes++;
    this._system.requestPowerOff("isa-debug-exit", v * 2 + 1);
  }

  override describe(): Record<string, string | number | boolean> { return { iosize: this.ioSize }; }

  getState(): DebugExitState { return { writes: this._writes }; }
  setState(s: DebugExitState): void { this._writes = s.writes; }
}
