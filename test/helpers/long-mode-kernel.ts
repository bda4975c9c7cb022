/**
 * A multiboot kernel (nasm) that builds 4-level page tables mapping 0xffffffff80000000 ->
 * physical 0 (as Linux maps its text) besides the identity map, enters long mode and jumps
 * up there: `mov rbx, 0x1122334455667788` at HIGH, then rcx = [0xffffffff80300000]
 * (0x89abcdef), rdx = HIGH, and a spin loop.
 */
import { nasm } from "./nasm.js";

export const KBASE = -0x80000000; // 0xffffffff80000000 as the CPU's signed linear address
export const image = nasm(`
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
export const HIGH = KBASE + at(0x48, 0xbb, 0x88, 0x77);
