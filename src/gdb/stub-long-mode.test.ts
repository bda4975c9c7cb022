/**
 * The gdbstub with a 64-bit guest at kernel-style addresses: a multiboot kernel (nasm) builds
 * 4-level page tables mapping 0xffffffff80000000 -> physical 0 (as Linux maps its text),
 * enters long mode and jumps up there. Breakpoints, rip, memory reads and writes at those
 * addresses (64-bit hex above 2^53 as unsigned text, negative numbers inside), 64-bit
 * registers and fs_base.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../machine/machine.js";
import { createPcMachine } from "../machine/pc.js";
import { nasm } from "../../test/helpers/nasm.js";
import { hex64, stubHarness } from "../../test/helpers/gdb-stub-harness.js";
import { REGISTERS } from "./registers.js";

const KBASE = -0x80000000; // 0xffffffff80000000 as the CPU's signed linear address
const image = nasm(`
  align 4
  mb: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb, 0x100000, 0, 0, start
start:
  mov esp, 0x90000
  mov edi, 0x200000
  mov ecx, 0x1000
  xor eax, eax
  rep stosd                          ; clear 0x200000..0x204000
  mov dword [0x200000], 0x201003     ; PML4[0] -> PDPT (identity)
  mov dword [0x200ff8], 0x202003     ; PML4[511] -> PDPT (high)
  mov dword [0x201000], 0x203003     ; PDPT[0] -> PD
  mov dword [0x202ff0], 0x203003     ; PDPT[510] -> PD: 0xffffffff80000000
  mov dword [0x203000], 0x83         ; PD[0]: 2 MiB at 0
  mov dword [0x203008], 0x200083     ; PD[1]: 2 MiB at 2 MiB
  mov dword [0x300000], 0x89abcdef
  mov eax, cr4
  or eax, 0x20                       ; PAE
  mov cr4, eax
  mov eax, 0x200000
  mov cr3, eax
  mov ecx, 0xc0000080
  rdmsr
  or eax, 0x100                      ; EFER.LME
  wrmsr
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  lgdt [gdtr]
  jmp 0x08:lmode
bits 64
lmode:
  mov rax, high + 0xffffffff80000000
  jmp rax
high:
  mov rbx, 0x1122334455667788
  mov rcx, [abs 0xffffffff80300000]
  lea rdx, [rel high]
spin:
  jmp spin
align 8
gdt: dq 0, 0x00209a0000000000
gdtr: dw 15
  dd gdt
`, 32, 0x100000);
const at = (...pattern: number[]): number => {
  for (let i = 0; i + pattern.length <= image.length; i++) if (pattern.every((b, j) => image[i + j] === b)) return 0x100000 + i;
  throw new Error("pattern not in the kernel");
};
/** `mov rbx, imm64` (48 BB imm) at its kernel virtual address. */
const HIGH = KBASE + at(0x48, 0xbb, 0x88, 0x77);
const hexAddr = (v: number): string => {
  const hi = Math.floor(v / 2 ** 32);
  return (hi >>> 0).toString(16) + (v - hi * 2 ** 32).toString(16).padStart(8, "0");
};
const reg = (name: string): string => REGISTERS.findIndex((r) => r.name === name).toString(16);

const machines: Machine[] = [];
afterEach(() => { while (machines.length) machines.pop()!.dispose(); });

describe("gdbstub: long mode at 0xffffffff8xxxxxxx", () => {
  it("breaks, steps and reads/writes memory at kernel addresses", () => {
    const m = createPcMachine({ kernel: image, memoryBytes: 64 << 20 });
    machines.push(m);
    const { cmd, drive, sent } = stubHarness(m);
    const highHex = `ffffffff8${(HIGH - KBASE).toString(16).padStart(7, "0")}`;
    expect(hexAddr(HIGH)).toBe(highHex);
    expect(cmd(`Z0,${highHex},1`)).toBe("OK");
    cmd("c");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(m.cpu.state.rip).toBe(HIGH);
    expect(cmd(`p${reg("rip")}`)).toBe(hex64(HIGH));
    expect(cmd(`m${highHex},2`)).toBe("48bb");
    cmd("s");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd(`p${reg("rbx")}`)).toBe("8877665544332211");
    expect(cmd("mffffffff80300000,4")).toBe("efcdab89");
    expect(cmd("Mffffffff80300000,4:78563412")).toBe("OK");
    expect(cmd("m300000,4")).toBe("78563412"); // the identity map sees the same page
    cmd("s");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd(`p${reg("rcx")}`)).toBe(hex64(0x12345678));
    cmd("s");
    drive();
    expect(sent.shift()).toBe("T05thread:01;");
    expect(cmd(`p${reg("rdx")}`)).toBe(hex64(HIGH));
    expect(cmd("m0000800000000000,1")).toBe("E14"); // non-canonical
    expect(cmd(`P${reg("fs_base")}=${hex64(-0x1000)}`)).toBe("OK");
    expect(m.cpu.state.seg(4).base).toBe(-0x1000);
    expect(cmd(`p${reg("fs_base")}`)).toBe("00f0ffffffffffff");
  });
});
