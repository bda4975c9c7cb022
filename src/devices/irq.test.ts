import { describe, expect, it } from "vitest";
import { IrqRecorder, IrqSelector } from "./irq.js";

describe("IrqSelector", () => {
  it("passes only the selected input and moves the output to the new input's level on a switch", () => {
    const out = new IrqRecorder();
    const sel = new IrqSelector(out, 2);
    const [a, b] = sel.inputs;
    a!.set(1);
    b!.pulse(); // not selected: invisible
    expect(out.history).toEqual([1]);
    sel.select(1); // a is high, b is low: the output falls
    expect(out.history).toEqual([1, 0]);
    a!.set(0);
    a!.set(1);
    b!.pulse();
    expect(out.history).toEqual([1, 0, 1, 0]);
    b!.set(1);
    sel.select(0); // both high: no transition
    expect(out.history).toEqual([1, 0, 1, 0, 1]);
    expect(sel.selected).toBe(0);
  });
});
