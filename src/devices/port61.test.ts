import { describe, expect, it } from "vitest";
import { Logger } from "../common/log.js";
import type { IrqLevel } from "./irq.js";
import type { PitChannelPins } from "./pit-8254.js";
import { Port61 } from "./port61.js";
import { FakeClock } from "./testing/fake-clock.js";

function make() {
  const clock = new FakeClock();
  const gates: IrqLevel[] = [];
  let out: IrqLevel = 0;
  const timer: PitChannelPins = { setGate: (l) => gates.push(l), getOutput: () => out };
  const logs: string[] = [];
  const p = new Port61("p61", { clock, logger: new Logger((_c, m) => logs.push(m)), speakerTimer: timer });
  p.realize();
  return { p, clock, gates, setOut: (l: IrqLevel) => { out = l; }, logs };
}

describe("Port61", () => {
  it("drives the speaker channel's gate from bit 0 and stores bits 0-3", () => {
    const { p, gates } = make();
    expect(gates).toEqual([0]); // reset
    p.write(0, 0xff, 1);
    expect(p.read(0, 1) & 0x0f).toBe(0x0f);
    expect(p.speakerOn).toBe(true);
    p.write(0, 0x02, 1);
    expect(gates).toEqual([0, 1, 0]);
    expect(p.speakerOn).toBe(false);
  });

  it("reads the channel's OUT at bit 5 and a refresh toggle at bit 4 every 15.085 us", () => {
    const { p, clock, setOut } = make();
    expect(p.read(0, 1) & 0x30).toBe(0);
    setOut(1);
    expect(p.read(0, 1) & 0x20).toBe(0x20);
    clock.advanceTo(15_085);
    expect(p.read(0, 1) & 0x10).toBe(0x10);
    clock.advanceTo(30_170);
    expect(p.read(0, 1) & 0x10).toBe(0);
  });

  it("logs bad offsets and round-trips state", () => {
    const { p, logs } = make();
    p.write(1, 0, 1);
    expect(p.read(1, 1)).toBe(0xff);
    expect(logs.length).toBe(2);
    p.write(0, 0x05, 1);
    const b = make();
    b.p.setState(JSON.parse(JSON.stringify(p.getState())));
    expect(b.p.getState()).toEqual(p.getState());
    expect(b.gates.at(-1)).toBe(1);
  });
});
