/**
 * RDMSR/WRMSR, RDTSC/RDTSCP, RDPID, RDPMC (SDM vol 2; vol 4 ch. 2 "architectural MSRs";
 * vol 3 17.17 time-stamp counter). An MSR that does not exist, or a reserved bit set on a
 * write, is #GP(0), as Linux's rdmsr_safe/wrmsr_safe probes expect. The local APIC's MSRs go
 * to the board's CpuApicBus hook. The TSC is the board's virtual-clock TSC plus a per-CPU
 * offset that writes to IA32_TSC adjust (SDM 17.17.1).
 */

import { HelperFlag, IrType, TbExit } from "../../jit/ir/types.js";
import type { Cpu } from "../cpu.js";
import { hasFeature } from "../cpuid.js";
import { fault, guarded } from "../descriptors.js";
import { cpuHelper } from "../helper.js";
import { mcaRead, mcaWrite } from "../mca.js";
import { MsrSlot, SegIndex, SegOff, gprOff, msrOff, segOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import type { SemanticsTable } from "../translate.js";
import { endBlock, nextPc, operand, write, type X86Ctx } from "./context.js";
import { Cr4, writeEfer } from "./cr.js";
import { raiseUd, requireCpl0 } from "./system.js";

export const enum Msr {
  TSC = 0x10, PLATFORM_ID = 0x17, SPEC_CTRL = 0x48, PRED_CMD = 0x49, ARCH_CAPABILITIES = 0x10a, APIC_BASE = 0x1b, FEATURE_CONTROL = 0x3a, BIOS_SIGN_ID = 0x8b, MTRRCAP = 0xfe,
  SYSENTER_CS = 0x174, SYSENTER_ESP = 0x175, SYSENTER_EIP = 0x176, MCG_CAP = 0x179, MCG_STATUS = 0x17a,
  MISC_ENABLE = 0x1a0, DEBUGCTL = 0x1d9, PAT = 0x277, MTRR_DEF_TYPE = 0x2ff, TSC_DEADLINE = 0x6e0,
  EFER = 0xc0000080, STAR = 0xc0000081, LSTAR = 0xc0000082, CSTAR = 0xc0000083, SFMASK = 0xc0000084,
  FS_BASE = 0xc0000100, GS_BASE = 0xc0000101, KERNEL_GS_BASE = 0xc0000102, TSC_AUX = 0xc0000103,
}

const TWO32 = 4294967296;

/**
 * IA32_ARCH_CAPABILITIES (SDM vol 4 table 2-2): an emulator has no speculative side channels,
 * so report "not affected" (RDCL_NO, SSB_NO, MDS_NO, PSCHANGE_MC_NO, TAA_NO, SBDR_SSDP_NO,
 * FBSDP_NO, PSDP_NO, BHI_NO, PBRSB_NO, GDS_NO, RFDS_NO, ITS_NO) and spare Linux page-table isolation
 * and the VERW buffer clearing on every return to user mode. IBRS_ALL (enhanced IBRS) lets
 * Linux keep plain indirect calls instead of retpoline thunks.
 */
const ARCH_CAP_NOT_AFFECTED = (1 | (hasFeature("specCtrl") ? 2 : 0) /* IBRS_ALL */ | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 13) | (1 << 14) | (1 << 15) |
  (1 << 20) | (1 << 24) | (1 << 26) | (1 << 27)) >>> 0;
/** Bits 63..32: ITS_NO (bit 62), which spares Linux the ITS return-thunk alignment. */
const ARCH_CAP_NOT_AFFECTED_HI = 1 << 30;
/** Canonical 48-bit address given as (lo, hi): bits 63..47 all equal. */
export const isCanonical = (_lo: number, hi: number): boolean => { const h = hi | 0; return h >> 15 === (h << 16) >> 31; };

