/**
 * The PC board end to end with a bare multiboot kernel (nasm): the loader picks the format,
 * the CPU starts in flat 32-bit protected mode with EAX = multiboot magic, the kernel prints
 * on COM1 (polling LSR) and powers off through isa-debug-exit; the machine reports the exit
 * status (value << 1) | 1. Also: a garbled kernel is a one-line ConfigError; PIT ticks through
 * the 8259s in a tight loop; FERR# (x87 errors with CR0.NE = 0) as IRQ 13.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/common/errors.js";
import { MemoryCharBackend } from "../../src/devices/char-backend.js";
import { createPcMachine } from "../../src/machine/pc.js";
import { multibootHello } from "../helpers/multiboot-hello.js";
import { nasm } from "../helpers/nasm.js";

const kernel = () => multibootHello("multiboot ok\n", 21);

/**
 * A 32-bit multiboot kernel's start: ESP, an IDT gate `vector` -> `handler` (IDT at 0x8000,
 * `idtr` defined by the caller), LAPIC enabled with LINT0 = ExtINT, the 8259s at vectors
 * 0x20/0x28 with the given interrupt masks.
 */
const irqKernelStart = (vector: number, masterMask: number, slaveMask: number): string => `
      align 4
      mb: dd 0x1BADB002, 0x00010000, -(0x1BADB002 + 0x00010000), mb, 0x100000, 0, 0, start
    start:
      mov esp, 0x90000                  ; multiboot leaves ESP undefined
      mov eax, handler
      mov edi, 0x8000 + ${vector} * 8
      mov word [edi], ax
      mov word [edi + 2], 0x10
      mov word [edi + 4], 0x8e00
      shr eax, 16
      mov word [edi + 6], ax
      lidt [idtr]
      mov dword [0xfee000f0], 0x1ff     ; SVR: APIC software enable
      mov dword [0xfee00350], 0x700     ; LVT LINT0: ExtINT
      mov al, 0x11
      out 0x20, al
      out 0xa0, al
      mov al, 0x20
      out 0x21, al
      mov al, 0x28
      out 0xa1, al
      mov al, 4
      out 0x21, al
      mov al, 2
      out 0xa1, al
      mov al, 1
      out 0x21, al
      out 0xa1, al
      mov al, ${masterMask}
      out 0x21, al
      mov al, ${slaveMask}
      out 0xa1, al
`;

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

describe("timer interrupts in a tight loop", () => {
  it("a guest spinning in a one-block loop still takes PIT interrupts through the 8259 and LAPIC", () => {
    // 32-bit multiboot kernel: IDT gate 0x20 -> handler, 8259 remapped to 0x20 with only IRQ0
    // unmasked, LAPIC enabled with LINT0 = ExtINT, PIT channel 0 at ~1 kHz, then `sti` and a
    // tight loop until the handler has counted 5 ticks; exits with the tick count.
    const k = nasm(`${irqKernelStart(0x20, 0xfe, 0xff)}
      mov al, 0x34                      ; PIT channel 0, lo/hi, mode 2
      out 0x43, al
      mov al, 0xa9                      ; divisor 1193: ~1 kHz
      out 0x40, al
      mov al, 0x04
      out 0x40, al
      sti
    spin:
      cmp dword [ticks], 5
      jb spin
      cli
      mov eax, [ticks]
      mov dx, 0xf4
      out dx, eax
      hlt
    handler:
      inc dword [ticks]
      push eax
      mov al, 0x20
      out 0x20, al
      pop eax
      iretd
      align 4
    ticks: dd 0
    idtr: dw 0x7ff
          dd 0x8000
    `, 32, 0x100000);
    const m = createPcMachine({ kernel: k, memoryBytes: 64 << 20 });
    let r = m.runSlice();
    for (let i = 0; i < 2000 && r.kind === "running"; i++) r = m.runSlice();
    expect(r).toEqual({ kind: "exit", exitCode: (5 << 1) | 1, reason: "isa-debug-exit" });
    expect(m.cpu.stats.interrupts).toBeGreaterThanOrEqual(5);
    m.dispose();
  });
});

describe("x87 errors with CR0.NE = 0 (FERR#)", () => {
  it("an unmasked x87 exception at a waiting instruction raises IRQ 13 through the 8259s until port 0xF0 is written", () => {
    // Slave IRQ 5 (= IRQ 13, vector 0x2d) and the cascade unmasked; the zero-divide is unmasked
    // (FCW 0x37b) and pending after FDIVP; FWAIT asserts FERR#. The handler clears the latch at
    // port 0xF0, FNCLEXes and EOIs; the kernel exits with the handler count and FSW.ES.
    const k = nasm(`${irqKernelStart(0x2d, 0xfb, 0xdf)}
      mov eax, cr0
      and eax, ~0x20                    ; CR0.NE = 0
      mov cr0, eax
      fninit
      fldcw [cw]
      sti
      fld1
      fldz
      fdivp                             ; 1 / 0: ZE, unmasked -> ES
      fwait                             ; FERR# -> IRQ 13
    wait_irq:
      cmp dword [count], 0
      je wait_irq
      fwait                             ; the handler's FNCLEX cleared ES: no second IRQ
      nop
      nop
      cli
      fnstsw ax
      and eax, 0x80                     ; ES
      or eax, [count]
      mov dx, 0xf4
      out dx, eax
      hlt
    handler:
      push eax
      inc dword [count]
      out 0xf0, al                      ; clear FERR#
      fnclex
      mov al, 0x20
      out 0xa0, al
      out 0x20, al
      pop eax
      iretd
      align 4
    count: dd 0
    cw: dw 0x37b
    idtr: dw 0x7ff
          dd 0x8000
    `, 32, 0x100000);
    const logs: string[] = [];
    const m = createPcMachine({ kernel: k, memoryBytes: 64 << 20, logSink: (cat, msg) => logs.push(`${cat}: ${msg}`) });
    let r = m.runSlice();
    for (let i = 0; i < 2000 && r.kind === "running"; i++) r = m.runSlice();
    expect(logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(r).toEqual({ kind: "exit", exitCode: (1 << 1) | 1, reason: "isa-debug-exit" });
    m.dispose();
  });
});
