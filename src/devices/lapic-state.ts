/**
 * Local APIC register state as plain data and the pure helpers over it: 256-bit vector
 * bitmaps (IRR/ISR/TMR as eight 32-bit words), the reset state (SDM vol. 3, 11.4.7.1),
 * IA32_APIC_BASE / SVR / LVT / ESR bit names, and destination matching for physical,
 * logical flat, logical cluster and x2APIC cluster addressing (SDM 11.6.2, 11.12.10).
 */

export const BASE_BSP = 1 << 8;
export const BASE_EXTD = 1 << 10;
export const BASE_EN = 1 << 11;
export const SVR_ENABLE = 0x100;
export const LVT_MASKED = 0x10000;
export const ESR_SEND_ILLEGAL = 0x20;
export const ESR_RECV_ILLEGAL = 0x40;
export const ESR_ILLEGAL_REG = 0x80;
/** LVT indices, in register order 0x320..0x370. */
export const enum Lvt { TIMER = 0, THERMAL = 1, PERF = 2, LINT0 = 3, LINT1 = 4, ERROR = 5 }

/** The APIC's registers (timer counting state is separate). */
export interface LapicCoreState {
  [key: string]: number | number[] | boolean;
  base: number; enabled: boolean; x2apic: boolean; id: number; tpr: number; ldr: number; dfr: number;
  svr: number; irr: number[]; isr: number[]; tmr: number[]; esr: number; pendingEsr: number;
  icrLo: number; icrHi: number; lvt: number[]; lint0: number; lint1: number; extIntRequested: boolean;
}

export function highestBit(words: number[]): number {
  for (let i = 7; i >= 0; i--) {
    const w = words[i]!;
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}
export const setBit = (w: number[], v: number): void => { w[v >> 5] = (w[v >> 5]! | (1 << (v & 31))) >>> 0; };
export const clearBit = (w: number[], v: number): void => { w[v >> 5] = (w[v >> 5]! & ~(1 << (v & 31))) >>> 0; };
export const testBit = (w: number[], v: number): boolean => ((w[v >> 5]! >>> (v & 31)) & 1) === 1;

export function blankLapicState(id: number): LapicCoreState {
  return { base: 0xfee00000, enabled: true, x2apic: false, id, tpr: 0, ldr: 0, dfr: 0xffffffff, svr: 0xff,
    irr: new Array<number>(8).fill(0), isr: new Array<number>(8).fill(0), tmr: new Array<number>(8).fill(0),
    esr: 0, pendingEsr: 0, icrLo: 0, icrHi: 0, lvt: new Array<number>(6).fill(LVT_MASKED), lint0: 0, lint1: 0,
    extIntRequested: false };
}

/** Does a destination (physical ID or logical MDA; SDM 11.6.2) select the APIC in state `s`? */
export function apicDestinationMatches(s: LapicCoreState, dest: number, logical: boolean): boolean {
  if (s.x2apic) {
    if (dest === 0xffffffff) return true;
    if (!logical) return dest === s.id;
    return (dest >>> 16) === (s.ldr >>> 16) && (dest & s.ldr & 0xffff) !== 0;
  }
  dest &= 0xff;
  if (dest === 0xff) return true;
  if (!logical) return dest === (s.id & 0xff);
  const ldr = s.ldr >>> 24;
  if ((s.dfr >>> 28) === 0xf) return (dest & ldr) !== 0; // flat model
  return (dest >> 4) === (ldr >> 4) && (dest & ldr & 0xf) !== 0; // cluster model
}