/** Plain slot-backed MSRs: [slot, canonical-address check]. */
const SLOT_MSRS = new Map<number, [MsrSlot, boolean]>([
  [Msr.STAR, [MsrSlot.STAR, false]], [Msr.LSTAR, [MsrSlot.LSTAR, true]], [Msr.CSTAR, [MsrSlot.CSTAR, true]],
  [Msr.KERNEL_GS_BASE, [MsrSlot.KERNEL_GS_BASE, true]], [Msr.SYSENTER_CS, [MsrSlot.SYSENTER_CS, false]],
  [Msr.SYSENTER_ESP, [MsrSlot.SYSENTER_ESP, true]], [Msr.SYSENTER_EIP, [MsrSlot.SYSENTER_EIP, true]],
  [Msr.MISC_ENABLE, [MsrSlot.MISC_ENABLE, false]],
]);

/** MTRRs (variable 0x200..0x20F, fixed 0x250/0x258/0x259/0x268..0x26F) and other read-back-only MSRs. */
const isStoredMsr = (m: number): boolean =>
  (m >= 0x200 && m <= 0x20f) || m === 0x250 || m === 0x258 || m === 0x259 || (m >= 0x268 && m <= 0x26f) ||
  m === Msr.MTRR_DEF_TYPE || m === Msr.BIOS_SIGN_ID || m === Msr.DEBUGCTL;

const isApicMsr = (m: number): boolean => (m >= 0x800 && m <= 0x8ff) || m === Msr.TSC_DEADLINE;

/** The guest TSC as (lo, hi): board TSC + IA32_TSC offset. */
export function readTsc(cpu: Cpu): { lo: number; hi: number } {
  const t = cpu.bus.readTsc();
  const s = cpu.state, off = msrOff(MsrSlot.TSC_OFFSET);
  const lo = (t.lo >>> 0) + (s.lo(off) >>> 0);
  return { lo: lo >>> 0, hi: ((t.hi + s.hi(off) + (lo >= TWO32 ? 1 : 0)) | 0) >>> 0 };
}

/** RDMSR: the value as (lo, hi), or null (→ #GP(0)). */
function rdmsr(cpu: Cpu, m: number): [number, number] | null {
  const s = cpu.state;
  const slot = SLOT_MSRS.get(m);
  if (slot) return [s.lo(msrOff(slot[0])), s.hi(msrOff(slot[0]))];
  switch (m) {
    case Msr.TSC: { const t = readTsc(cpu); return [t.lo, t.hi]; }
    case Msr.APIC_BASE: {
      const v = cpu.bus.apic?.readMsr(m);
      return v ? [v.lo, v.hi] : [s.lo(msrOff(MsrSlot.APIC_BASE)), s.hi(msrOff(MsrSlot.APIC_BASE))];
    }
    case Msr.PLATFORM_ID: return [0, 0];
    case Msr.SPEC_CTRL: return hasFeature("specCtrl") ? cpu.msrs.get(m) ?? [0, 0] : null;
    case Msr.ARCH_CAPABILITIES: return hasFeature("archCapabilities") ? [ARCH_CAP_NOT_AFFECTED, ARCH_CAP_NOT_AFFECTED_HI] : null;
    case Msr.FEATURE_CONTROL: return [1, 0]; // locked, VMX off
    case Msr.MTRRCAP: return [0x508, 0]; // 8 variable ranges, fixed ranges, write-combining
    case Msr.PAT: return [s.lo(msrOff(MsrSlot.PAT)), s.hi(msrOff(MsrSlot.PAT))];
    case Msr.EFER: return [s.efer, 0];
    case Msr.SFMASK: return [s.lo(msrOff(MsrSlot.SFMASK)), 0];
    case Msr.FS_BASE: return [s.lo(segOff(SegIndex.FS, SegOff.BASE)), s.hi(segOff(SegIndex.FS, SegOff.BASE))];
    case Msr.GS_BASE: return [s.lo(segOff(SegIndex.GS, SegOff.BASE)), s.hi(segOff(SegIndex.GS, SegOff.BASE))];
    case Msr.TSC_AUX: return hasFeature("rdtscp") || hasFeature("rdpid") ? [s.lo(msrOff(MsrSlot.TSC_AUX)), 0] : null;
    default: break;
  }
  const mca = mcaRead(cpu, m);
  if (mca !== undefined) return mca;
  if (isApicMsr(m)) {
    const v = cpu.bus.apic?.readMsr(m);
    if (v) return [v.lo, v.hi];
    return m === Msr.TSC_DEADLINE && !cpu.bus.apic ? cpu.msrs.get(m) ?? [0, 0] : null;
  }
  if (isStoredMsr(m)) return cpu.msrs.get(m) ?? [0, 0];
  return null;
}

