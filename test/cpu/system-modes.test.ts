/**
 * System ISA, mode switches: a guest that starts in real mode builds its own GDT and page
 * tables, enters protected mode with a far jump, enables PAE + LME + PG (EFER.LMA must follow),
 * runs in compatibility mode, far-jumps to a 64-bit code segment, and reloads segments through
 * a far return (LRETQ), as Linux's startup code does. Also LLDT/SLDT, LTR/STR with the busy
 * bit, LAR/LSL/VERR/VERW, SGDT/SIDT, SMSW and CR0 rules. (SDM vol 3 9.8-9.9.)
 */
import { describe, expect, it } from "vitest";
import { SegAttr } from "../../src/cpu/cpu-state.js";
import { HFlag, SegIndex, StateOff } from "../../src/cpu/state-layout.js";
import { createTestCpu } from "../../src/cpu/testing/test-cpu.js";
import { nasm } from "../helpers/nasm.js";

const ORG = 0x8000;

/** Start in real mode at 0000:8000 (CS base 0) with `src` assembled as 16-bit code at ORG. */
function runReal(src: string, budget = 200_000) {
  const t = createTestCpu();
  t.load(ORG, nasm(src, 16, ORG));
  const s = t.cpu.state;
  s.setSeg(SegIndex.CS, { selector: 0, base: 0, limit: 0xffff, attr: SegAttr.P | SegAttr.S | 0xb });
  s.rip = ORG;
  t.cpu.modeChanged();
  if (process.env.SYSDBG) t.cpu.log.enable("int");
  const stop = t.run(budget);
  if (process.env.SYSDBG) console.log(stop, t.exitCode, t.logs, t.cpu.state.dumpGprs(), t.cpu.state.cr0.toString(16), t.cpu.state.efer.toString(16));
  return { t, stop, out: String.fromCharCode(...t.console) };
}

const GDT = `
align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff   ; 0x08 32-bit code
  dq 0x00cf92000000ffff   ; 0x10 data
  dq 0x00af9a000000ffff   ; 0x18 64-bit code
  dq 0x00009a000000ffff   ; 0x20 16-bit code
gdt_end:
gdt_desc:
  dw gdt_end - gdt - 1
  dd gdt
`;

describe("mode switches from a real-mode start", () => {
  it("goes real -> protected -> compatibility -> 64-bit mode", () => {
    const { t, out } = runReal(`
      cli
      xor ax, ax
      mov ds, ax
      mov ss, ax
      mov sp, 0x7000
      mov dx, 0xe9
      mov al, 'R'
      out 0xe9, al
      lgdt [gdt_desc]
      mov eax, cr0
      or eax, 1
      mov cr0, eax
      jmp dword 0x08:pm32
    bits 32
    pm32:
      mov ax, 0x10
      mov ds, ax
      mov es, ax
      mov ss, ax
      mov esp, 0x7000
      mov al, 'P'
      out 0xe9, al
      ; identity-map 1 GiB with 2 MiB pages: PML4 0x10000, PDPT 0x11000, PD 0x12000
      mov dword [0x10000], 0x11003
      mov dword [0x11000], 0x12003
      xor ecx, ecx
    .fill:
      mov eax, ecx
      shl eax, 21
      or eax, 0x83
      mov [0x12000 + ecx*8], eax
      mov dword [0x12004 + ecx*8], 0
      inc ecx
      cmp ecx, 512
      jne .fill
      mov eax, cr4
      or eax, 0x20
      mov cr4, eax
      mov eax, 0x10000
      mov cr3, eax
      mov ecx, 0xc0000080
      rdmsr
      or eax, 0x100
      wrmsr
      mov eax, cr0
      or eax, 0x80000000
      mov cr0, eax
      ; compatibility mode now: EFER.LMA = 1, CS.L = 0
      rdmsr
      test eax, 0x400
      jz bad32
      mov al, 'C'
      out 0xe9, al
      jmp 0x18:lm64
    bad32:
      mov al, 0xee
      out 0xf4, al
    bits 64
    lm64:
      mov al, 'L'
      out 0xe9, al
      ; reload CS through a far return, as Linux's startup_64 does
      lea rax, [rel after_lret]
      push 0x18
      push rax
      o64 retf
    after_lret:
      mov ax, cs
      cmp ax, 0x18
      jne bad64
      mov rax, 0x123456789a
      mov rbx, rax
      shr rbx, 32
      cmp ebx, 0x12
      jne bad64
      mov al, '!'
      out 0xe9, al
      mov al, 1
      out 0xf4, al
    bad64:
      mov al, 0xbb
      out 0xf4, al
    ${GDT}`);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(out).toBe("RPCL!");
    expect(t.exitCode).toBe(1);
    const s = t.cpu.state;
    expect(s.efer & 0x500).toBe(0x500);
    expect(s.hflags & HFlag.CS64).toBeTruthy();
    expect(s.cr0 >>> 31).toBe(1);
    expect(s.get32(StateOff.GDTR + 8)).toBe(5 * 8 - 1);
  });

  it("refuses CR0.PG with LME but without PAE (#GP, no IDT: triple fault)", () => {
    const { t, stop } = runReal(`
      cli
      xor ax, ax
      mov ds, ax
      lgdt [gdt_desc]
      mov eax, cr0
      or eax, 1
      mov cr0, eax
      jmp dword 0x08:pm32
    bits 32
    pm32:
      mov ecx, 0xc0000080
      rdmsr
      or eax, 0x100
      wrmsr
      mov eax, 0x10000
      mov cr3, eax
      mov eax, cr0
      or eax, 0x80000000
      mov cr0, eax
      mov al, 1
      out 0xf4, al
    ${GDT}`);
    expect(t.exitCode).toBeUndefined();
    expect(stop).toBe("reset");
    expect(t.cpu.state.efer & 0x400).toBe(0);
  });
});
