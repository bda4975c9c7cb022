/**
 * i8042 keyboard controller with a minimal PS/2 keyboard and mouse, enough for Linux's i8042,
 * atkbd and psmouse drivers to probe cleanly. Two one-byte registers, exposed as two RegionOps
 * because the board maps them apart (PC: data at 0x60, command/status at 0x64):
 *   `dataOps`    read: output buffer; write: parameter of a pending controller command, or a
 *                byte for the keyboard device (which also re-enables the keyboard interface)
 *   `commandOps` read: status register; write: controller command
 * Controller facts: IBM PC/AT technical reference and the Linux i8042 driver's expectations
 * (self-test 0xAA -> 0x55, port tests 0xAB/0xA9 -> 0x00, 0xD3 AUX loopback, command byte via
 * 0x20/0x60). Output port writes (0xD1) drive A20 (bit 1) and reset (bit 0 low); 0xFE pulses
 * reset. IRQ1 / IRQ12 are level outputs: high while the output buffer holds a keyboard /
 * mouse byte and the command byte enables that interrupt.
 */

import { ConfigError } from "../common/errors.js";
import { Emitter, type Event } from "../common/lifecycle.js";
import { nullLogger, type Logger } from "../common/log.js";
import type { AccessSize, AccessSizes, RegionOps } from "../memory/types.js";
import { Device } from "./device.js";
import type { IrqLine } from "./irq.js";
import type { SystemControl } from "./system-control.js";

export const enum KbdStatus { OBF = 0x01, IBF = 0x02, SYS = 0x04, CMD = 0x08, UNLOCKED = 0x10, AUX_OBF = 0x20 }
export const enum KbdMode { KBD_INT = 0x01, MOUSE_INT = 0x02, SYS = 0x04, DISABLE_KBD = 0x10, DISABLE_MOUSE = 0x20, XLATE = 0x40 }
/** Output port: bit 0 = not-reset, bit 1 = A20 gate. */
export const enum KbdOutPort { RESET = 0x01, A20 = 0x02, OBF = 0x10, AUX_OBF = 0x20 }

/**
 * Who produced a queued byte: the controller itself, the keyboard or the mouse. CTRL_AUX is
 * a controller-made byte that reads as mouse data (0xD3 "write AUX output buffer", which
 * Linux uses for its loopback and multiplexer probes). Controller bytes (CTRL, CTRL_AUX)
 * reach the output buffer even while the keyboard or mouse interface is disabled.
 */
const enum Src { CTRL = 0, KBD = 1, AUX = 2, CTRL_AUX = 3 }

const ACK = 0xfa;
/** Bytes the device queues may hold (a real device has ~16; we are generous). */
const MAX_QUEUE = 256;

export interface I8042Options {
  kbdIrq: IrqLine;
  mouseIrq: IrqLine;
  system: SystemControl;
  logger?: Logger;
  id?: string;
}

export type I8042State = {
  mode: number; status: number; outPort: number;
  /** Controller command waiting for its data byte (0 if none). */
  pendingCmd: number;
  /** Queued output as [src, byte] pairs flattened. */
  queue: number[];
  /** Byte in the output buffer and its source, when status.OBF is set. */
  ob: number; obSrc: number;
  kbdPendingCmd: number; kbdScanning: boolean; kbdScanSet: number;
  auxPendingCmd: number; auxStreaming: boolean;
};

export class I8042 extends Device<I8042State> {
  readonly typeName = "i8042";
  readonly dataOps: RegionOps;
  readonly commandOps: RegionOps;
  private readonly _kbdIrq: IrqLine;
  private readonly _mouseIrq: IrqLine;
  private readonly _system: SystemControl;
  private readonly _log: Logger;
  private readonly _onA20 = this._register(new Emitter<boolean>());
  /** Fires when the guest changes the A20 gate through the output port. */
  readonly onA20Change: Event<boolean> = this._onA20.event;
  private _s: I8042State = I8042._powerOn();
  private _irqLevels = [-1, -1];

  constructor(opts: I8042Options) {
    super(opts.id ?? "i8042");
    for (const k of ["kbdIrq", "mouseIrq"] as const) {
      if (typeof opts[k]?.set !== "function") throw new ConfigError(`I8042: option ${k} must be an IrqLine`);
    }
    if (typeof opts.system?.requestReset !== "function") throw new ConfigError("I8042: option system must be a SystemControl");
    this._kbdIrq = opts.kbdIrq;
    this._mouseIrq = opts.mouseIrq;
    this._system = opts.system;
    this._log = opts.logger ?? nullLogger();
    const sizes: AccessSizes = { min: 1, max: 1 };
    this.dataOps = { valid: sizes, read: () => this._readData(), write: (_o: number, v: number, _s: AccessSize) => this._writeData(v & 0xff) };
    this.commandOps = { valid: sizes, read: () => this._s.status, write: (_o: number, v: number, _s: AccessSize) => this._writeCommand(v & 0xff) };
  }