/** PAT entries must be valid memory types (0 1 4 5 6 7) (SDM 11.12.2). */
const validPat = (lo: number, hi: number): boolean => {
  for (let i = 0; i < 8; i++) {
    const t = ((i < 4 ? lo : hi) >>> ((i & 3) * 8)) & 0xff;
    if (t === 2 || t === 3 || t > 7) return false;
  }
  return true;
};

/** WRMSR: false → #GP(0). May raise #GP itself (EFER rules) through fault(). */
function wrmsr(cpu: Cpu, m: number, lo: number, hi: number): boolean {
  const s = cpu.state;
  const slot = SLOT_MSRS.get(m);
  if (slot) {
    if (slot[1] && !isCanonical(lo, hi)) return false;
    s.set64(msrOff(slot[0]), lo, hi);
    return true;
  }
  switch (m) {
    case Msr.TSC: {
      // Keep the board TSC, move the offset: offset = value - board TSC (mod 2^64).
      const t = cpu.bus.readTsc();
      const dlo = (lo >>> 0) - (t.lo >>> 0);
      s.set64(msrOff(MsrSlot.TSC_OFFSET), dlo | 0, (hi - t.hi - (dlo < 0 ? 1 : 0)) | 0);
      return true;
    }
    case Msr.APIC_BASE:
      if (cpu.bus.apic) return cpu.bus.apic.writeMsr(m, lo, hi);
      if (hi >>> 0 >= 2 ** (cpu.model.physBits - 32) || lo & 0x2ff) return false;
      s.set64(msrOff(MsrSlot.APIC_BASE), lo, hi);
      return true;
    case Msr.PAT:
      if (!validPat(lo, hi)) return false;
      s.set64(msrOff(MsrSlot.PAT), lo, hi);
      return true;
    case Msr.SPEC_CTRL: // IBRS, STIBP, SSBD, BHI_DIS_S (bit 10): stored, no effect
      if (!hasFeature("specCtrl") || hi !== 0 || lo & ~(7 | (hasFeature("bhiCtrl") ? 0x400 : 0))) return false;
      cpu.msrs.set(m, lo, 0);
      return true;
    case Msr.PRED_CMD: return hasFeature("specCtrl") && hi === 0 && (lo & ~1) === 0; // IBPB: nothing to flush
    case Msr.EFER: writeEfer(cpu, lo, hi); return true;
    case Msr.SFMASK: s.set64(msrOff(MsrSlot.SFMASK), lo, 0); return true;
    case Msr.FS_BASE: case Msr.GS_BASE:
      if (!isCanonical(lo, hi)) return false;
      s.set64(segOff(m === Msr.FS_BASE ? SegIndex.FS : SegIndex.GS, SegOff.BASE), lo, hi);
      return true;
    case Msr.TSC_AUX:
      if (hi !== 0 || !(hasFeature("rdtscp") || hasFeature("rdpid"))) return false;
      s.set64(msrOff(MsrSlot.TSC_AUX), lo, 0);
      return true;
    default: break;
  }
  const mca = mcaWrite(cpu, m, lo, hi);
  if (mca !== undefined) return mca;
  if (isApicMsr(m)) {
    if (cpu.bus.apic) return cpu.bus.apic.writeMsr(m, lo, hi);
    if (m !== Msr.TSC_DEADLINE) return false;
    cpu.msrs.set(m, lo, hi);
    return true;
  }
  if (isStoredMsr(m)) {
    cpu.msrs.set(m, lo, hi);
    return true;
  }
  return false;
}

