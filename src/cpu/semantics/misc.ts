/**
 * Flag-control, halt, interrupt and port I/O semantics (SDM vol 2): CLC STC CMC CLD STD CLI
 * STI HLT PUSHF POPF IN OUT INT INT3 INTO INT1 UD0 UD1 UD2. Privilege rules (IOPL, CPL, the
 * TSS I/O bitmap) follow SDM vol 1 18.2 and vol 3 6.8, 20.2.7; virtual-8086 mode extensions
 * are not implemented (VME is not advertised): PUSHF, POPF, INT n (CD), CLI and STI need
 * IOPL 3 in VM86 (#GP(0)); INT3 and INTO are not IOPL-sensitive (the gate's DPL is checked
 * against CPL 3 instead); IN/OUT in VM86 always consult the I/O bitmap, whatever the IOPL.
 * CLI at CPL 1/2 is not checked against IOPL (hflags only tell CPL 3 apart; Linux runs at
 * CPL 0 and 3 only). INT1 (ICEBP) is a #DB trap without the gate DPL check.
 */

import { HelperFlag, IrType, TbExit } from "../../jit/ir/types.js";
import { Eflag, storeEflagsCc } from "../flags.js";
import { cpuHelper } from "../helper.js";
import type { Cpu } from "../cpu.js";
import { HFlag, RunWord, SegIndex, StateOff, runOff } from "../state-layout.js";
import { Vec } from "../softmmu.js";
import type { SemanticsTable } from "../translate.js";
import { getArithFlags } from "./cc.js";
import { endBlock, nextPc, popCommit, popPeek, push, read, operand, write, type X86Ctx } from "./context.js";

function setCf(how: "clear" | "set" | "toggle") {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    let f = getArithFlags(ctx);
    f = how === "clear" ? b.and(f, b.i32(~Eflag.CF)) : how === "set" ? b.or(f, b.i32(Eflag.CF)) : b.xor(f, b.i32(Eflag.CF));
    storeEflagsCc(b, f);
    ctx.ccOp = 0;
  };
}

function setEflagBit(bit: number, on: boolean) {
  return (ctx: X86Ctx): void => {
    const b = ctx.b;
    const e = b.ldEnv(IrType.I32, StateOff.EFLAGS);
    b.stEnv(on ? b.or(e, b.i32(bit)) : b.and(e, b.i32(~bit)), StateOff.EFLAGS);
  };
}

const iopl = (cpu: Cpu): number => (cpu.state.eflagsRest >>> 12) & 3;
/** CLI/STI and POPF's IF are allowed when CPL <= IOPL (or in real mode). */
const ifAllowed = (cpu: Cpu): boolean => !(cpu.state.cr0 & 1) || cpu.state.cpl <= iopl(cpu);

const cliSti = cpuHelper("cli_sti", [IrType.I32], null, HelperFlag.CAN_FAULT, (cpu, set) => {
  if (!ifAllowed(cpu)) return cpu.softmmu.raise(Vec.GP, 0);
  const s = cpu.state;
  s.set32(StateOff.EFLAGS, set ? s.eflagsRest | Eflag.IF : s.eflagsRest & ~Eflag.IF);
  if (set) s.setRun(RunWord.INHIBIT_IRQ, 1);
});

function CLI(ctx: X86Ctx): void {
  if (ctx.hflags & HFlag.CPL3 || ctx.hflags & HFlag.VM86) ctx.b.call(cliSti, [ctx.b.i32(0)]);
  else setEflagBit(Eflag.IF, false)(ctx);
}

/** STI: IF=1 with a one-instruction interrupt shadow; the block ends so the run loop sees it. */
function STI(ctx: X86Ctx): void {
  ctx.b.call(cliSti, [ctx.b.i32(1)]);
  endBlock(ctx, nextPc(ctx), TbExit.REQUEST);
}