  private static _powerOn(): I8042State {
    return {
      mode: KbdMode.KBD_INT | KbdMode.MOUSE_INT, status: KbdStatus.CMD | KbdStatus.UNLOCKED,
      outPort: KbdOutPort.RESET | KbdOutPort.A20, pendingCmd: 0, queue: [], ob: 0, obSrc: 0,
      kbdPendingCmd: 0, kbdScanning: true, kbdScanSet: 2, auxPendingCmd: 0, auxStreaming: false,
    };
  }

  protected onReset(): void {
    this._s = I8042._powerOn();
    this._update();
  }

  /** Current A20 gate state as set through the output port. */
  get a20(): boolean { return (this._s.outPort & KbdOutPort.A20) !== 0; }

  /** Host key input: scancode bytes as the guest should read them (set 1 when translating). */
  injectKeyboard(bytes: readonly number[]): void {
    if (!this._s.kbdScanning) return;
    for (const b of bytes) this._enqueue(Src.KBD, b);
    this._update();
  }

  private _enqueue(src: Src, b: number): void {
    if (this._s.queue.length >= 2 * MAX_QUEUE) {
      this._log.guestError("i8042: output queue overflow", "i8042-overflow");
      return;
    }
    this._s.queue.push(src, b & 0xff);
  }

  private _readData(): number {
    const s = this._s;
    const v = s.ob;
    s.status &= ~(KbdStatus.OBF | KbdStatus.AUX_OBF);
    // The IRQ outputs follow OBF: they drop on the read, and rise again when the next byte
    // is loaded, so an edge-triggered IRQ1/IRQ12 sees one edge per byte.
    this._drive(0, this._kbdIrq, false);
    this._drive(1, this._mouseIrq, false);
    this._update();
    return v;
  }

  private _writeCommand(cmd: number): void {
    const s = this._s;
    s.status |= KbdStatus.CMD;
    if (cmd >= 0xf0) {
      // Pulse output port lines whose bit is 0; bit 0 is the CPU reset line.
      if (!(cmd & 1)) this._system.requestReset("i8042 reset pulse");
      return;
    }
    switch (cmd) {
      case 0x20: this._reply(s.mode); break;
      case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: s.pendingCmd = cmd; break;
      case 0xa7: s.mode |= KbdMode.DISABLE_MOUSE; break;
      case 0xa8: s.mode &= ~KbdMode.DISABLE_MOUSE; break;
      case 0xa9: case 0xab: this._reply(0x00); break;
      case 0xaa:
        s.status |= KbdStatus.SYS;
        this._reply(0x55);
        break;
      case 0xad: s.mode |= KbdMode.DISABLE_KBD; break;
      case 0xae: s.mode &= ~KbdMode.DISABLE_KBD; break;
      case 0xc0: this._reply(0x80); break; // input port: keyboard not inhibited
      case 0xd0: {
        let out = s.outPort & (KbdOutPort.RESET | KbdOutPort.A20);
        if (s.status & KbdStatus.OBF) out |= s.status & KbdStatus.AUX_OBF ? KbdOutPort.AUX_OBF : KbdOutPort.OBF;
        this._reply(out);
        break;
      }
      case 0xdd: this._setOutPort(s.outPort & ~KbdOutPort.A20); break;
      case 0xdf: this._setOutPort(s.outPort | KbdOutPort.A20); break;
      case 0xe0: this._reply(0x00); break;
      default:
        this._log.guestError(`i8042: unknown controller command 0x${cmd.toString(16)}`, "i8042-cmd");
    }
    this._update();
  }

  private _writeData(v: number): void {
    const s = this._s;
    s.status &= ~KbdStatus.CMD;
    const cmd = s.pendingCmd;
    s.pendingCmd = 0;
    switch (cmd) {
      case 0x60:
        s.mode = v;
        s.status = (s.status & ~KbdStatus.SYS) | (v & KbdMode.SYS ? KbdStatus.SYS : 0);
        break;
      case 0xd1: this._setOutPort(v); break;
      case 0xd2: this._enqueue(Src.CTRL, v); break;
      case 0xd3: this._enqueue(Src.CTRL_AUX, v); break;
      case 0xd4: this._mouseCommand(v); break;
      default:
        // Sending to the keyboard re-enables the keyboard interface (as real 8042s do).
        s.mode &= ~KbdMode.DISABLE_KBD;
        this._kbdCommand(v);
    }
    this._update();
  }

  private _setOutPort(v: number): void {
    const old = this._s.outPort;
    this._s.outPort = v & 0xff;
    if ((old ^ v) & KbdOutPort.A20) this._onA20.fire((v & KbdOutPort.A20) !== 0);
    if (!(v & KbdOutPort.RESET)) this._system.requestReset("i8042 output port reset");
  }

