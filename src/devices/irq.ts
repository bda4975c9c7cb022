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
