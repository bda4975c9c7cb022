/**
 * Machine-check architecture MSRs (SDM vol 3 ch. 16 "Machine-Check Architecture", vol 4
 * table 2-2), advertised through CPUID.1:EDX MCE and MCA as QEMU's qemu64 does: IA32_MCG_CAP
 * with MCE_BANKS banks, MCG_CTL_P and MCG_SER_P (QEMU's TCG default), IA32_MCG_STATUS,
 * IA32_MCG_CTL, and per bank IA32_MCi_CTL/STATUS/ADDR/MISC at 0x400 + 4 * i. No machine check
 * is ever signalled: the registers exist so the kernel's machine-check init and its periodic
 * bank poll find a working, error-free MCA. Values live in the CPU's MsrFile (plain data).
 *
 * Write rules: MCG_CAP is read-only; MCG_STATUS takes RIPV/EIPV/MCIP (bits 0-2) only; MCG_CTL
 * takes all zeros or all ones (SDM 16.3.1.3); MCi_CTL takes any error-enable mask (16.3.2.1;
 * the all-or-nothing rule was P6-only; Linux writes all ones); MCi_STATUS takes only zero
 * (16.3.2.2: writing ones is #GP, and no MCG_CAP bit enables status writes on this model);
 * MCi_ADDR and MCi_MISC take any value. Absent registers (banks >= 10, CTL2, EXT_CTL) are #GP.
 */

import type { Cpu } from "./cpu.js";
import { hasFeature } from "./cpuid.js";

export const MCE_BANKS = 10;
const MCG_CTL_P = 1 << 8, MCG_SER_P = 1 << 24;
export const MCG_CAP = MCE_BANKS | MCG_CTL_P | MCG_SER_P;

const enum McaMsr { MCG_CAP = 0x179, MCG_STATUS = 0x17a, MCG_CTL = 0x17b, MC0_CTL = 0x400 }

const enabled = (): boolean => hasFeature("mce") && hasFeature("mca");
const isBank = (m: number): boolean => m >= McaMsr.MC0_CTL && m < McaMsr.MC0_CTL + 4 * MCE_BANKS;
const allOnes = (lo: number, hi: number): boolean => (lo & hi) === -1;

/** Power-on values: MCG_CTL and every MCi_CTL all ones (as QEMU), the rest zero. */
export function mcaReset(cpu: Cpu): void {
  if (!enabled()) return;
  cpu.msrs.set(McaMsr.MCG_CTL, -1, -1);
  for (let i = 0; i < MCE_BANKS; i++) cpu.msrs.set(McaMsr.MC0_CTL + 4 * i, -1, -1);
}

/** RDMSR of an MCA register: [lo, hi], null (#GP), or undefined (not an MCA MSR). */
export function mcaRead(cpu: Cpu, m: number): [number, number] | null | undefined {
  if (m !== McaMsr.MCG_CAP && m !== McaMsr.MCG_STATUS && m !== McaMsr.MCG_CTL && !isBank(m)) return undefined;
  if (!enabled()) return m === McaMsr.MCG_CAP || m === McaMsr.MCG_STATUS ? [0, 0] : null;
  if (m === McaMsr.MCG_CAP) return [MCG_CAP, 0];
  return cpu.msrs.get(m) ?? [0, 0];
}

/** WRMSR of an MCA register: true (done), false (#GP), or undefined (not an MCA MSR). */
export function mcaWrite(cpu: Cpu, m: number, lo: number, hi: number): boolean | undefined {
  if (m !== McaMsr.MCG_CAP && m !== McaMsr.MCG_STATUS && m !== McaMsr.MCG_CTL && !isBank(m)) return undefined;
  if (!enabled()) return m === McaMsr.MCG_STATUS && lo === 0 && hi === 0;
  let ok: boolean;
  if (m === McaMsr.MCG_CAP) ok = false; // read-only
  else if (m === McaMsr.MCG_STATUS) ok = hi === 0 && (lo & ~7) === 0;
  else if (m === McaMsr.MCG_CTL) ok = (lo === 0 && hi === 0) || allOnes(lo, hi);
  else {
    const reg = (m - McaMsr.MC0_CTL) & 3; // 0 CTL, 1 STATUS, 2 ADDR, 3 MISC
    ok = reg !== 1 || (lo === 0 && hi === 0);
  }
  if (ok) cpu.msrs.set(m, lo, hi);
  return ok;
}
