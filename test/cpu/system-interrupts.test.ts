/**
 * System ISA, exceptions and interrupts in long mode (SDM vol 3 ch. 6): a guest IDT with
 * 64-bit interrupt gates; #DE, #UD, #GP(0) and #PF handlers that check the vector's error code
 * (and CR2) and return with IRETQ, an external interrupt from a fake InterruptSource, and IF
 * handling through the gate type; NMIs (IF ignored, blocking until IRET, one latched, HLT wake-up,
 * priority over INTR).
 */
import { describe, expect, it } from "vitest";
import type { InterruptSource } from "../../src/devices/cpu-interrupts.js";
import type { CpuBus } from "../../src/cpu/bus.js";
import { RunWord } from "../../src/cpu/state-layout.js";
import { createTestCpu, type TestCpu } from "../../src/cpu/testing/test-cpu.js";
import { IDT64 } from "../helpers/idt64.js";
import { nasm } from "../helpers/nasm.js";

/** Common 64-bit library: the IDT (test/helpers/idt64.ts) and print_hex4. */
const IDT_LIB = `
print_hex4:               ; al low nibble as a hex digit on port 0xE9
  and al, 0xf
  add al, '0'
  cmp al, '9'
  jbe .d
  add al, 7
.d:
  out 0xe9, al
  ret
` + IDT64;

function run64(src: string, setup?: (t: TestCpu) => void, budget = 500_000) {
  const t = createTestCpu();
  t.load(0x100000, nasm(src + IDT_LIB));
  t.enterLongMode();
  setup?.(t);
  const stop = t.run(budget);
  return { t, stop, out: String.fromCharCode(...t.console) };
}

describe("exceptions through a 64-bit IDT", () => {
  it("reports a not-present gate for an external interrupt as #NP with IDT and EXT bits", () => {
    let pending = 1;
    const src: InterruptSource = { hasInterrupt: () => pending > 0, ackInterrupt: () => { pending--; return 0x21; } };
    const { t, out } = run64(`
      call load_idt
      mov rdi, 11
      lea rsi, [rel np_handler]
      call set_gate
      mov rdi, 0x21
      lea rsi, [rel np_handler]
      call set_gate
      and byte [rel idt + 0x21 * 16 + 5], 0x7f   ; gate 0x21 not present
      sti
      nop
    idle:
      hlt
      jmp idle
    np_handler:
      cmp qword [rsp], 0x21 * 8 + 2 + 1          ; index, IDT, EXT
      jne .bad
      mov al, 'N'
      out 0xe9, al
      mov al, 1
      out 0xf4, al
    .bad:
      mov al, 2
      out 0xf4, al
    `, (t) => {
      (t.cpu.bus as { irq: InterruptSource | null }).irq = src;
      t.cpu.setInterruptPending(true);
    });
    expect(out).toBe("N");
    expect(t.exitCode).toBe(1);
  });

  it("delivers #DE, #UD, #GP(0) and #PF (with CR2 and error code) and returns with IRETQ", () => {
    const { t, out } = run64(`
      call load_idt
      mov rdi, 0
      lea rsi, [rel de_handler]
      call set_gate
      mov rdi, 6
      lea rsi, [rel ud_handler]
      call set_gate
      mov rdi, 13
      lea rsi, [rel gp_handler]
      call set_gate
      mov rdi, 14
      lea rsi, [rel pf_handler]
      call set_gate
      ; #DE: div by zero, the handler skips the 2-byte DIV
      xor ecx, ecx
      mov eax, 1
      div ecx
      ; #UD: UD2, skipped by the handler
      ud2
      ; #GP(0): non-canonical address (8-byte MOV, 4 bytes: 48 8B 03 + ... -> we use a fixed length form)
      mov rbx, 0x0000800000000000
      mov rax, [rbx]            ; 3 bytes: 48 8b 03
      ; #PF: write to 1 GiB (not mapped); the handler maps it and IRETQ retries the store
      mov rbx, 0x40000000
      mov dword [rbx], 0x5a5a1234
      ; the store landed in physical 0x200000 (mapped by the handler)
      cmp dword [0x200000], 0x5a5a1234
      jne bad
      mov al, '.'
      out 0xe9, al
      mov al, 1
      out 0xf4, al
    bad:
      mov al, 2
      out 0xf4, al

    de_handler:
      mov al, 'D'
      out 0xe9, al
      add qword [rsp], 2
      iretq
    ud_handler:
      mov al, 'U'
      out 0xe9, al
      add qword [rsp], 2
      iretq
    gp_handler:
      mov al, 'G'
      out 0xe9, al
      mov rax, [rsp]           ; error code
      call print_hex4
      add rsp, 8
      add qword [rsp], 3
      iretq
    pf_handler:
      mov al, 'P'
      out 0xe9, al
      mov rax, [rsp]           ; error code: 2 = write, not present, supervisor
      call print_hex4
      mov rax, cr2
      cmp rax, 0x40000000
      jne .badcr2
      ; map 1 GiB..+2 MiB to physical 0x200000 through PDPT[1] -> PD at 0x13000
      mov qword [0x13000], 0x200083
      mov qword [0x11008], 0x13003
      add rsp, 8
      iretq
    .badcr2:
      mov al, 3
      out 0xf4, al
    `);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
    expect(out).toBe("DUG0P2.");
    expect(t.exitCode).toBe(1);
    expect(t.cpu.state.getNum(0x198 /* CR2 */)).toBe(0x40000000);
  });

  it("delivers an external interrupt after STI's shadow, with IF cleared by the interrupt gate", () => {
    let pending = 1;
    const acks: number[] = [];
    const src: InterruptSource = {
      hasInterrupt: () => pending > 0,
      ackInterrupt: () => { pending--; acks.push(0x20); return 0x20; },
    };
    const { t, out } = run64(`
      call load_idt
      mov rdi, 0x20
      lea rsi, [rel irq_handler]
      call set_gate
      mov al, 'a'
      out 0xe9, al
      sti
      mov al, 'b'            ; runs in the STI shadow, before the interrupt
      out 0xe9, al
    idle:
      cmp byte [rel seen], 1
      je done
      hlt
      jmp idle
    done:
      pushfq
      pop rax
      test eax, 0x200        ; IF restored by IRETQ
      jz bad
      mov al, 1
      out 0xf4, al
    bad:
      mov al, 2
      out 0xf4, al
    irq_handler:
      push rax
      pushfq
      pop rax
      test eax, 0x200        ; IF must be clear inside an interrupt gate
      jnz .bad
      mov al, 'I'
      out 0xe9, al
      mov byte [rel seen], 1
      pop rax
      iretq
    .bad:
      mov al, 3
      out 0xf4, al
    seen: db 0
    `, (t) => {
      (t.cpu.bus as { irq: InterruptSource | null }).irq = src;
      t.cpu.setInterruptPending(true);
    });
    expect(out).toBe("abI");
    expect(acks).toEqual([0x20]);
    expect(t.exitCode).toBe(1);
  });
});

