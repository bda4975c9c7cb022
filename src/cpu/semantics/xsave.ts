/**
 * FXSAVE/FXRSTOR (SDM vol 1 10.5.1, tables 10-2/10-3: the 512-byte image, FXSAVE64 with
 * REX.W), XSAVE/XSAVEOPT/XSAVEC/XRSTOR (vol 1 ch. 13: the x87 and SSE components, XCR0 bits
 * 0-1, standard and compacted formats), XGETBV/XSETBV (vol 2). The images are assembled in
 * the helper scratch area and moved with one softmmu access each way, so a fault (#PF, or
 * #GP for misalignment) happens before any state changes.
 *
 * XSAVEOPT saves like XSAVE (always a valid choice: the optimisation is optional). XINUSE
 * is taken as "all enabled components in use", so XSTATE_BV = RFBM.
 */

import { HelperFlag, IrType } from "../../jit/ir/types.js";
import type { Cpu } from "../cpu.js";
import { forgetMxcsr } from "./sse-guard.js";
import { FpuOff, MXCSR_INIT, MXCSR_MASK, XCR0_SUPPORTED, XSAVE_SIZE, fpuRegOff } from "../fpu-state.js";
import { cpuHelper } from "../helper.js";
import { Access } from "../mmu.js";
import { Vec } from "../softmmu.js";
import { MsrSlot, StateOff, msrOff, xmmOff } from "../state-layout.js";
import type { SemanticsTable } from "../translate.js";
import { X87 } from "../x87-fpu.js";
import { IMAGE_BUF } from "../x87-ops.js";
import { linearAddress, type X86Ctx } from "./context.js";
import { x87Check, xsaveCheck, type MemOperand } from "./sse-common.js";

const enum Kind { FXSAVE, FXRSTOR, XSAVE, XSAVEC, XRSTOR }

function dv(cpu: Cpu): DataView { return cpu.softmmu.view; }

/** Write the x87 (comp 0) and/or SSE (comp 1) parts of the legacy region into IMAGE_BUF. */
function saveLegacy(cpu: Cpu, x87: boolean, sse: boolean, mxcsr: boolean, xmmRegs: number, wide: boolean): void {
  const d = dv(cpu), s = cpu.state, B = IMAGE_BUF;
  if (x87) {
    const f = new X87(s);
    d.setUint16(B, f.fcw, true);
    d.setUint16(B + 2, f.statusWord(), true);
    d.setUint8(B + 4, s.get32(FpuOff.TAGV) & 0xff); // abridged tag: bit i = R_i not empty
    d.setUint8(B + 5, 0);
    f.savePointers(d, B, wide);
    for (let i = 0; i < 8; i++) {
      const src = fpuRegOff(f.phys(i)), o = B + 32 + i * 16;
      d.setUint32(o, s.get32(src) >>> 0, true);
      d.setUint32(o + 4, s.get32(src + 4) >>> 0, true);
      d.setUint16(o + 8, s.dv.getUint16(src + 8, true), true);
      for (let k = 10; k < 16; k++) d.setUint8(o + k, 0);
    }
  }
  if (mxcsr) {
    d.setUint32(B + 24, s.get32(StateOff.MXCSR) >>> 0, true);
    d.setUint32(B + 28, MXCSR_MASK, true);
  }
  if (sse) for (let r = 0; r < xmmRegs; r++) for (let k = 0; k < 16; k += 4) d.setUint32(B + 160 + r * 16 + k, s.get32(xmmOff(r) + k) >>> 0, true);
}

function loadLegacy(cpu: Cpu, x87: boolean, sse: boolean, xmmRegs: number, wide: boolean): void {
  const d = dv(cpu), s = cpu.state, B = IMAGE_BUF;
  if (x87) {
    const f = new X87(s);
    s.set32(FpuOff.FCW, (d.getUint16(B, true) & 0x1f3f) | 0x40);
    const sw = d.getUint16(B + 2, true);
    f.fsw = sw;
    f.top = (sw >> 11) & 7;
    const tags = d.getUint8(B + 4);
    f.loadPointers(d, B, wide);
    for (let i = 0; i < 8; i++) {
      const dst = fpuRegOff(f.phys(i)), o = B + 32 + i * 16;
      s.set32(dst, d.getInt32(o, true));
      s.set32(dst + 4, d.getInt32(o + 4, true));
      s.dv.setUint16(dst + 8, d.getUint16(o + 8, true), true);
    }
    s.set32(FpuOff.TAGV, tags);
  }
  if (sse) for (let r = 0; r < xmmRegs; r++) for (let k = 0; k < 16; k += 4) s.set32(xmmOff(r) + k, d.getInt32(B + 160 + r * 16 + k, true));
}

