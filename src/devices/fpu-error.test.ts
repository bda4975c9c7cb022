import { describe, expect, it } from "vitest";
import { FpuErrorLatch } from "./fpu-error.js";
import { IrqRecorder } from "./irq.js";

describe("FERR# latch (port 0xF0, IRQ 13)", () => {
  it("asserts the IRQ on FERR#, keeps it until a port write, and resets low", () => {
    const irq = new IrqRecorder();
    const d = new FpuErrorLatch("ferr", irq);
    d.realize();
    expect(irq.level).toBe(0);
    d.assert();
    d.assert(); // a second waiting instruction: still high, no new edge
    expect(irq.level).toBe(1);
    expect(d.getState()).toEqual({ asserted: true });
    expect(d.read(0, 1)).toBe(0xffffffff);
    expect(irq.level).toBe(1); // reads do not clear
    d.write(0, 0, 1);
    expect(irq.level).toBe(0);
    expect(d.asserted).toBe(false);
    d.setState({ asserted: true });
    expect(irq.level).toBe(1);
    d.reset();
    expect(irq.level).toBe(0);
  });
});
