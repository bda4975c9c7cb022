/** Bare multiboot v1 kernels (a.out kludge, nasm) that talk on COM1; hello exits via port 0xF4. */
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

export interface EchoOptions {
  /** Echo lower-case letters in upper case. */
  upperCase?: boolean;
  /** A byte that ends the echo: the guest then writes `exitValue` to isa-debug-exit. */
  quit?: { char: string; exitValue: number };
}

/**
 * Prints `message` on COM1, then echoes every byte COM1 receives back to it (in upper case
 * with `upperCase`), forever or until the `quit` byte arrives.
 */
export function multibootEcho(message: string, opts: EchoOptions = {}): Uint8Array {
  const bytes = [...new TextEncoder().encode(message)].join(", ");
  const quit = opts.quit;
  return nasm(`
  align 4
  mb_header: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb_header, 0x100000, 0, 0, start
  start:
    mov esp, 0x90000             ; multiboot leaves ESP undefined
    mov esi, msg
  next:
    mov bl, [esi]
    inc esi
    test bl, bl
    jz echo
    call putc
    jmp next
  echo:
    mov dx, 0x3fd
    in al, dx
    test al, 1                   ; LSR.DR
    jz echo
    mov dx, 0x3f8
    in al, dx
${quit ? `    cmp al, ${quit.char.charCodeAt(0)}
    je quit
` : ""}    mov bl, al
${opts.upperCase ? `    cmp bl, 'a'
    jb send
    cmp bl, 'z'
    ja send
    sub bl, 0x20
` : ""}  send:
    call putc
    jmp echo
${quit ? `  quit:
    mov dx, 0xf4
    mov eax, ${quit.exitValue}
    out dx, eax
    hlt
` : ""}  putc:                          ; BL -> COM1 once THR is empty
    mov dx, 0x3fd
    in al, dx
    test al, 0x20
    jz putc
    mov dx, 0x3f8
    mov al, bl
    out dx, al
    ret
  msg: db ${bytes}, 0
`, 32, 0x100000);
}
