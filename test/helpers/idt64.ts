/**
 * The 64-bit IDT of the long-mode system tests (nasm source to append to a 64-bit program):
 * `load_idt` (LIDT of `idt`), `set_gate` (rdi = vector, rsi = handler: a DPL 0 interrupt gate
 * to selector 0x08) and `set_gate_attr` (dx = the gate's type/attribute word). They keep
 * every register but the flags.
 */
export const IDT64 = `
load_idt:
  push rax
  lea rax, [rel idt]
  mov [rel idt_desc + 2], rax
  lidt [rel idt_desc]
  pop rax
  ret
set_gate:
  push rdx
  mov edx, 0x8e00
  call set_gate_attr
  pop rdx
  ret
set_gate_attr:
  push rax
  push rdi
  shl rdi, 4
  lea rdi, [rel idt + rdi]
  mov rax, rsi
  mov [rdi], ax
  mov word [rdi + 2], 0x08
  mov [rdi + 4], dx
  shr rax, 16
  mov [rdi + 6], ax
  shr rax, 16
  mov [rdi + 8], eax
  mov dword [rdi + 12], 0
  pop rdi
  pop rax
  ret
align 8
idt_desc:
  dw 256 * 16 - 1
  dq 0
align 16
idt: times 256 * 16 db 0
`;
