/**
 * Register indices and encodings shared by the local APIC and its producers (IOAPIC, MSI):
 * xAPIC register offset >> 4, equal to the x2APIC MSR number minus 0x800 (SDM vol. 3,
 * Table 11-6), the delivery-mode encoding of the ICR, LVTs, redirection entries and MSI data
 * (SDM 11.6.1), and the typed delivery callback the IOAPIC uses.
 */

export const enum ApicRegs {
  ID = 0x02, VERSION = 0x03, TPR = 0x08, APR = 0x09, PPR = 0x0a, EOI = 0x0b, RRD = 0x0c, LDR = 0x0d,
  DFR = 0x0e, SVR = 0x0f, ISR0 = 0x10, TMR0 = 0x18, IRR0 = 0x20, ESR = 0x28, LVT_CMCI = 0x2f,
  ICR_LO = 0x30, ICR_HI = 0x31, LVT_TIMER = 0x32, LVT_THERMAL = 0x33, LVT_PERF = 0x34, LVT_LINT0 = 0x35,
  LVT_LINT1 = 0x36, LVT_ERROR = 0x37, TIMER_INITIAL = 0x38, TIMER_CURRENT = 0x39, TIMER_DIVIDE = 0x3e,
  SELF_IPI = 0x3f,
}

export const enum DeliveryMode { FIXED = 0, LOWEST = 1, SMI = 2, NMI = 4, INIT = 5, STARTUP = 6, EXTINT = 7 }

/**
 * Writable bits per LVT entry (timer, thermal, perf, LINT0, LINT1, error): vector, delivery
 * mode where the entry has one, polarity and trigger for LINT0/1, mask, and timer mode.
 */
export const LVT_WRITE_MASK: readonly number[] = [0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff];

/** What an interrupt message producer (IOAPIC, MSI) needs from the APIC bus. */
export interface ApicInterruptTarget {
  deliver(vector: number, deliveryMode: DeliveryMode, logicalDest: boolean, dest: number, levelTriggered: boolean): void;
}
