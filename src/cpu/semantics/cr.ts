/**
 * Control and debug registers, TLB and cache control (SDM vol 2 MOV CR, MOV DR, CLTS, LMSW,
 * INVLPG, INVPCID, WBINVD, INVD, CLFLUSH; vol 3 2.5 control registers, 9.8.5 initializing
 * IA-32e mode, 17.2 debug registers). Writes that change paging or the mode go through
 * helpers that flush the TLB and call cpu.modeChanged(); the block then ends with RIP = next.
 *
 * TLB policy: a CR3 write flushes the whole TLB, global pages included (tsemu does not keep
 * global entries apart); INVLPG flushes the 4 KiB TLB entry of the address (entries are always
 * 4 KiB-granular, so a large page is only partly flushed: Linux flushes each 4 KiB page it
 * changed, or everything).
 */

import { HelperFlag, IrType, TbExit, type Temp } from "../../jit/ir/types.js";
import type { Cpu } from "../cpu.js";
import { SegAttr } from "../cpu-state.js";
import { hasFeature } from "../cpuid.js";
import { Dr6, Dr7, setDr6 } from "../debug.js";
import { fault, guarded } from "../descriptors.js";
import { Eflag } from "../flags.js";
import { cpuHelper } from "../helper.js";
import { HFlag, SegIndex, StateOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import type { SemanticsFn, SemanticsTable } from "../translate.js";
import { addrPlus, endBlock, loadMem, nextPc, operand, read, write, type X86Ctx } from "./context.js";
import { raiseUd, requireCpl0 } from "./system.js";

export const enum Cr0 {
  PE = 1, MP = 2, EM = 4, TS = 8, ET = 0x10, NE = 0x20, WP = 0x10000, AM = 0x40000, NW = 0x20000000, CD = 0x40000000, PG = 0x80000000,
}
export const enum Cr4 {
  VME = 1, PVI = 2, TSD = 4, DE = 8, PSE = 0x10, PAE = 0x20, MCE = 0x40, PGE = 0x80, PCE = 0x100, OSFXSR = 0x200,
  OSXMMEXCPT = 0x400, UMIP = 0x800, FSGSBASE = 0x10000, PCIDE = 0x20000, OSXSAVE = 0x40000, SMEP = 0x100000, SMAP = 0x200000,
}
export const enum Efer { SCE = 1, LME = 0x100, LMA = 0x400, NXE = 0x800 }

const CR0_BITS = Cr0.PE | Cr0.MP | Cr0.EM | Cr0.TS | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.AM | Cr0.NW | Cr0.CD | Cr0.PG;

/** CR4 bits the guest may set: exactly the advertised features. */
const CR4_ALLOWED = Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.PGE | Cr4.PCE | Cr4.OSFXSR | Cr4.OSXMMEXCPT | (hasFeature("mce") ? Cr4.MCE : 0) |
  (hasFeature("fsgsbase") ? Cr4.FSGSBASE : 0) | (hasFeature("pcid") ? Cr4.PCIDE : 0) | (hasFeature("xsave") ? Cr4.OSXSAVE : 0) |
  (hasFeature("smep") ? Cr4.SMEP : 0) | (hasFeature("smap") ? Cr4.SMAP : 0);

/** CR0 write with the IA-32e activation rules (SDM 9.8.5): LMA follows PG when LME and PAE are set. */
export function writeCr0(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.state;
  let v = lo >>> 0;
  if (hi !== 0 || (v & Cr0.PG && !(v & Cr0.PE)) || (v & Cr0.NW && !(v & Cr0.CD))) fault(cpu, Vec.GP, 0);
  const old = s.cr0;
  let efer = s.efer;
  if (!(old & Cr0.PG) && v & Cr0.PG && efer & Efer.LME) {
    if (!(s.cr4 & Cr4.PAE) || s.seg(SegIndex.CS).attr & SegAttr.L) fault(cpu, Vec.GP, 0);
    efer |= Efer.LMA;
  }
  if (old & Cr0.PG && !(v & Cr0.PG) && s.cr4 & Cr4.PCIDE) fault(cpu, Vec.GP, 0); // SDM MOV CR0
  if (old & Cr0.PG && !(v & Cr0.PG) && efer & Efer.LMA) {
    if (s.hflags & HFlag.CS64) fault(cpu, Vec.GP, 0);
    efer &= ~Efer.LMA;
  }
  v = ((v & CR0_BITS) | Cr0.ET) >>> 0;
  s.set64(StateOff.CR0, v | 0, 0);
  s.set64(StateOff.EFER, efer, 0);
  if ((old ^ v) & (Cr0.PG | Cr0.WP | Cr0.PE)) cpu.flushTlb();
  cpu.modeChanged();
}

export function writeCr4(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.state;
  const v = lo >>> 0, old = s.cr4;
  if (hi !== 0 || v & ~CR4_ALLOWED) fault(cpu, Vec.GP, 0);
  if (s.efer & Efer.LMA && !(v & Cr4.PAE)) fault(cpu, Vec.GP, 0);
  // PCIDE can be set only in IA-32e mode with PCID 0 in CR3 (SDM MOV CR4; vol 3 4.10.1).
  if (v & Cr4.PCIDE && !(old & Cr4.PCIDE) && (!(s.efer & Efer.LMA) || s.lo(StateOff.CR3) & 0xfff)) fault(cpu, Vec.GP, 0);
  s.set64(StateOff.CR4, v | 0, 0);
  if ((old ^ v) & (Cr4.PSE | Cr4.PAE | Cr4.PGE | Cr4.PCIDE | Cr4.SMEP | Cr4.SMAP)) cpu.flushTlb();
  if ((old ^ v) & Cr4.DE) cpu.debug.configChanged(); // DR7 R/W = 10: I/O breakpoints or nothing
  cpu.modeChanged();
}

/**
 * MOV CR3. With CR4.PCIDE, bits 11:0 are the PCID and bit 63 asks the processor to keep the
 * new PCID's cached translations (it is not stored; SDM vol 3 4.10.4.1). The TLB here is not
 * tagged by PCID, so every CR3 write drops the non-global entries: always allowed (a TLB
 * may forget more than it must), and no stale translation of another PCID can survive.
 */
function writeCr3(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.state;
  if (s.efer & Efer.LMA) {
    const pcide = (s.cr4 & Cr4.PCIDE) !== 0;
    const h = pcide ? hi & 0x7fffffff : hi;
    // Bits at or above MAXPHYADDR are reserved (bit 63 too unless CR4.PCIDE).
    if ((h >>> 0) >= 2 ** (cpu.model.physBits - 32)) fault(cpu, Vec.GP, 0);
    s.set64(StateOff.CR3, lo, h);
  } else {
    s.set64(StateOff.CR3, lo, 0);
  }
  cpu.flushTlbNonGlobal(); // global pages (CR4.PGE) survive; CR4.PGE toggles flush everything
}

/** IA32_EFER write (WRMSR): SCE, LME (not while paging), NXE; LMA is read-only. */
export function writeEfer(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.state;
  const old = s.efer;
  const allowed = (hasFeature("syscall") ? Efer.SCE : 0) | Efer.LME | Efer.LMA | (hasFeature("nx") ? Efer.NXE : 0);
  if (hi !== 0 || lo & ~allowed) fault(cpu, Vec.GP, 0);
  if (s.cr0 & Cr0.PG && (lo ^ old) & Efer.LME) fault(cpu, Vec.GP, 0);
  const v = (lo & (Efer.SCE | Efer.LME | Efer.NXE)) | (old & Efer.LMA);
  s.set64(StateOff.EFER, v, 0);
  if ((old ^ v) & Efer.NXE) cpu.flushTlb();
  cpu.modeChanged();
}

const movToCr = cpuHelper("mov_to_cr", [IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, n, lo, hi) => {
    const s = cpu.state;
    switch (n) {
      case 0: return writeCr0(cpu, lo, hi);
      case 2: return s.set64(StateOff.CR2, lo, hi);
      case 3: return writeCr3(cpu, lo, hi);
      case 4: return writeCr4(cpu, lo, hi);
      default:
        if (hi !== 0 || lo & ~0xf) fault(cpu, Vec.GP, 0);
        s.set64(StateOff.CR8, lo, 0);
        cpu.bus.apic?.setTpr?.(lo);
    }
  }));

