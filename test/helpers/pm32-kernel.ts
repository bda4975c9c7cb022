/**
 * 32-bit protected-mode guest scaffolding shared by the system tests (nasm source fragments,
 * `bits 32`): the entry that loads the program's GDT (CS 0x08, data 0x10) and the IDT, gate
 * setters, and the IDT with both pseudo-descriptors. The program defines `gdt`/`gdt_end`.
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