const hex = (m: number): string => `0x${(m >>> 0).toString(16)}`;

const rdmsrHelper = cpuHelper("rdmsr", [], null, HelperFlag.CAN_FAULT, guarded((cpu) => {
  const s = cpu.state;
  const m = s.lo(gprOff(1)) >>> 0;
  const v = rdmsr(cpu, m);
  if (!v) {
    cpu.log.unimp(`rdmsr ${hex(m)}: #GP`, `rdmsr ${hex(m)}`);
    fault(cpu, Vec.GP, 0);
  }
  s.set64(gprOff(0), v[0], 0);
  s.set64(gprOff(2), v[1], 0);
}));

const wrmsrHelper = cpuHelper("wrmsr", [], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK, guarded((cpu) => {
  const s = cpu.state;
  const m = s.lo(gprOff(1)) >>> 0;
  if (!wrmsr(cpu, m, s.lo(gprOff(0)), s.lo(gprOff(2)))) {
    cpu.log.unimp(`wrmsr ${hex(m)}: #GP`, `wrmsr ${hex(m)}`);
    fault(cpu, Vec.GP, 0);
  }
}));

/** RDTSC/RDTSCP: #GP(0) when CR4.TSD is set outside CPL 0 (SDM RDTSC). */
const rdtscHelper = cpuHelper("rdtsc", [IrType.I32], null, HelperFlag.CAN_FAULT, guarded((cpu, withAux) => {
  const s = cpu.state;
  if (s.cr4 & Cr4.TSD && s.cpl !== 0 && s.cr0 & 1) fault(cpu, Vec.GP, 0);
  const t = readTsc(cpu);
  s.set64(gprOff(0), t.lo, 0);
  s.set64(gprOff(2), t.hi, 0);
  if (withAux) s.set64(gprOff(1), s.lo(msrOff(MsrSlot.TSC_AUX)), 0);
}));

function RDMSR(ctx: X86Ctx): void {
  if (requireCpl0(ctx)) ctx.b.call(rdmsrHelper, []);
}

/** WRMSR may change EFER (mode, NX) or the TPR-related APIC state: end the block. */
function WRMSR(ctx: X86Ctx): void {
  if (!requireCpl0(ctx)) return;
  ctx.b.call(wrmsrHelper, []);
  endBlock(ctx, nextPc(ctx), TbExit.REQUEST);
}

function RDTSCP(ctx: X86Ctx): void {
  if (!hasFeature("rdtscp")) return raiseUd(ctx);
  ctx.b.call(rdtscHelper, [ctx.b.i32(1)]);
}

/** RDPID r: IA32_TSC_AUX, with no CR4.TSD check. */
function RDPID(ctx: X86Ctx): void {
  if (!hasFeature("rdpid")) return raiseUd(ctx);
  write(ctx, operand(ctx, 0), ctx.b.ldEnv(IrType.I64, msrOff(MsrSlot.TSC_AUX), 4));
}

/** RDPMC: no performance counters are advertised (CPUID leaf 0AH is 0), so every counter is invalid. */
function RDPMC(ctx: X86Ctx): void {
  ctx.b.raise(Vec.GP, ctx.b.i32(0));
  ctx.ended = true;
}

export const msrSemantics: SemanticsTable = {
  RDMSR, WRMSR, RDTSC: (ctx) => { ctx.b.call(rdtscHelper, [ctx.b.i32(0)]); }, RDTSCP, RDPID, RDPMC,
};