function initX87(cpu: Cpu): void {
  const f = new X87(cpu.state);
  f.init();
  for (let p = 0; p < 8; p++) for (let k = 0; k < 16; k += 4) cpu.state.set32(fpuRegOff(p) + k, 0);
}
function initSse(cpu: Cpu, xmmRegs: number): void {
  for (let r = 0; r < xmmRegs; r++) for (let k = 0; k < 16; k += 4) cpu.state.set32(xmmOff(r) + k, 0);
}

/** The FXSAVE/XSAVE family; `flags` bit 0 = REX.W, bit 1 = 64-bit mode. Returns nothing; faults are pending. */
const xsaveHelper = cpuHelper("xsave_family", [IrType.I32, IrType.I32, IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT,
  (cpu, kind, lo, hi, flags, mmuIdx) => {
    const s = cpu.state, d = dv(cpu);
    const gva = hi * 4294967296 + (lo >>> 0);
    // REX.W (flags bit 0): the 64-bit FIP/FDP image format, else FIP:FCS and FDP:FDS.
    const xmmRegs = flags & 2 ? 16 : 8;
    const fx = kind === Kind.FXSAVE || kind === Kind.FXRSTOR;
    if (!fx && !(s.cr4 & (1 << 18))) return cpu.softmmu.raise(Vec.UD);
    if (gva % (fx ? 16 : 64) !== 0) return cpu.softmmu.raise(Vec.GP, 0);
    const size = fx ? 512 : XSAVE_SIZE;
    if (!cpu.softmmu.access(gva, size, Access.READ, mmuIdx, IMAGE_BUF)) return;
    const xcr0 = s.get32(msrOff(MsrSlot.XCR0));
    // RFBM = XCR0 & EDX:EAX (EDX only masks components above bit 31, which do not exist here)
    const rfbm = fx ? 3 : xcr0 & s.get32(StateOff.GPR) & XCR0_SUPPORTED;
    switch (kind as Kind) {
      case Kind.FXSAVE: case Kind.XSAVE: case Kind.XSAVEC: {
        saveLegacy(cpu, (rfbm & 1) !== 0, (rfbm & 2) !== 0, fx || (rfbm & 2) !== 0, xmmRegs, (flags & 1) !== 0);
        if (kind === Kind.XSAVE) {
          const bv = d.getUint32(IMAGE_BUF + 512, true);
          d.setUint32(IMAGE_BUF + 512, ((bv & ~rfbm) | rfbm) >>> 0, true);
        } else if (kind === Kind.XSAVEC) {
          d.setUint32(IMAGE_BUF + 512, rfbm, true); d.setUint32(IMAGE_BUF + 516, 0, true);
          d.setUint32(IMAGE_BUF + 520, rfbm, true); d.setUint32(IMAGE_BUF + 524, 0x80000000, true);
        }
        cpu.softmmu.access(gva, size, Access.WRITE, mmuIdx, IMAGE_BUF);
        return;
      }
      case Kind.FXRSTOR: {
        const mx = d.getUint32(IMAGE_BUF + 24, true);
        if (mx & ~MXCSR_MASK) return cpu.softmmu.raise(Vec.GP, 0);
        loadLegacy(cpu, true, true, xmmRegs, (flags & 1) !== 0);
        s.set32(StateOff.MXCSR, mx);
        return;
      }
      case Kind.XRSTOR: {
        const bvLo = d.getUint32(IMAGE_BUF + 512, true), bvHi = d.getUint32(IMAGE_BUF + 516, true);
        const cLo = d.getUint32(IMAGE_BUF + 520, true), cHi = d.getUint32(IMAGE_BUF + 524, true);
        const compacted = (cHi & 0x80000000) !== 0;
        if (bvHi !== 0 || bvLo & ~xcr0) return cpu.softmmu.raise(Vec.GP, 0);
        if (compacted ? cHi !== 0x80000000 || cLo & ~xcr0 || bvLo & ~cLo : cLo !== 0 || cHi !== 0 || d.getUint32(IMAGE_BUF + 528, true) !== 0 || d.getUint32(IMAGE_BUF + 532, true) !== 0)
          return cpu.softmmu.raise(Vec.GP, 0);
        const loadMx = compacted ? (rfbm & bvLo & 2) !== 0 : (rfbm & 2) !== 0;
        const mx = d.getUint32(IMAGE_BUF + 24, true);
        if (loadMx && mx & ~MXCSR_MASK) return cpu.softmmu.raise(Vec.GP, 0);
        if (rfbm & 1) { if (bvLo & 1) loadLegacy(cpu, true, false, xmmRegs, (flags & 1) !== 0); else initX87(cpu); }
        if (rfbm & 2) { if (bvLo & 2) loadLegacy(cpu, false, true, xmmRegs, (flags & 1) !== 0); else initSse(cpu, xmmRegs); }
        if (loadMx) s.set32(StateOff.MXCSR, mx);
        else if (compacted && rfbm & 2) s.set32(StateOff.MXCSR, MXCSR_INIT);
        return;
      }
    }
  });

function family(kind: Kind): (ctx: X86Ctx) => void {
  return (ctx) => {
    if (kind === Kind.FXSAVE || kind === Kind.FXRSTOR) x87Check(ctx); else xsaveCheck(ctx);
    const b = ctx.b;
    const m = ctx.insn.operands[0] as MemOperand;
    const addr = linearAddress(ctx, m);
    const flags = (ctx.insn.prefixes & (1 << 6) ? 1 : 0) | (ctx.hflags & 4 ? 2 : 0);
    b.call(xsaveHelper, [b.i32(kind), b.trunc(addr), b.trunc(b.shrUi(addr, 32)), b.i32(flags), b.i32(ctx.mmuIdx)]);
    if (kind === Kind.FXRSTOR || kind === Kind.XRSTOR) forgetMxcsr(ctx); // MXCSR may have changed
  };
}

const xgetbv = cpuHelper("xgetbv", [], null, HelperFlag.CAN_FAULT, (cpu) => {
  const s = cpu.state;
  if (!(s.cr4 & (1 << 18))) return cpu.softmmu.raise(Vec.UD);
  if (s.get32(StateOff.GPR + 8) !== 0) return cpu.softmmu.raise(Vec.GP, 0); // ECX: only XCR0
  s.setReg(0, s.get32(msrOff(MsrSlot.XCR0)) >>> 0);
  s.setReg(2, 0);
});

const xsetbv = cpuHelper("xsetbv", [], null, HelperFlag.CAN_FAULT, (cpu) => {
  const s = cpu.state;
  if (!(s.cr4 & (1 << 18))) return cpu.softmmu.raise(Vec.UD);
  const eax = s.get32(StateOff.GPR) >>> 0, edx = s.get32(StateOff.GPR + 16), ecx = s.get32(StateOff.GPR + 8);
  const cplOk = !(s.cr0 & 1) || s.cpl === 0;
  if (!cplOk || ecx !== 0 || edx !== 0 || !(eax & 1) || eax & ~XCR0_SUPPORTED) return cpu.softmmu.raise(Vec.GP, 0);
  s.set64(msrOff(MsrSlot.XCR0), eax, 0);
});

export const xsaveSemantics: SemanticsTable = {
  FXSAVE: family(Kind.FXSAVE), FXRSTOR: family(Kind.FXRSTOR),
  XSAVE: family(Kind.XSAVE), XSAVEOPT: family(Kind.XSAVE), XSAVEC: family(Kind.XSAVEC), XRSTOR: family(Kind.XRSTOR),
  XGETBV: (ctx) => { ctx.b.call(xgetbv, []); },
  XSETBV: (ctx) => { ctx.b.call(xsetbv, []); },
};
