/**
 * 32-bit protected-mode guest scaffolding shared by the system tests (nasm source fragments,
 * `bits 32`): the entry that loads the program's GDT (CS 0x08, data 0x10) and the IDT, gate
 * setters, a TSS initialiser, and the IDT with both pseudo-descriptors. The program defines
 * `gdt`/`gdt_end`.
 */

/** Load gdt/idt, CS 0x08, DS/ES/SS 0x10, ESP 0x70000. */
export const PM32_ENTRY = `
  lgdt [gdt_desc]
  jmp 0x08:.reload
.reload:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x70000
  lidt [idt_desc]
`;

/**
 * set_gate: eax = vector, ebx = handler -> a 32-bit interrupt gate to CS 0x08 (DPL 0; OR
 * [idt + vector * 8 + 5] with 0x60 for DPL 3). set_task_gate: eax = vector, ebx = TSS
 * selector, ecx = the access byte (0x85 for DPL 0, 0xe5 for DPL 3).
 */
export const PM32_GATES = `
set_gate:
  mov [idt + eax * 8], bx
  mov word [idt + eax * 8 + 2], 0x08
  mov word [idt + eax * 8 + 4], 0x8e00
  shr ebx, 16
  mov [idt + eax * 8 + 6], bx
  ret
set_task_gate:
  mov word [idt + eax * 8], 0
  mov [idt + eax * 8 + 2], bx
  mov byte [idt + eax * 8 + 4], 0
  mov [idt + eax * 8 + 5], cl
  mov word [idt + eax * 8 + 6], 0
  ret
`;

/**
 * init_tss: edi = a 32-bit TSS, ebx = EIP, ecx = ESP. Zeroes its 104 bytes, then EFLAGS 2,
 * CR3 = the current CR3, CS 0x08, SS/DS/ES 0x10, I/O map base 104. Clobbers eax.
 */
export const PM32_INIT_TSS = `
init_tss:
  push edi
  push ecx
  mov ecx, 26
  xor eax, eax
  rep stosd
  pop ecx
  pop edi
  mov eax, cr3
  mov [edi + 0x1c], eax
  mov [edi + 0x20], ebx
  mov dword [edi + 0x24], 2
  mov [edi + 0x38], ecx
  mov word [edi + 0x48], 0x10
  mov word [edi + 0x4c], 0x08
  mov word [edi + 0x50], 0x10
  mov word [edi + 0x54], 0x10
  mov word [edi + 0x66], 104
  ret
`;

/** The pseudo-descriptors and a 256-entry IDT. */
export const PM32_TABLES = `
gdt_desc:
  dw gdt_end - gdt - 1
  dd gdt
idt_desc:
  dw 256 * 8 - 1
  dd idt
align 8
idt: times 256 * 8 db 0
`;
