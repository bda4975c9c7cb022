/**
 * Reset control register (PIIX/ICH RCR, conventionally I/O port 0xCF9), one byte:
 *   bit 1 SYS_RST: the next reset is a hard (system) reset rather than a CPU-only soft reset
 *   bit 2 RST_CPU: writing 1 starts the reset
 *   bit 3 FULL_RST (ICH): power-cycle style reset
 * Linux's "reboot=pci" writes 0x02 then 0x06. As QEMU does, any write with bit 2 set requests
 * a reset; we always perform a full machine reset and report which kind the guest asked for.
 * On a PC with PCI the byte sits inside the 0xCF8 dword: hand this device to
 * PciHost({ resetControl }) instead of mapping it over the PCI address register.
 */

import type { AccessSize, AccessSizes, RegionOps } from "../memory/types.js";
import { ConfigError } from "../common/errors.js";
import { Device } from "./device.js";
import type { SystemControl } from "./system-control.js";

export const enum Rcr {
  SYS_RST = 0x02,
  RST_CPU = 0x04,
  FULL_RST = 0x08,
}

export interface ResetControlOptions {
  system: SystemControl;
  id?: string;
}

export type ResetControlState = { rcr: number };

export class ResetControl extends Device<ResetControlState> implements RegionOps {
  readonly typeName = "reset-control";
  readonly valid: AccessSizes = { min: 1, max: 1 };
  private readonly _system: SystemControl;
  private _rcr = 0;

  constructor(opts: ResetControlOptions) {
    super(opts.id ?? "rcr");
    if (typeof opts.system?.requestReset !== "function") throw new ConfigError("ResetControl: option system must be a SystemControl");
    this._system = opts.system;
  }

  protected onReset(): void { this._rcr = 0; }

  read(_offset: number, _size: AccessSize): number { return this._rcr; }

  write(_offset: number, value: number, _size: AccessSize): void {
    const v = value & 0xff;
    if (v & Rcr.RST_CPU) {
      const hard = (v | this._rcr) & (Rcr.SYS_RST | Rcr.FULL_RST);
      this._system.requestReset(hard ? "port 0xcf9 hard reset" : "port 0xcf9 soft reset");
    }
    this._rcr = v & (Rcr.SYS_RST | Rcr.FULL_RST);
  }

  getState(): ResetControlState { return { rcr: this._rcr }; }
  setState(s: ResetControlState): void { this._rcr = s.rcr & 0x0a; }
}
