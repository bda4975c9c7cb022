/**
 * The start of the small 32-bit paging kernels the monitor and gdbstub tests run (nasm source,
 * a multiboot header at 0x100000): PDE0 maps 4 MiB at 0 with a large page, PDE1 points at a
 * page table whose PTE0 maps 0x400000 -> 0x300000 (accessed bits clear, so tests can check
 * that debug reads set none), "abcd" at 0x300000, then `data` (more stores before paging is
 * on), paging on, and a known register state (EAX 0x12345678, EBX 0xcafe, ZF = PF = 1 lazily,
 * interrupts off). The caller's code follows.
 */
export const PDE1 = 0x200004, PTE0 = 0x202000;

export function pagingKernelStart(data: string): string {
  return `
  align 4
  mb: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb, 0x100000, 0, 0, start
start:
  mov esp, 0x90000
  mov dword [0x200000], 0x00000083   ; PDE0: 4 MiB page at 0 (P, RW, PS)
  mov dword [0x200004], 0x00202003   ; PDE1: page table at 0x202000 (P, RW; A clear)
  mov dword [0x202000], 0x00300003   ; PTE0: 0x400000 -> 0x300000 (P, RW; A clear); PTE1 = 0
  mov dword [0x300000], 0x64636261   ; "abcd"
${data}
  mov eax, cr4
  or eax, 0x10                       ; PSE
  mov cr4, eax
  mov eax, 0x200000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  mov eax, 0x12345678
  mov ebx, 0xcafe
  mov ecx, 5
  sub ecx, 5                         ; ZF = PF = 1, lazily
  cli
`;
}