describe("NMI (SDM vol 3 6.7.1)", () => {
  /** Port 0x80 stands for the local APIC's self-NMI: a write makes an NMI pending. */
  const nmiPort = (t: TestCpu): void => {
    const io = (t.cpu.bus as CpuBus).io;
    const out = io.out.bind(io);
    io.out = (port, value, size) => { if (port === 0x80) t.cpu.nmi(); out(port, value, size); };
  };
  const NMI_PROGRAM = `
      call load_idt
      mov rdi, 2
      lea rsi, [rel nmi_handler]
      call set_gate
      cli
      mov al, 'a'
      out 0xe9, al
      out 0x80, al           ; NMI with IF = 0: taken at the next instruction boundary
      mov al, 'b'
      out 0xe9, al
      hlt                    ; IF = 0: only an NMI wakes it
      mov al, 'w'
      out 0xe9, al
      mov al, 1
      out 0xf4, al
    nmi_handler:
      inc byte [rel count]
      mov al, 'N'
      out 0xe9, al
      cmp byte [rel count], 1
      jne .done
      out 0x80, al           ; two more while the first is being handled: one is latched, one lost
      out 0x80, al
      mov al, 'h'
      out 0xe9, al
    .done:
      iretq
    count: db 0
  `;

  it("ignores IF, blocks nested NMIs until IRETQ (one latched), and wakes HLT", () => {
    const { t, stop, out } = run64(NMI_PROGRAM, nmiPort);
    expect(stop).toBe("halt");
    expect(out).toBe("aNhNb");
    t.cpu.nmi(); // from outside while halted (the monitor's `nmi`)
    t.run();
    expect(String.fromCharCode(...t.console)).toBe("aNhNbNw");
    expect(t.exitCode).toBe(1);
    expect(t.logs.filter((l) => l.startsWith("unimp"))).toEqual([]);
  });

  it("comes before a pending external interrupt, and a reset clears a pending NMI", () => {
    const src: InterruptSource = { hasInterrupt: () => true, ackInterrupt: () => 0x20 };
    const { t, out } = run64(`
      call load_idt
      mov rdi, 2
      lea rsi, [rel nmi_handler]
      call set_gate
      mov rdi, 0x20
      lea rsi, [rel irq_handler]
      call set_gate
      sti
      out 0x80, al           ; in STI's shadow: afterwards both NMI and INTR are pending
    idle:
      hlt
      jmp idle
    nmi_handler:
      mov al, 'N'
      out 0xe9, al
      iretq
    irq_handler:
      mov al, 'I'
      out 0xe9, al
      mov al, 1
      out 0xf4, al
    `, (t) => {
      nmiPort(t);
      (t.cpu.bus as { irq: InterruptSource | null }).irq = src;
      t.cpu.setInterruptPending(true);
    });
    expect(out).toBe("NI");
    expect(t.exitCode).toBe(1);
    t.cpu.nmi();
    t.cpu.reset();
    expect(t.cpu.state.run(RunWord.NMI)).toBe(0);
  });
});
