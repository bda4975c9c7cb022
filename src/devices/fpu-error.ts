/**
 * The PC's x87 error reporting for CR0.NE = 0 (the "DOS-compatible" mode, SDM vol 1 8.7 and
 * appendix D): the CPU asserts FERR# when a waiting x87 instruction finds an unmasked exception
 * pending; the chipset turns FERR# into ISA IRQ 13, and the handler's write to port 0xF0 clears
 * it (the chipset also asserts IGNNE#, which is not modelled: the CPU carries on either way, as
 * QEMU's does). Region: 1 byte; reads return 0xFF.
 */

import type { AccessSize, RegionOps } from "../memory/types.js";
import { Device } from "./device.js";
import type { IrqLine } from "./irq.js";

export interface FpuErrorState {
  [key: string]: boolean;
  asserted: boolean;
}

export class FpuErrorLatch extends Device<FpuErrorState> implements RegionOps {
  readonly typeName = "isa-fpu-error";
  readonly valid = { min: 1, max: 4 } as const;
  private _asserted = false;

  constructor(id: string, private readonly _irq: IrqLine) {
    super(id);
  }

  /** FERR#: the CPU found an unmasked x87 exception pending with CR0.NE = 0. */
  assert(): void {
    this._asserted = true;
    this._irq.set(1);
  }

  get asserted(): boolean { return this._asserted; }

  protected onReset(): void {
    this._asserted = false;
    this._irq.set(0);
  }

  read(_offset: number, _size: AccessSize): number { return 0xffffffff; }

  /** Any write clears the latch. */
  write(_offset: number, _value: number, _size: AccessSize): void {
    this._asserted = false;
    this._irq.set(0);
  }

  getState(): FpuErrorState { return { asserted: this._asserted }; }
  setState(s: FpuErrorState): void {
    this._asserted = s.asserted;
    this._irq.set(s.asserted ? 1 : 0);
  }
}