const readCr8 = cpuHelper("read_cr8", [], IrType.I32, HelperFlag.NONE, (cpu) =>
  cpu.bus.apic?.getTpr?.() ?? cpu.state.lo(StateOff.CR8) & 0xf);

const CR_OFF: Record<number, number> = { 0: StateOff.CR0, 2: StateOff.CR2, 3: StateOff.CR3, 4: StateOff.CR4 };

/** MOV CRn, r / MOV r, CRn (CPL 0; 64-bit operands in 64-bit mode, else 32-bit). */
function MOV_CR(ctx: X86Ctx): void {
  if (!requireCpl0(ctx)) return;
  const b = ctx.b;
  const [dst, src] = ctx.insn.operands;
  if (src?.kind === "creg") {
    const v = src.reg === 8 ? b.extu(b.callValue(readCr8, [])) : b.ldEnv(IrType.I64, CR_OFF[src.reg]!);
    write(ctx, operand(ctx, 0), v);
    return;
  }
  if (dst?.kind !== "creg") throw new Error("MOV_CR without a control register");
  const v = read(ctx, operand(ctx, 1));
  b.call(movToCr, [b.i32(dst.reg), b.trunc(v), b.trunc(b.shrUi(v, 32))]);
  // A new TPR may unmask a pending interrupt.
  endBlock(ctx, nextPc(ctx), dst.reg === 8 ? TbExit.REQUEST : TbExit.NEXT);
}