  private _reply(b: number): void { this._enqueue(Src.CTRL, b); }

  /** PS/2 keyboard commands (the subset atkbd uses). */
  private _kbdCommand(v: number): void {
    const s = this._s;
    const pending = s.kbdPendingCmd;
    if (pending) {
      s.kbdPendingCmd = 0;
      if (pending === 0xf0 && v === 0) {
        this._enqueue(Src.KBD, ACK);
        // With translation the controller reports sets 1/2/3 as 0x43/0x41/0x3f.
        this._enqueue(Src.KBD, s.mode & KbdMode.XLATE ? [0x43, 0x41, 0x3f][s.kbdScanSet - 1] ?? 0x41 : s.kbdScanSet);
        return;
      }
      if (pending === 0xf0 && v >= 1 && v <= 3) s.kbdScanSet = v;
      this._enqueue(Src.KBD, ACK);
      return;
    }
    switch (v) {
      case 0xed: case 0xf3: case 0xf0: s.kbdPendingCmd = v; this._enqueue(Src.KBD, ACK); break;
      case 0xee: this._enqueue(Src.KBD, 0xee); break;
      case 0xf2:
        this._enqueue(Src.KBD, ACK);
        this._enqueue(Src.KBD, 0xab);
        this._enqueue(Src.KBD, s.mode & KbdMode.XLATE ? 0x41 : 0x83);
        break;
      case 0xf4: s.kbdScanning = true; this._enqueue(Src.KBD, ACK); break;
      case 0xf5: s.kbdScanning = false; this._enqueue(Src.KBD, ACK); break;
      case 0xf6: s.kbdScanning = true; s.kbdScanSet = 2; this._enqueue(Src.KBD, ACK); break;
      case 0xff:
        s.kbdScanning = true;
        s.kbdScanSet = 2;
        this._enqueue(Src.KBD, ACK);
        this._enqueue(Src.KBD, 0xaa);
        break;
      default:
        this._enqueue(Src.KBD, ACK);
    }
  }

  /** A plain PS/2 mouse (ID 0x00): acknowledges everything, answers reset, ID and status. */
  private _mouseCommand(v: number): void {
    const s = this._s;
    if (s.auxPendingCmd) {
      s.auxPendingCmd = 0;
      this._enqueue(Src.AUX, ACK);
      return;
    }
    this._enqueue(Src.AUX, ACK);
    switch (v) {
      case 0xe8: case 0xf3: s.auxPendingCmd = v; break;
      case 0xe9: this._enqueue(Src.AUX, 0x00); this._enqueue(Src.AUX, 0x02); this._enqueue(Src.AUX, 100); break;
      case 0xf2: this._enqueue(Src.AUX, 0x00); break;
      case 0xf4: s.auxStreaming = true; break;
      case 0xf5: case 0xf6: s.auxStreaming = false; break;
      case 0xff: s.auxStreaming = false; this._enqueue(Src.AUX, 0xaa); this._enqueue(Src.AUX, 0x00); break;
      default: break;
    }
  }

  /** Load the output buffer from the queue if it is empty, then drive the IRQ lines. */
  private _update(): void {
    const s = this._s;
    if (!(s.status & KbdStatus.OBF)) {
      for (let i = 0; i < s.queue.length; i += 2) {
        const src = s.queue[i]!;
        if ((src === Src.KBD && s.mode & KbdMode.DISABLE_KBD) || (src === Src.AUX && s.mode & KbdMode.DISABLE_MOUSE)) continue;
        s.ob = s.queue[i + 1]!;
        s.obSrc = src;
        s.queue.splice(i, 2);
        s.status |= KbdStatus.OBF | (src === Src.AUX || src === Src.CTRL_AUX ? KbdStatus.AUX_OBF : 0);
        break;
      }
    }
    const full = (s.status & KbdStatus.OBF) !== 0;
    const aux = (s.status & KbdStatus.AUX_OBF) !== 0;
    this._drive(0, this._kbdIrq, full && !aux && (s.mode & KbdMode.KBD_INT) !== 0);
    this._drive(1, this._mouseIrq, full && aux && (s.mode & KbdMode.MOUSE_INT) !== 0);
  }

  private _drive(i: number, line: IrqLine, on: boolean): void {
    const level = on ? 1 : 0;
    if (this._irqLevels[i] === level) return;
    this._irqLevels[i] = level;
    line.set(level);
  }

  override describe(): Record<string, string | number | boolean> { return { a20: this.a20 }; }

  getState(): I8042State { return { ...this._s, queue: [...this._s.queue] }; }

  setState(state: I8042State): void {
    this._s = { ...state, queue: [...state.queue] };
    this._irqLevels = [-1, -1];
    this._update();
  }
}
