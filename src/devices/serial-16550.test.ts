import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { MemoryCharBackend } from "./char-backend.js";
import { Serial16550 } from "./serial-16550.js";
import { createTestMachine, type TestMachine } from "./testing/test-machine.js";
import type { IrqRecorder } from "./irq.js";

const BASE = 0x3f8;
const [RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR] = [0, 1, 2, 3, 4, 5, 6, 7].map((o) => BASE + o) as [number, number, number, number, number, number, number, number];
const FCR = IIR;

function setup(withClock = true): { m: TestMachine; uart: Serial16550; irq: IrqRecorder; be: MemoryCharBackend } {
  const m = createTestMachine();
  const irq = m.irq();
  const be = new MemoryCharBackend();
  const uart = new Serial16550({ irq, backend: be, logger: m.logger, ...(withClock ? { clock: m.clock } : {}) });
  uart.realize();
  irq.history.length = 0;
  m.mapIo(BASE, 8, uart, "serial0");
  return { m, uart, irq, be };
}

describe("Serial16550", () => {
  it("validates options", () => {
    expect(() => new Serial16550({ irq: undefined as never, backend: new MemoryCharBackend() })).toThrow(ConfigError);
    expect(() => new Serial16550({ irq: { set() {}, pulse() {} }, backend: {} as never })).toThrow(ConfigError);
  });

  it("passes Linux's autoconfig probes for a 16550A", () => {
    const { m } = setup();
    // IER test: bits 0-3 writable, bits 4-7 read as zero (no 16750/XScale UUE).
    m.outb(IER, 0);
    expect(m.inb(IER)).toBe(0);
    m.outb(IER, 0xff);
    expect(m.inb(IER)).toBe(0x0f);
    m.outb(IER, 0);
    // Scratch register.
    m.outb(SCR, 0xa5);
    expect(m.inb(SCR)).toBe(0xa5);
    // Loopback: MCR = LOOP | OUT2 | RTS gives MSR high nibble 0x90.
    m.outb(MCR, 0x10 | 0x0a);
    expect(m.inb(MSR) & 0xf0).toBe(0x90);
    m.outb(MCR, 0);
    // EFR probe: LCR = 0xBF, write "EFR" (FCR) = 0, then FCR = FIFO enable; IIR >> 6 == 3.
    m.outb(LCR, 0xbf);
    m.outb(FCR, 0);
    m.outb(LCR, 0);
    m.outb(FCR, 0x01);
    expect(m.inb(IIR) >> 6).toBe(3);
    // No EFR: offset 2 reads back non-zero (IIR) in both configuration modes.
    for (const lcr of [0x80, 0xbf]) {
      m.outb(LCR, lcr);
      expect(m.inb(IIR)).not.toBe(0);
    }
    m.outb(LCR, 0);
    m.outb(LCR, 0x80);
    m.outb(FCR, 0x21);
    m.outb(LCR, 0);
    expect(m.inb(IIR) & 0x20).toBe(0);
    // Divisor latch.
    m.outb(LCR, 0x80);
    m.outb(RBR, 0x01);
    m.outb(IER, 0x00);
    expect(m.inb(RBR)).toBe(1);
    m.outb(LCR, 0x03);
    expect(m.inb(LCR)).toBe(3);
  });

  it("re-raises THRE each time IER.THRI is set while the THR is empty (serial8250 THRE test)", () => {
    const { m, irq } = setup();
    expect(m.inb(LSR) & 0x60).toBe(0x60);
    m.outb(IER, 0x02);
    const iir1 = m.inb(IIR);
    expect(iir1 & 0x0f).toBe(0x02);
    expect(irq.history).toEqual([1, 0]);
    m.outb(IER, 0);
    m.outb(IER, 0x02);
    const iir2 = m.inb(IIR);
    expect(iir2 & 0x01).toBe(0);
    m.outb(IER, 0);
    // TXEN test: THRI enabled, IIR shows an interrupt, so no UART_BUG_TXEN.
    m.outb(IER, 0x02);
    expect(m.inb(LSR) & 0x40).toBe(0x40);
    expect(m.inb(IIR) & 0x01).toBe(0);
    // The IIR read acknowledged it: the line dropped and IIR reads "no interrupt".
    expect(irq.level).toBe(0);
    expect(m.inb(IIR) & 0x0f).toBe(0x01);
  });

  it("transmits bytes to the backend and raises THRI after each write", () => {
    const { m, irq, be } = setup();
    m.outb(IER, 0x02);
    m.inb(IIR);
    expect(irq.level).toBe(0);
    for (const c of "hi\n") m.outb(RBR, c.charCodeAt(0));
    expect(be.text).toBe("hi\n");
    expect(irq.level).toBe(1);
    expect(m.inb(IIR) & 0x0f).toBe(0x02);
    expect(irq.level).toBe(0);
  });

  it("receives into the FIFO with trigger levels and the character timeout", () => {
    const { m, irq, be } = setup();
    m.outb(FCR, 0x81); // FIFO on, trigger 8
    m.outb(IER, 0x01);
    be.receive("abc");
    expect(m.inb(LSR) & 1).toBe(1);
    expect(irq.level).toBe(0); // below the trigger level
    m.advance(4_000_000); // < 4 char times at 9600 baud (divisor 12: 1.04 ms per char)
    expect(irq.level).toBe(0);
    m.advance(200_000);
    expect(irq.level).toBe(1);
    expect(m.inb(IIR) & 0x0f).toBe(0x0c);
    let s = "";
    while (m.inb(LSR) & 1) s += String.fromCharCode(m.inb(RBR));
    expect(s).toBe("abc");
    expect(irq.level).toBe(0);
    be.receive("0123456789");
    expect(irq.level).toBe(1);
    expect(m.inb(IIR) & 0x0f).toBe(0x04);
  });

  it("queues host input beyond the FIFO without loss and supports 16450 mode", () => {
    const { m, be } = setup(false);
    const text = "x".repeat(40) + "END";
    be.receive(text);
    let s = "";
    while (m.inb(LSR) & 1) s += String.fromCharCode(m.inb(RBR));
    expect(s).toBe(text);
    m.outb(FCR, 0x01);
    be.receive("0123456789abcdefghij");
    s = "";
    while (m.inb(LSR) & 1) s += String.fromCharCode(m.inb(RBR));
    expect(s).toBe("0123456789abcdefghij");
    expect(m.inb(LSR) & 0x02).toBe(0); // no overrun
  });

  it("loops back transmitted bytes and reports overrun as a line-status interrupt", () => {
    const { m, irq, be } = setup();
    m.outb(MCR, 0x10);
    m.outb(IER, 0x05);
    m.outb(RBR, 0x41);
    expect(be.text).toBe("");
    expect(m.inb(LSR) & 1).toBe(1);
    m.outb(RBR, 0x42); // 16450 mode: second byte overruns
    expect(irq.level).toBe(1);
    expect(m.inb(IIR) & 0x0f).toBe(0x06);
    expect(m.inb(LSR) & 0x02).toBe(0x02);
    expect(m.inb(LSR) & 0x02).toBe(0);
    expect(m.inb(RBR)).toBe(0x42);
    expect(irq.level).toBe(0);
  });

  it("logs writes to read-only registers and handles wide accesses as invalid", () => {
    const { m } = setup();
    m.outb(LSR, 0);
    expect(m.logsOf("guest_error")).toHaveLength(1);
    expect(m.inw(BASE)).toBe(0xffff);
  });

  it("reports modem-line changes as modem-status interrupts", () => {
    const { m, uart, irq } = setup();
    m.outb(IER, 0x08);
    expect(irq.level).toBe(0);
    uart.setModemLines({ cts: false });
    expect(irq.level).toBe(1);
    expect(m.inb(IIR) & 0x0f).toBe(0x00);
    expect(m.inb(MSR)).toBe(0xa1);
    expect(irq.level).toBe(0);
    uart.setModemLines({ ri: true });
    uart.setModemLines({ ri: false });
    expect(m.inb(MSR) & 0x0f).toBe(0x04);
  });

  it("round-trips state", () => {
    const a = setup();
    a.m.outb(FCR, 0xc1);
    a.m.outb(IER, 0x03);
    a.m.outb(SCR, 0x77);
    a.be.receive("hello");
    const st = a.uart.getState();
    const b = setup();
    b.uart.setState(JSON.parse(JSON.stringify(st)));
    expect(b.uart.getState()).toEqual(st);
    expect(b.m.inb(SCR)).toBe(0x77);
    expect(b.m.inb(RBR)).toBe("h".charCodeAt(0));
    b.uart.reset();
    expect(b.m.inb(IER)).toBe(0);
    expect(b.m.inb(MCR)).toBe(0x08);
  });
});
