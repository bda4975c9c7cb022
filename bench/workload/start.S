/* Multiboot v1 header and entry of the bare-metal benchmark kernel (32-bit, ELF).
 * Flags: page-align modules, memory info. The loader enters here in flat 32-bit protected
 * mode, paging off, EAX = 0x2BADB002, EBX = multiboot_info. */
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002
    .long 0x00000003
    .long -(0x1BADB002 + 0x00000003)

    .section .text
    .global _start
_start:
    cli
    mov $stack_top, %esp
    cld
    push %ebx
    push %eax
    call kmain
1:  cli
    hlt
    jmp 1b

    .section .bss
    .align 16
stack_bottom:
    .skip 65536
stack_top:
    .section .note.GNU-stack, "", @progbits
