import { describe, expect, it } from "vitest";
import { ConfigError } from "../common/errors.js";
import { Logger } from "../common/log.js";
import { IrqRecorder } from "./irq.js";
import { Pic8259 } from "./pic-8259.js";

function make(): { pic: Pic8259; out: IrqRecorder; logs: string[] } {
  const logs: string[] = [];
  const out = new IrqRecorder();
  const pic = new Pic8259("pic", { logger: new Logger((_c, m) => logs.push(m)), output: out });
  pic.realize();
  return { pic, out, logs };
}

/** Linux init_8259A: ICW1 0x11, ICW2 base, ICW3 cascade, ICW4 0x01 (or 0x03 auto-EOI). */
function linuxInit(pic: Pic8259, autoEoi = false): void {
  pic.master.write(1, 0xff, 1);
  pic.slave.write(1, 0xff, 1);
  pic.master.write(0, 0x11, 1);
  pic.master.write(1, 0x30, 1);
  pic.master.write(1, 0x04, 1);
  pic.master.write(1, autoEoi ? 0x03 : 0x01, 1);
  pic.slave.write(0, 0x11, 1);
  pic.slave.write(1, 0x38, 1);
  pic.slave.write(1, 0x02, 1);
  pic.slave.write(1, 0x01, 1);
  pic.master.write(1, 0x00, 1);
  pic.slave.write(1, 0x00, 1);
}

