/**
 * Interrupt wiring as typed objects (TinyEMU's IRQSignal): a device raises or lowers an
 * IrqLine; the board connects lines to an interrupt controller's inputs. Devices never
 * know IRQ numbers; the board (src/machine) does.
 */

export type IrqLevel = 0 | 1;

export interface IrqLine {
  /** Drive the line to a level (level-triggered semantics; edge detection is the sink's job). */
  set(level: IrqLevel): void;
  /** Raise then lower: an edge for edge-triggered inputs. */
  pulse(): void;
}

/** An IrqLine that calls `handler(level)`; the common building block for controller inputs. */
export class IrqPin implements IrqLine {
  level: IrqLevel = 0;
  constructor(private readonly _handler: (level: IrqLevel) => void) {}
  set(level: IrqLevel): void {
    this.level = level;
    this._handler(level);
  }
  pulse(): void {
    this.set(1);
    this.set(0);
  }
}

/** A line connected to nothing (an unwired output). */
export const noIrq: IrqLine = { set: () => {}, pulse: () => {} };

/** Fan one output out to several inputs (e.g. ISA IRQ to both the PIC and the IOAPIC). */
export function splitIrq(...sinks: IrqLine[]): IrqLine {
  return {
    set: (level) => { for (const s of sinks) s.set(level); },
    pulse: () => { for (const s of sinks) s.pulse(); },
  };
}

/**
 * A wired-OR of several sources onto one line (e.g. COM1 and COM3 both on ISA IRQ 4): the
 * output is high while any input is high, and moves only when that changes.
 */
export function orIrq(output: IrqLine, count: number): IrqPin[] {
  let high = 0; // bit i = input i is high
  return Array.from({ length: count }, (_, i) => new IrqPin((level) => {
    const was = high !== 0;
    high = level ? high | (1 << i) : high & ~(1 << i);
    if ((high !== 0) !== was) output.set(high !== 0 ? 1 : 0);
  }));
}

/** Records every transition; for device tests (QEMU qtest's irq_intercept). */
export class IrqRecorder implements IrqLine {
  level: IrqLevel = 0;
  readonly history: IrqLevel[] = [];
  set(level: IrqLevel): void {
    this.level = level;
    this.history.push(level);
  }
  pulse(): void {
    this.set(1);
    this.set(0);
  }
}

/**
 * A board-level multiplexer: several sources, one output, and only the selected source drives
 * it (e.g. IRQ 0 taken from the PIT or, in HPET legacy replacement mode, from HPET timer 0).
 * Switching sources moves the output to the new source's current level.
 */
export class IrqSelector {
  readonly inputs: readonly IrqPin[];
  private _selected = 0;

  constructor(private readonly _output: IrqLine, count: number) {
    this.inputs = Array.from({ length: count }, (_, i) => new IrqPin((level) => { if (i === this._selected) this._output.set(level); }));
  }

  get selected(): number { return this._selected; }

  select(index: number): void {
    if (index === this._selected) return;
    const before = this.inputs[this._selected]!.level;
    this._selected = index;
    const now = this.inputs[index]!.level;
    if (now !== before) this._output.set(now);
  }
}
