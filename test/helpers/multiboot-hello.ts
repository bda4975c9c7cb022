/** A bare multiboot v1 kernel (a.out kludge, nasm) that prints on COM1 and exits via port 0xF4. */
import { nasm } from "./nasm.js";

/** Prints `message` on COM1 (polling LSR.THRE), then writes `exitValue` to isa-debug-exit. */
export function multibootHello(message: string, exitValue: number): Uint8Array {
  const bytes = [...new TextEncoder().encode(message)].join(", ");
  return nasm(`
  align 4
  mb_header:
    dd 0x1BADB002
    dd 0x00010000
    dd -(0x1BADB002 + 0x00010000)
    dd mb_header
    dd 0x100000
    dd 0
    dd 0
    dd start
  start:
    cmp eax, 0x2BADB002
    jne fail
    mov esi, msg
  next:
    mov al, [esi]
    inc esi
    test al, al
    jz done
    mov bl, al
  wait_thre:
    mov dx, 0x3fd
    in al, dx
    test al, 0x20
    jz wait_thre
    mov dx, 0x3f8
    mov al, bl
    out dx, al
    jmp next
  done:
    mov dx, 0xf4
    mov eax, ${exitValue}
    out dx, eax
    hlt
  fail:
    mov dx, 0xf4
    mov eax, 0x7f
    out dx, eax
    hlt
  msg: db ${bytes}, 0
`, 32, 0x100000);
}
