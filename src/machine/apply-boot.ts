/**
 * Apply a loader's BootCpuState to a CPU: the register file, control registers, descriptor
 * tables and segment caches. The loaders know boot protocols; the CPU does not.
 */

import type { BootCpuState, BootSegment } from "../boot/boot-state.js";
import type { Cpu } from "../cpu/cpu.js";
import { SegIndex, StateOff } from "../cpu/state-layout.js";

export function applyBootState(cpu: Cpu, b: BootCpuState): void {
  const s = cpu.state;
  const regs = [b.rax, b.rcx, b.rdx, b.rbx, b.rsp, b.rbp, b.rsi, b.rdi];
  regs.forEach((v, i) => s.setReg(i, v));
  for (let i = 8; i < 16; i++) s.setReg(i, 0);
  s.set64(StateOff.CR0, b.cr0, 0);
  s.setNum(StateOff.CR3, b.cr3);
  s.set64(StateOff.CR4, b.cr4, 0);
  s.set64(StateOff.EFER, b.efer, 0);
  s.setNum(StateOff.GDTR, b.gdt.base);
  s.set32(StateOff.GDTR + 8, b.gdt.limit);
  s.setNum(StateOff.IDTR, b.idt.base);
  s.set32(StateOff.IDTR + 8, b.idt.limit);
  const seg = (i: SegIndex, g: BootSegment) => s.setSeg(i, { selector: g.selector, base: g.base, limit: g.limit, attr: g.attr });
  seg(SegIndex.ES, b.es); seg(SegIndex.CS, b.cs); seg(SegIndex.SS, b.ss); seg(SegIndex.DS, b.ds);
  seg(SegIndex.FS, b.fs); seg(SegIndex.GS, b.gs); seg(SegIndex.TR, b.tr); seg(SegIndex.LDTR, b.ldtr);
  s.cpl = b.mode === "real" ? 0 : b.cs.selector & 3;
  s.setEflags(b.rflags);
  s.rip = b.rip;
  cpu.modeChanged();
  cpu.flushTlb();
}
