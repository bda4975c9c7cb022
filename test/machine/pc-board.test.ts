/**
 * The PC board end to end with a bare multiboot kernel (nasm): the loader picks the format,
 * the CPU starts in flat 32-bit protected mode with EAX = multiboot magic, the kernel prints
 * on COM1 (polling LSR) and powers off through isa-debug-exit; the machine reports the exit
 * status (value << 1) | 1. Also: a garbled kernel is a one-line ConfigError.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/common/errors.js";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createPcMachine } from "../../src/machine/pc.js";
import { nasm } from "../helpers/nasm.js";

const kernel = () => nasm(`
  align 4
  mb_header:
    dd 0x1BADB002               ; magic
    dd 0x00010000               ; flags: a.out kludge (addresses below)
    dd -(0x1BADB002 + 0x00010000)
    dd mb_header                ; header_addr
    dd 0x100000                 ; load_addr
    dd 0                        ; load_end_addr: whole file
    dd 0                        ; bss_end_addr
    dd start                    ; entry_addr
  start:
    cmp eax, 0x2BADB002
    jne fail
    mov esi, msg
  next:
    lodsb_emul:
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
    mov eax, 21
    out dx, eax                 ; exit status (21 << 1) | 1 = 43
    hlt
  fail:
    mov dx, 0xf4
    mov eax, 1
    out dx, eax
    hlt
  msg: db "multiboot ok", 10, 0
`, 32, 0x100000);

describe("pc board", () => {
  it("boots a multiboot kernel that prints on COM1 and exits through isa-debug-exit", () => {
    const serial = new MemoryCharBackend();
    const m = createPcMachine({ kernel: kernel(), serial, memoryBytes: 64 << 20 });
    expect(m.kernelFormat).toBe("multiboot");
    let r = m.runSlice();
    for (let i = 0; i < 100 && r.kind === "running"; i++) r = m.runSlice();
    expect(r).toEqual({ kind: "exit", exitCode: 43, reason: "isa-debug-exit" });
    expect(serial.text).toBe("multiboot ok\n");
    m.dispose();
  });

  it("rejects a kernel that is not a kernel with a one-line ConfigError", () => {
    const garbage = new Uint8Array(4096).fill(0x90);
    expect(() => createPcMachine({ kernel: garbage, memoryBytes: 64 << 20 })).toThrow(ConfigError);
    expect(() => createPcMachine({ kernel: garbage, memoryBytes: 64 << 20 })).toThrow(/not a bzImage, a PVH vmlinux or a multiboot image/);
  });
});