function HLT(ctx: X86Ctx): void {
  const b = ctx.b;
  if (ctx.hflags & HFlag.CPL3) return b.raise(Vec.GP, b.i32(0));
  // CPL 1/2 are not distinguished from 0 by hflags; the helper checks them.
  b.call(hltCheck, []);
  endBlock(ctx, nextPc(ctx), TbExit.HALT);
}
const hltCheck = cpuHelper("hlt_check", [], null, HelperFlag.CAN_FAULT, (cpu) => {
  if ((cpu.state.cr0 & 1) && cpu.state.cpl !== 0) cpu.softmmu.raise(Vec.GP, 0);
});

/** PUSHF/INT n in virtual-8086 mode need IOPL 3 (no VME): #GP(0) otherwise (SDM PUSHF, INT n). */
const vm86Iopl3 = cpuHelper("vm86_iopl3", [], null, HelperFlag.CAN_FAULT, (cpu) => {
  if (iopl(cpu) < 3) cpu.softmmu.raise(Vec.GP, 0);
});

function PUSHF(ctx: X86Ctx): void {
  const b = ctx.b;
  if (ctx.hflags & HFlag.VM86) b.call(vm86Iopl3, []);
  const rest = b.and(b.ldEnv(IrType.I32, StateOff.EFLAGS), b.i32(~(Eflag.RF | Eflag.VM | Eflag.ARITH)));
  const f = b.or(b.or(rest, getArithFlags(ctx)), b.i32(Eflag.FIXED1));
  push(ctx, b.extu(f), ctx.insn.opSize === 1 ? 2 : ctx.insn.opSize);
}

