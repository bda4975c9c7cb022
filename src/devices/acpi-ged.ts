/**
 * ACPI Generic Event Device for a hardware-reduced platform (ACPI 6.x 5.6.9), with the
 * register layout of QEMU's acpi-ged so the same DSDT/FADT shape works:
 *   `evt`  (4 bytes, dword access): ESEL, the pending-event bits the DSDT's _EVT reads; a
 *          read returns them and clears them. Events pulse the GED interrupt (edge).
 *   `regs` (3 bytes, byte access): 0 SLEEP_CONTROL (SLP_TYP in bits 2..4, SLP_EN bit 5:
 *          entering the S5 type powers off), 1 SLEEP_STATUS (reads 0; WAK_STS never set, we
 *          do not sleep), 2 RESET (writing the reset value resets the machine).
 * The board maps the regions where its FADT and DSDT say and wires the interrupt.
 */

import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, AccessSizes, RegionOps } from "../memory/types.js";
import { Device } from "./device.js";
import type { IrqLine } from "./irq.js";
import type { SystemControl } from "./system-control.js";

/** ESEL event bits (QEMU's numbering). */
export const enum GedEvent { POWER_DOWN = 1 << 1 }

const SLP_TYP_SHIFT = 2, SLP_TYP_MASK = 7, SLP_EN = 1 << 5;
const REG_SLEEP_CTL = 0, REG_SLEEP_STS = 1, REG_RESET = 2;

export interface AcpiGedOptions {
  system: SystemControl;
  logger: Logger;
  irq: IrqLine;
  /** SLP_TYP of S5 (the DSDT's \_S5 package). */
  s5SleepType: number;
  /** RESET_REG value that resets (the FADT's RESET_VALUE). */
  resetValue: number;
}

export type AcpiGedState = { sel: number };

export class AcpiGed extends Device<AcpiGedState> {
  readonly typeName = "acpi-ged";
  /** ESEL (event selector). */
  readonly evt: RegionOps;
  /** Sleep control, sleep status and reset registers. */
  readonly regs: RegionOps;
  private _sel = 0;
  private readonly _irq: IrqLine;

  constructor(id: string, opts: AcpiGedOptions) {
    super(id);
    const isByte = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xff;
    if (!Number.isInteger(opts.s5SleepType) || opts.s5SleepType < 0 || opts.s5SleepType > SLP_TYP_MASK) {
      throw new ConfigError(`acpi-ged: s5SleepType must be 0..7, got ${opts.s5SleepType}`);
    }
    if (!isByte(opts.resetValue)) throw new ConfigError(`acpi-ged: resetValue must be a byte, got ${opts.resetValue}`);
    const dword: AccessSizes = { min: 4, max: 4 };
    this.evt = {
      valid: dword, impl: dword,
      read: (): number => { const v = this._sel; this._sel = 0; return v >>> 0; },
      write: (): void => { opts.logger.guestError("acpi-ged: write to the read-only event selector"); },
    };
    const byte: AccessSizes = { min: 1, max: 1 };
    this.regs = {
      valid: byte, impl: byte,
      read: (_offset: number, _size: AccessSize): number => 0,
      write: (offset: number, value: number): void => {
        const v = value & 0xff;
        if (offset === REG_SLEEP_CTL) {
          const type = (v >> SLP_TYP_SHIFT) & SLP_TYP_MASK;
          if ((v & SLP_EN) && type === opts.s5SleepType) opts.system.requestPowerOff("ACPI S5 (GED sleep control)", 0);
          else if (v & SLP_EN) opts.logger.unimp(`acpi-ged: sleep type ${type} is not supported (only S5)`);
        } else if (offset === REG_RESET) {
          if (v === opts.resetValue) opts.system.requestReset("ACPI reset register (GED)");
          else opts.logger.guestError(`acpi-ged: reset register written with 0x${v.toString(16)}`);
        } else if (offset !== REG_SLEEP_STS) {
          opts.logger.guestError(`acpi-ged: write at bad offset ${offset}`);
        }
      },
    };
    this._irq = opts.irq;
  }

  /** Signal an event (e.g. the power button): latch it in ESEL and pulse the interrupt. */
  raise(event: GedEvent): void {
    this._sel |= event;
    this._irq.pulse();
  }

  protected onReset(): void { this._sel = 0; }

  getState(): AcpiGedState { return { sel: this._sel }; }
  setState(s: AcpiGedState): void { this._sel = s.sel >>> 0; }
}