// ---- debug registers (SDM vol 3 17.2; breakpoints and single-step live in ../debug.ts)
const DR6_FIXED = 0xffff0ff0, DR7_FIXED = 0x400;

/**
 * The checks of every MOV DR: DR4/DR5 are aliases of DR6/DR7 unless CR4.DE (then #UD); with
 * DR7.GD set the access is a #DB fault with DR6.BD, and GD is cleared for the handler
 * (general detect, SDM 17.2.4). Returns the register index.
 */
function drAccess(cpu: Cpu, n: number): number {
  const s = cpu.state;
  if ((n === 4 || n === 5) && s.cr4 & Cr4.DE) fault(cpu, Vec.UD);
  const dr7 = StateOff.DR + 7 * 8;
  if (s.lo(dr7) & Dr7.GD) {
    s.set64(dr7, s.lo(dr7) & ~Dr7.GD, 0);
    setDr6(cpu, Dr6.BD);
    s.set32(StateOff.EFLAGS, s.eflagsRest | Eflag.RF); // a fault: RF = 1 in the pushed image
    fault(cpu, Vec.DB);
  }
  return n === 4 || n === 5 ? n + 2 : n;
}

const movToDr = cpuHelper("mov_to_dr", [IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK,
  guarded((cpu, n, lo, hi) => {
    const i = drAccess(cpu, n);
    if ((i === 6 || i === 7) && hi !== 0) fault(cpu, Vec.GP, 0);
    const v = i === 6 ? lo | DR6_FIXED : i === 7 ? (lo & ~0xd800) | DR7_FIXED : lo;
    cpu.state.set64(StateOff.DR + i * 8, v, i >= 6 ? 0 : hi);
    if (i !== 6) cpu.debug.configChanged();
  }));

const movFromDr = cpuHelper("mov_from_dr", [IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT,
  guarded((cpu, n, reg, size) => {
    const s = cpu.state, i = drAccess(cpu, n);
    let lo = s.lo(StateOff.DR + i * 8);
    const hi = s.hi(StateOff.DR + i * 8);
    if (i === 6) lo |= DR6_FIXED;
    if (i === 7) lo |= DR7_FIXED;
    s.set64(StateOff.GPR + reg * 8, lo, size === 8 ? hi : 0);
  }));

/** MOV DRn, r ends the block: a new breakpoint changes hflags and may flush translations. */
function MOV_DR(ctx: X86Ctx): void {
  if (!requireCpl0(ctx)) return;
  const b = ctx.b;
  const [dst, src] = ctx.insn.operands;
  if (src?.kind === "dreg" && dst?.kind === "reg") {
    b.call(movFromDr, [b.i32(src.reg), b.i32(dst.reg), b.i32(dst.size)]);
    return;
  }
  if (dst?.kind !== "dreg") throw new Error("MOV_DR without a debug register");
  const v = read(ctx, operand(ctx, 1));
  b.call(movToDr, [b.i32(dst.reg), b.trunc(v), b.trunc(b.shrUi(v, 32))]);
  endBlock(ctx, nextPc(ctx));
}

// ---- CLTS, LMSW, INVLPG, cache control
const clts = cpuHelper("clts", [], null, HelperFlag.END_BLOCK, (cpu) => {
  cpu.state.set64(StateOff.CR0, cpu.state.cr0 & ~Cr0.TS, 0);
  cpu.modeChanged();
});

const lmsw = cpuHelper("lmsw", [IrType.I32], null, HelperFlag.CAN_FAULT | HelperFlag.END_BLOCK, guarded((cpu, v) => {
  // LMSW loads PE MP EM TS; it can set PE but never clear it.
  const old = cpu.state.cr0;
  writeCr0(cpu, ((old & ~0xe) | (v & 0xf) | (old & Cr0.PE)) >>> 0, 0);
}));

const invlpg = cpuHelper("invlpg", [IrType.I32, IrType.I32], null, HelperFlag.NONE, (cpu, lo, hi) => {
  cpu.flushTlbPage((hi | 0) * 4294967296 + (lo >>> 0));
});

/**
 * INVPCID type, descriptor (PCID, reserved bits, linear address) (SDM vol 2 INVPCID). The
 * untagged TLB forgets at least what each type asks: type 0 the page (global entries too),
 * types 1 and 3 every non-global entry, type 2 everything.
 */
const I32 = IrType.I32;
const invpcid = cpuHelper("invpcid", [I32, I32, I32, I32, I32, I32], null, HelperFlag.CAN_FAULT,
  guarded((cpu, typeLo, typeHi, desc0Lo, desc0Hi, addrLo, addrHi) => {
    const pcid = desc0Lo & 0xfff;
    if (typeHi !== 0 || (typeLo >>> 0) > 3 || desc0Lo & ~0xfff || desc0Hi !== 0) fault(cpu, Vec.GP, 0);
    if (typeLo <= 1 && pcid !== 0 && !(cpu.state.cr4 & Cr4.PCIDE)) fault(cpu, Vec.GP, 0);
    const addr = (addrHi | 0) * 4294967296 + (addrLo >>> 0);
    switch (typeLo) {
      case 0:
        if (addr >= 2 ** 47 || addr < -(2 ** 47)) fault(cpu, Vec.GP, 0);
        return cpu.flushTlbPage(addr);
      case 2: return cpu.flushTlb();
      default: return cpu.flushTlbNonGlobal();
    }
  }));

/** INVPCID r32/r64, m128: CPL 0 only (#GP(0) otherwise and in virtual-8086 mode: requireCpl0). */
function INVPCID(ctx: X86Ctx): void {
  if (!requireCpl0(ctx)) return;
  const b = ctx.b;
  const m = operand(ctx, 1);
  const type = read(ctx, operand(ctx, 0));
  const desc0 = loadMem(ctx, m.addr!, 8);
  const addr = loadMem(ctx, addrPlus(ctx, m.addr!, 8), 8);
  const split = (v: Temp): Temp[] => [b.trunc(v), b.trunc(b.shrUi(v, 32))];
  b.call(invpcid, [...split(type), ...split(desc0), ...split(addr)]);
  endBlock(ctx, nextPc(ctx));
}

function privileged(body: (ctx: X86Ctx) => void): SemanticsFn {
  return (ctx) => { if (requireCpl0(ctx)) body(ctx); };
}

export const crSemantics: SemanticsTable = {
  MOV_CR, MOV_DR,
  CLTS: privileged((ctx) => { ctx.b.call(clts, []); endBlock(ctx, nextPc(ctx)); }),
  LMSW: privileged((ctx) => {
    ctx.b.call(lmsw, [ctx.b.trunc(read(ctx, operand(ctx, 0)))]);
    endBlock(ctx, nextPc(ctx));
  }),
  INVLPG: privileged((ctx) => {
    const b = ctx.b;
    const a = operand(ctx, 0).addr!;
    b.call(invlpg, [b.trunc(a), b.trunc(b.shrUi(a, 32))]);
    endBlock(ctx, nextPc(ctx));
  }),
  INVPCID,
  WBINVD: privileged(() => {}),
  INVD: privileged(() => {}),
  CLFLUSH: () => {},
  CLWB: () => {},
  MONITOR: raiseUd,
  MWAIT: raiseUd,
  CLAC: raiseUd,
  STAC: raiseUd,
};
