/**
 * Intel 8254 programmable interval timer: three 16-bit down counters clocked at
 * 1.193182 MHz (8254 datasheet: control word, counter latch, read-back command, RW modes
 * LSB/MSB/LSB-then-MSB, modes 0-5, binary or BCD, GATE inputs, OUT pins).
 * Nothing ticks: each counter records the absolute PIT tick at which it started, so a read
 * at any virtual time is exact (Linux's pit_calibrate_tsc and quick_pit_calibrate read the
 * counter and channel 2's OUT through port 0x61 in tight loops). A host timer is armed only
 * for a channel whose OUT pin is wired (channel 0 -> IRQ0 on the board), and only for the
 * next OUT transition.
 * Region: offsets 0-2 counters, 3 control word. Simplification: a new count written in
 * modes 2/3 restarts the period at once (as QEMU does) instead of at the next reload.
 */

import { ConfigError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { AccessSize, RegionOps } from "../memory/types.js";
import type { Timer, VirtualClock } from "./clock.js";
import { Device } from "./device.js";
import type { IrqLevel, IrqLine } from "./irq.js";
import { nsAtTicks, ticksAt } from "./tick-math.js";

/** The 8254 input clock on the PC (14.31818 MHz / 12). */
export const PIT_HZ = 1_193_182;

const enum Rw { LATCH = 0, LSB = 1, MSB = 2, WORD0 = 3, WORD1 = 4 }

export interface PitChannelState {
  [key: string]: number | boolean;
  count: number; startTick: number; mode: number; bcd: boolean; rwMode: number; readState: number;
  writeState: number; writeLatch: number; latchedCount: number; countLatched: number; status: number;
  statusLatched: boolean; gate: boolean; counting: boolean; paused: boolean; pausedD: number; nullCount: boolean;
}

export interface Pit8254State {
  [key: string]: PitChannelState[];
  channels: PitChannelState[];
}

export interface Pit8254Options {
  clock: VirtualClock;
  logger: Logger;
  /** OUT pins by channel index; unwired channels get no timer (their OUT is computed on demand). */
  outputs?: readonly (IrqLine | undefined)[];
}

/** One channel's GATE input and OUT pin, for logic outside the chip (e.g. port 0x61). */
export interface PitChannelPins {
  setGate(level: IrqLevel): void;
  getOutput(): IrqLevel;
}

function toBcd(v: number): number {
  return (v % 10) | (Math.floor(v / 10) % 10) << 4 | (Math.floor(v / 100) % 10) << 8 | (Math.floor(v / 1000) % 10) << 12;
}
function fromBcd(v: number): number {
  return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 + ((v >> 12) & 0xf) * 1000;
}

function blankChannel(): PitChannelState {
  return { count: 0x10000, startTick: 0, mode: 0, bcd: false, rwMode: Rw.WORD0, readState: Rw.WORD0,
    writeState: Rw.WORD0, writeLatch: 0, latchedCount: 0, countLatched: 0, status: 0, statusLatched: false,
    gate: true, counting: false, paused: false, pausedD: 0, nullCount: true };
}

export class Pit8254 extends Device<Pit8254State> implements RegionOps {
  readonly typeName = "isa-pit";
  readonly valid = { min: 1, max: 1 } as const;
  readonly impl = { min: 1, max: 1 } as const;
  private _ch: PitChannelState[] = [blankChannel(), blankChannel(), blankChannel()];
  private readonly _clock: VirtualClock;
  private readonly _logger: Logger;
  private readonly _outputs: (IrqLine | undefined)[];
  private readonly _timers: (Timer | undefined)[];
  private readonly _outLevel: IrqLevel[] = [1, 1, 1];
  /** Elapsed ticks at the last OUT evaluation, per channel (derived, not state). */
  private readonly _lastD: number[] = [0, 0, 0];

  constructor(id: string, opts: Pit8254Options) {
    super(id);
    const outs = opts.outputs ?? [];
    if (outs.length > 3) throw new ConfigError(`isa-pit: ${outs.length} outputs given, the 8254 has 3 channels`);
    this._clock = opts.clock;
    this._logger = opts.logger;
    this._outputs = [outs[0], outs[1], outs[2]];
    this._timers = this._outputs.map((o, i) => (o ? this._register(this._clock.newTimer(() => this._onTimer(i))) : undefined));
  }

  /** GATE/OUT pins of channel `index` (0-2). */
  channel(index: number): PitChannelPins {
    if (!(index >= 0 && index < 3)) throw new ConfigError(`isa-pit: no channel ${index}`);
    return { setGate: (level) => this._setGate(index, level), getOutput: () => this._out(this._ch[index]!) };
  }

  protected onReset(): void {
    this._ch = this._ch.map((c) => ({ ...blankChannel(), gate: c.gate }));
    for (let i = 0; i < 3; i++) this._sync(i);
  }

  private _d(c: PitChannelState): number {
    return c.paused ? c.pausedD : ticksAt(this._clock.now(), PIT_HZ) - c.startTick;
  }

  private _modulus(c: PitChannelState): number {
    return c.bcd ? 10000 : 0x10000;
  }

  /** Current counting element value (binary). */
  private _counter(c: PitChannelState): number {
    if (!c.counting) return c.count % this._modulus(c);
    const d = this._d(c), n = c.count, m = this._modulus(c);
    switch (c.mode) {
      case 2: return n - (d % n);
      case 3: return (n - ((2 * d) % n)) & ~1;
      default: return (((n - d) % m) + m) % m;
    }
  }

  private _out(c: PitChannelState): IrqLevel {
    if (!c.counting) return c.mode === 0 ? 0 : 1;
    const d = this._d(c), n = c.count;
    switch (c.mode) {
      case 0: case 1: return d >= n ? 1 : 0;
      case 2: return c.paused || n < 2 || d % n !== n - 1 ? 1 : 0;
      case 3: return c.paused || n < 2 || d % n < ((n + 1) >> 1) ? 1 : 0;
      default: return d === n ? 0 : 1;
    }
  }

  /** The elapsed-tick value at which OUT next changes, or -1. */
  private _nextTransition(c: PitChannelState): number {
    if (!c.counting || c.paused) return -1;
    const d = this._d(c), n = c.count;
    switch (c.mode) {
      case 0: case 1: return d < n ? n : -1;
      case 2: case 3: {
        if (n < 2) return -1;
        const r = d % n, base = d - r, mark = c.mode === 2 ? n - 1 : (n + 1) >> 1;
        return r < mark ? base + mark : base + n;
      }
      default: return d < n ? n : d === n ? n + 1 : -1;
    }
  }

  /** Drive the wired OUT pin and arm its timer for the next transition. */
  private _sync(i: number, fromTimer = false): void {
    const line = this._outputs[i];
    const timer = this._timers[i];
    if (!line || !timer) return;
    const c = this._ch[i]!;
    const out = this._out(c);
    const d = c.counting ? this._d(c) : 0;
    const prev = this._outLevel[i]!;
    // The run loop may service the timer late, after OUT already fell and rose again (mode 2's
    // one-clock low pulse): never lose the rising edge an edge-triggered input needs.
    if (fromTimer && c.counting && this._roseSince(c, this._lastD[i]!, d)) {
      if (prev === 1) line.set(0);
      line.set(1);
      if (out === 0) line.set(0);
    } else if (out !== prev) {
      line.set(out);
    }
    this._outLevel[i] = out;
    this._lastD[i] = d;
    const next = this._nextTransition(c);
    if (next < 0) timer.cancel();
    else timer.setDeadline(nsAtTicks(c.startTick + next, PIT_HZ));
  }

  /** Did OUT have a rising edge at some elapsed tick in (from, to]? */
  private _roseSince(c: PitChannelState, from: number, to: number): boolean {
    if (to <= from) return false;
    const n = c.count;
    switch (c.mode) {
      case 0: case 1: return from < n && n <= to;
      case 2: case 3: return n >= 2 && Math.floor(to / n) > Math.floor(Math.max(from, 0) / n);
      default: return from < n + 1 && n + 1 <= to;
    }
  }

  private _onTimer(i: number): void {
    this._sync(i, true);
  }

  private _setGate(i: number, level: IrqLevel): void {
    const c = this._ch[i]!;
    const rising = level === 1 && !c.gate;
    const falling = level === 0 && c.gate;
    c.gate = level === 1;
    const nowTick = ticksAt(this._clock.now(), PIT_HZ);
    if (c.counting || (rising && (c.mode === 1 || c.mode === 5) && !c.nullCount)) {
      if (c.mode === 1 || c.mode === 5) {
        if (rising) { c.counting = true; c.paused = false; c.startTick = nowTick; }
      } else if (falling && !c.paused) {
        c.pausedD = nowTick - c.startTick;
        c.paused = true;
      } else if (rising && c.paused) {
        // Modes 0/4 resume where they stopped; modes 2/3 reload.
        c.startTick = c.mode === 2 || c.mode === 3 ? nowTick : nowTick - c.pausedD;
        c.paused = false;
      }
    }
    this._sync(i);
  }

  private _load(i: number, raw: number): void {
    const c = this._ch[i]!;
    let n = c.bcd ? fromBcd(raw) : raw;
    if (n === 0) n = this._modulus(c);
    c.count = n;
    c.nullCount = false;
    const nowTick = ticksAt(this._clock.now(), PIT_HZ);
    if (c.mode === 1 || c.mode === 5) {
      // Hardware-triggered: counting starts at the next rising edge of GATE.
      if (!c.counting) { this._sync(i); return; }
    }
    c.counting = true;
    c.startTick = nowTick;
    c.paused = !c.gate && c.mode !== 1 && c.mode !== 5;
    c.pausedD = 0;
    this._sync(i);
  }

  private _latchCount(c: PitChannelState): void {
    if (c.countLatched) return;
    const v = this._counter(c);
    c.latchedCount = c.bcd ? toBcd(v) : v;
    c.countLatched = c.rwMode;
  }

  private _latchStatus(c: PitChannelState): void {
    if (c.statusLatched) return;
    c.status = (this._out(c) << 7) | (c.nullCount ? 0x40 : 0) | (c.rwMode << 4) | (c.mode << 1) | (c.bcd ? 1 : 0);
    c.statusLatched = true;
  }

  private _writeControl(v: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back: bit 5 clear = latch count, bit 4 clear = latch status, bits 1-3 select.
      for (let i = 0; i < 3; i++) {
        if ((v & (2 << i)) === 0) continue;
        const c = this._ch[i]!;
        if ((v & 0x20) === 0) this._latchCount(c);
        if ((v & 0x10) === 0) this._latchStatus(c);
      }
      return;
    }
    const c = this._ch[sel]!;
    const access = (v >> 4) & 3;
    if (access === Rw.LATCH) { this._latchCount(c); return; }
    let mode = (v >> 1) & 7;
    if (mode > 5) mode -= 4; // 6 and 7 alias modes 2 and 3
    Object.assign(c, { rwMode: access, readState: access, writeState: access, mode, bcd: (v & 1) === 1,
      counting: false, paused: false, nullCount: true, countLatched: 0, statusLatched: false });
    this._sync(sel);
  }

  read(offset: number, _size: AccessSize): number {
    if (offset > 2) {
      this._logger.guestError(`isa-pit: read of the write-only control register`);
      return 0xff;
    }
    const c = this._ch[offset]!;
    if (c.statusLatched) { c.statusLatched = false; return c.status; }
    if (c.countLatched) {
      const v = c.latchedCount;
      switch (c.countLatched) {
        case Rw.LSB: c.countLatched = 0; return v & 0xff;
        case Rw.MSB: c.countLatched = 0; return (v >> 8) & 0xff;
        case Rw.WORD0: c.countLatched = Rw.MSB; return v & 0xff;
        default: c.countLatched = 0; return (v >> 8) & 0xff;
      }
    }
    const raw = this._counter(c);
    const v = c.bcd ? toBcd(raw) : raw;
    switch (c.readState) {
      case Rw.LSB: return v & 0xff;
      case Rw.MSB: return (v >> 8) & 0xff;
      case Rw.WORD0: c.readState = Rw.WORD1; return v & 0xff;
      default: c.readState = Rw.WORD0; return (v >> 8) & 0xff;
    }
  }

  write(offset: number, value: number, _size: AccessSize): void {
    const v = value & 0xff;
    if (offset === 3) { this._writeControl(v); return; }
    if (offset > 3) { this._logger.guestError(`isa-pit: write at bad offset ${offset}`); return; }
    const c = this._ch[offset]!;
    switch (c.writeState) {
      case Rw.LSB: this._load(offset, v); break;
      case Rw.MSB: this._load(offset, v << 8); break;
      case Rw.WORD0: c.writeLatch = v; c.writeState = Rw.WORD1; break;
      default: c.writeState = Rw.WORD0; this._load(offset, c.writeLatch | (v << 8)); break;
    }
  }

  getState(): Pit8254State {
    return { channels: this._ch.map((c) => ({ ...c })) };
  }

  setState(state: Pit8254State): void {
    this._ch = state.channels.slice(0, 3).map((c) => ({ ...c }));
    for (let i = 0; i < 3; i++) this._sync(i);
  }

  override describe(): Record<string, number> {
    return { count0: this._ch[0]!.count, mode0: this._ch[0]!.mode };
  }
}
