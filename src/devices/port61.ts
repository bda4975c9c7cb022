/**
 * The PC/AT "system control port B" (NMI status and control) as far as timers go: bit 0
 * drives the GATE of the PIT's speaker channel, bit 1 enables the speaker data, bits 2-3
 * are stored (parity/IOCHK check enables), bit 4 toggles with the DRAM refresh request
 * (every 15.085 us), bit 5 reads the speaker channel's OUT pin. Linux's TSC calibration
 * (pit_calibrate_tsc, quick_pit_calibrate) gates channel 2 and polls bit 5 through it.
 * Region: 1 byte at offset 0. The board decides which PIT channel (channel 2) is wired here.
 */

import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps } from "../memory/types.js";
import type { VirtualClock } from "./clock.js";
import { Device } from "./device.js";
import type { PitChannelPins } from "./pit-8254.js";

/** Period of the refresh-request toggle (ns), as QEMU's pcspk models it. */
const REFRESH_PERIOD_NS = 15_085;

export interface Port61State {
  [key: string]: number;
  control: number;
}

export interface Port61Options {
  clock: VirtualClock;
  logger: Logger;
  /** The PIT channel whose GATE is bit 0 and whose OUT is bit 5 (channel 2 on a PC). */
  speakerTimer: PitChannelPins;
}

export class Port61 extends Device<Port61State> implements RegionOps {
  readonly typeName = "port61";
  readonly valid = { min: 1, max: 1 } as const;
  readonly impl = { min: 1, max: 1 } as const;
  private _control = 0;

  constructor(id: string, private readonly _opts: Port61Options) {
    super(id);
  }

  /** Whether the guest enabled speaker output (bits 0 and 1), for a future audio backend. */
  get speakerOn(): boolean {
    return (this._control & 3) === 3;
  }

  protected onReset(): void {
    this._control = 0;
    this._opts.speakerTimer.setGate(0);
  }

  read(offset: number, _size: AccessSize): number {
    if (offset !== 0) {
      this._opts.logger.guestError(`port61: read at bad offset ${offset}`);
      return 0xff;
    }
    const refresh = Math.floor(this._opts.clock.now() / REFRESH_PERIOD_NS) & 1;
    return (this._control & 0x0f) | (refresh << 4) | (this._opts.speakerTimer.getOutput() << 5);
  }

  write(offset: number, value: number, _size: AccessSize): void {
    if (offset !== 0) {
      this._opts.logger.guestError(`port61: write at bad offset ${offset}`);
      return;
    }
    this._control = value & 0x0f;
    this._opts.speakerTimer.setGate((value & 1) as 0 | 1);
  }

  getState(): Port61State {
    return { control: this._control };
  }

  setState(state: Port61State): void {
    this._control = state.control & 0x0f;
    this._opts.speakerTimer.setGate((this._control & 1) as 0 | 1);
  }
}