/** POPF: which bits may change depends on CPL and IOPL (SDM POPF table). */
const popf = cpuHelper("popf", [IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT, (cpu, value, size) => {
  const s = cpu.state;
  const old = cpu.eflags;
  const pe = (s.cr0 & 1) !== 0;
  if (old & Eflag.VM && iopl(cpu) < 3) return cpu.softmmu.raise(Vec.GP, 0);
  let mask = Eflag.ARITH | Eflag.TF | Eflag.DF | Eflag.NT | Eflag.AC | Eflag.ID;
  if (!pe || s.cpl === 0) mask |= Eflag.IOPL;
  if (!pe || s.cpl <= iopl(cpu)) mask |= Eflag.IF;
  if (size === 2) mask &= 0xffff;
  s.setEflags((old & ~mask) | (value & mask));
});

function POPF(ctx: X86Ctx): void {
  const b = ctx.b;
  const size = ctx.insn.opSize === 1 ? 2 : ctx.insn.opSize;
  const v = popPeek(ctx, size);
  b.call(popf, [b.trunc(v), b.i32(size)]);
  popCommit(ctx, size);
  ctx.ccOp = 0;
  // IF or TF may have changed: let the run loop look at pending interrupts.
  endBlock(ctx, nextPc(ctx), TbExit.REQUEST);
}

/** May this CPU access ports port..port+size-1? (SDM vol 1 18.5: IOPL, then the TSS bitmap). */
function ioAllowed(cpu: Cpu, port: number, size: number): boolean {
  const s = cpu.state;
  if (!(s.cr0 & 1)) return true;
  if (s.cpl <= iopl(cpu) && !(s.eflagsRest & Eflag.VM)) return true;
  const tr = s.seg(SegIndex.TR);
  if (tr.limit < 0x67) return false;
  const base = cpu.softmmu.read(tr.base + 0x66, 2, 0);
  if (base === undefined) return false;
  const at = base + (port >>> 3);
  if (at + 1 > tr.limit) return false;
  const bits = cpu.softmmu.read(tr.base + at, 2, 0);
  if (bits === undefined) return false;
  return ((bits >>> (port & 7)) & ((1 << size) - 1)) === 0;
}

export const ioIn = cpuHelper("io_in", [IrType.I32, IrType.I32], IrType.I32, HelperFlag.CAN_FAULT, (cpu, port, size) => {
  if (!ioAllowed(cpu, port, size)) { cpu.softmmu.raise(Vec.GP, 0); return 0; }
  if (cpu.debug.ioArmed) cpu.debug.ioAccess(port & 0xffff, size);
  return cpu.io.in(port & 0xffff, size as 1 | 2 | 4);
});
export const ioOut = cpuHelper("io_out", [IrType.I32, IrType.I32, IrType.I32], null, HelperFlag.CAN_FAULT, (cpu, port, size, value) => {
  if (!ioAllowed(cpu, port, size)) return cpu.softmmu.raise(Vec.GP, 0);
  if (cpu.debug.ioArmed) cpu.debug.ioAccess(port & 0xffff, size);
  cpu.io.out(port & 0xffff, value >>> 0, size as 1 | 2 | 4);
});

function IN(ctx: X86Ctx): void {
  const b = ctx.b;
  const d = operand(ctx, 0);
  const port = b.trunc(read(ctx, operand(ctx, 1)));
  write(ctx, d, b.extu(b.callValue(ioIn, [port, b.i32(d.size)])));
}

function OUT(ctx: X86Ctx): void {
  const b = ctx.b;
  const s = operand(ctx, 1);
  const port = b.trunc(read(ctx, operand(ctx, 0)));
  b.call(ioOut, [port, b.i32(s.size), b.trunc(read(ctx, s))]);
  // A device may have raised an interrupt or asked to stop: return to the run loop.
  endBlock(ctx, nextPc(ctx), TbExit.REQUEST);
}

/**
 * Software interrupt: RIP = next instruction, vector flagged as software (0x100), the
 * instruction's length in bits 12..15 (a fault while delivering it is a fault of the INT
 * instruction: interrupts.ts moves RIP back).
 */
function softInt(ctx: X86Ctx, vector: number): void {
  const b = ctx.b;
  b.stEnv(b.i32(vector | 0x100 | (ctx.insn.len << 12)), runOff(RunWord.EXC_VECTOR));
  b.stEnv(b.i32(-1), runOff(RunWord.EXC_ERROR));
  endBlock(ctx, nextPc(ctx), TbExit.FAULT);
}

/**
 * INT1 (ICEBP, F1): a #DB trap after the instruction, delivered like a hardware exception
 * (no gate DPL check, SDM INT n "does not apply to INT1"; DR6 is not changed).
 */
function INT1(ctx: X86Ctx): void {
  const b = ctx.b;
  // RF is pushed as 0 (cleared at the start of the instruction).
  b.stEnv(b.and(b.ldEnv(IrType.I32, StateOff.EFLAGS), b.i32(~Eflag.RF)), StateOff.EFLAGS);
  b.stEnv(b.i32(Vec.DB), runOff(RunWord.EXC_VECTOR));
  b.stEnv(b.i32(-1), runOff(RunWord.EXC_ERROR));
  endBlock(ctx, nextPc(ctx), TbExit.FAULT);
}

function INT(ctx: X86Ctx): void {
  const op = ctx.insn.operands[0];
  if (ctx.hflags & HFlag.VM86 && op?.kind === "imm") ctx.b.call(vm86Iopl3, []);
  softInt(ctx, op?.kind === "imm" ? op.lo & 0xff : 3);
}

function INTO(ctx: X86Ctx): void {
  const b = ctx.b;
  const skip = b.label();
  b.brcond("eq", b.and(getArithFlags(ctx), b.i32(Eflag.OF)), b.i32(0), skip);
  softInt(ctx, Vec.OF);
  b.setLabel(skip);
  ctx.ended = false;
  endBlock(ctx, nextPc(ctx));
}

function UD(ctx: X86Ctx): void {
  ctx.b.raise(Vec.UD);
  ctx.ended = true;
}

export const miscSemantics: SemanticsTable = {
  CLC: setCf("clear"), STC: setCf("set"), CMC: setCf("toggle"),
  CLD: setEflagBit(Eflag.DF, false), STD: setEflagBit(Eflag.DF, true),
  CLI, STI, HLT, PUSHF, POPF, IN, OUT,
  INT, INT3: (ctx) => softInt(ctx, Vec.BP), INT1, INTO,
  UD0: UD, UD1: UD, UD2: UD,
};