describe("Pic8259", () => {
  it("passes Linux's probe: the mask register reads back what was written", () => {
    const { pic } = make();
    pic.master.write(1, 0xff, 1);
    expect(pic.master.read(1, 1)).toBe(0xff);
    pic.master.write(1, 0xa5, 1);
    expect(pic.master.read(1, 1)).toBe(0xa5);
  });

  it("delivers an edge IRQ with the ICW2 vector base, sets ISR, and clears on specific EOI", () => {
    const { pic, out } = make();
    linuxInit(pic);
    expect(out.level).toBe(0);
    pic.irq[0]!.set(1);
    expect(out.level).toBe(1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.ackInterrupt()).toBe(0x30);
    expect(out.level).toBe(0);
    pic.master.write(0, 0x0b, 1); // OCW3: read ISR
    expect(pic.master.read(0, 1)).toBe(0x01);
    pic.master.write(0, 0x60, 1); // specific EOI IR0
    expect(pic.master.read(0, 1)).toBe(0x00);
    // Still high: no new edge, no new request.
    expect(pic.hasInterrupt()).toBe(false);
    pic.irq[0]!.set(0);
    pic.irq[0]!.set(1);
    expect(pic.ackInterrupt()).toBe(0x30);
  });

  it("cascades slave IRQs through IR2 and needs EOI on both chips", () => {
    const { pic, out } = make();
    linuxInit(pic);
    pic.irq[12]!.pulse();
    expect(out.level).toBe(1);
    expect(pic.ackInterrupt()).toBe(0x38 + 4);
    pic.slave.write(0, 0x0b, 1);
    expect(pic.slave.read(0, 1)).toBe(0x10);
    pic.master.write(0, 0x0b, 1);
    expect(pic.master.read(0, 1)).toBe(0x04);
    // A lower-priority master IRQ (IR3) is blocked while IR2 is in service.
    pic.irq[3]!.pulse();
    expect(pic.hasInterrupt()).toBe(false);
    pic.slave.write(0, 0x64, 1);
    pic.master.write(0, 0x62, 1);
    expect(pic.ackInterrupt()).toBe(0x33);
  });

  it("reads IRR by default and with OCW3 0x0a; masked requests stay in IRR", () => {
    const { pic, out } = make();
    linuxInit(pic);
    pic.master.write(1, 0x02, 1);
    pic.irq[1]!.pulse();
    expect(out.level).toBe(0);
    pic.master.write(0, 0x0a, 1);
    expect(pic.master.read(0, 1)).toBe(0x02);
    pic.master.write(1, 0x00, 1);
    expect(out.level).toBe(1);
    expect(pic.ackInterrupt()).toBe(0x31);
  });

  it("honours fixed priority: a higher priority request preempts, a lower one waits", () => {
    const { pic } = make();
    linuxInit(pic);
    pic.irq[4]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x34);
    pic.irq[5]!.pulse();
    expect(pic.hasInterrupt()).toBe(false);
    pic.irq[1]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x31);
    pic.master.write(0, 0x20, 1); // non-specific EOI clears IR1 (highest in service)
    pic.master.write(0, 0x0b, 1);
    expect(pic.master.read(0, 1)).toBe(0x10);
    pic.master.write(0, 0x20, 1);
    expect(pic.ackInterrupt()).toBe(0x35);
  });

  it("reports spurious IRQ7 and IRQ15 without setting ISR", () => {
    const { pic } = make();
    linuxInit(pic);
    expect(pic.ackInterrupt()).toBe(0x37);
    pic.master.write(0, 0x0b, 1);
    expect(pic.master.read(0, 1)).toBe(0);
    // Slave request withdrawn (level) between INT and INTA: slave answers IR7.
    pic.elcr.write(1, 0x08, 1); // slave IR3 (IRQ11) level
    pic.irq[11]!.set(1);
    pic.irq[11]!.set(0);
    // The master's edge-latched IR2 request remains.
    expect(pic.ackInterrupt()).toBe(0x3f);
    pic.slave.write(0, 0x0b, 1);
    expect(pic.slave.read(0, 1)).toBe(0);
  });

  it("level-triggered inputs via ELCR stay requested until deasserted", () => {
    const { pic, out } = make();
    linuxInit(pic);
    pic.elcr.write(1, 0xff, 1);
    expect(pic.elcr.read(1, 1)).toBe(0xde); // mask: IRQ8 and IRQ13 are edge-only
    pic.elcr.write(0, 0x08, 1);
    pic.irq[3]!.set(1);
    expect(pic.ackInterrupt()).toBe(0x33);
    pic.master.write(0, 0x63, 1);
    expect(out.level).toBe(1); // still asserted: requested again
    expect(pic.ackInterrupt()).toBe(0x33);
    pic.irq[3]!.set(0);
    pic.master.write(0, 0x63, 1);
    expect(out.level).toBe(0);
  });

  it("auto-EOI leaves ISR clear", () => {
    const { pic } = make();
    linuxInit(pic, true);
    pic.irq[0]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x30);
    pic.master.write(0, 0x0b, 1);
    expect(pic.master.read(0, 1)).toBe(0);
    pic.irq[0]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x30);
  });

  it("rotates priority on non-specific EOI with rotate (OCW2 0xa0) and set-priority", () => {
    const { pic } = make();
    linuxInit(pic);
    pic.irq[0]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x30);
    pic.master.write(0, 0xa0, 1); // rotate on NS EOI: IR0 becomes lowest
    pic.irq[0]!.pulse();
    pic.irq[5]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x35);
    pic.master.write(0, 0x20, 1);
    expect(pic.ackInterrupt()).toBe(0x30);
    pic.master.write(0, 0x20, 1);
    pic.master.write(0, 0xc4, 1); // set priority: IR4 lowest, IR5 highest
    pic.irq[4]!.pulse();
    pic.irq[6]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x36);
  });

  it("special mask mode lets lower priorities through while a masked level is in service", () => {
    const { pic } = make();
    linuxInit(pic);
    pic.irq[1]!.pulse();
    expect(pic.ackInterrupt()).toBe(0x31);
    pic.irq[6]!.pulse();
    expect(pic.hasInterrupt()).toBe(false);
    pic.master.write(1, 0x02, 1);
    pic.master.write(0, 0x68, 1); // OCW3: set special mask mode
    expect(pic.ackInterrupt()).toBe(0x36);
    pic.master.write(0, 0x48, 1); // reset special mask mode
  });

  it("poll command acknowledges and returns 0x80 | level", () => {
    const { pic } = make();
    linuxInit(pic);
    pic.irq[5]!.pulse();
    pic.master.write(0, 0x0c, 1);
    expect(pic.master.read(0, 1)).toBe(0x85);
    pic.master.write(0, 0x0b, 1);
    expect(pic.master.read(0, 1)).toBe(0x20);
    pic.master.write(0, 0x0c, 1);
    expect(pic.master.read(0, 1)).toBe(0x00);
  });

  it("ICW1 clears masks and ISR, keeps ELCR", () => {
    const { pic } = make();
    linuxInit(pic);
    pic.elcr.write(0, 0x20, 1);
    pic.irq[1]!.pulse();
    pic.ackInterrupt();
    pic.master.write(0, 0x11, 1);
    expect(pic.master.read(1, 1)).toBe(0);
    expect(pic.elcr.read(0, 1)).toBe(0x20);
    pic.master.write(0, 0x0b, 1);
    expect(pic.master.read(0, 1)).toBe(0);
  });

  it("rejects a bad ELCR mask option and logs bad offsets instead of throwing", () => {
    expect(() => new Pic8259("p", { logger: new Logger(), output: new IrqRecorder(), elcrMaskMaster: 0x100 })).toThrow(ConfigError);
    const { pic, logs } = make();
    expect(pic.master.read(5, 1)).toBe(0xff);
    pic.elcr.write(3, 1, 1);
    expect(logs.length).toBe(2);
  });

  it("round-trips state", () => {
    const { pic } = make();
    linuxInit(pic);
    pic.irq[12]!.pulse();
    pic.irq[4]!.pulse();
    const st = JSON.parse(JSON.stringify(pic.getState()));
    const b = make();
    b.pic.setState(st);
    expect(b.pic.getState()).toEqual(pic.getState());
    expect(b.out.level).toBe(1);
    expect(b.pic.ackInterrupt()).toBe(0x3c); // IRQ12 via the cascade outranks IR4
  });
});
