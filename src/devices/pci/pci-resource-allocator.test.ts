import { describe, expect, it } from "vitest";
import { ConfigError } from "../../common/errors.js";
import { MemoryRegion } from "../../memory/memory-region.js";
import { createTestMachine } from "../testing/test-machine.js";
import { TestPci } from "../testing/test-pci.js";
import { PciDevice } from "./pci-device.js";
import { assignPciResources } from "./pci-resource-allocator.js";

class Dev extends PciDevice {
  readonly typeName = "dev";
  constructor(id: string, memSize: number, ioSize: number, bigSize = 0) {
    super({ vendorId: 0x1234, deviceId: 0x1, classCode: 0xff0000, id });
    this.registerBar(0, { kind: "mem", size: memSize, region: MemoryRegion.io(`${id}-mem`, memSize, { read: () => 0x11, write: () => {} }) });
    this.registerBar(1, { kind: "io", size: ioSize, region: MemoryRegion.io(`${id}-io`, ioSize, { read: () => 0x22, write: () => {} }) });
    if (bigSize) this.registerBar(2, { kind: "mem", size: bigSize, is64: true, prefetchable: true, region: MemoryRegion.container(`${id}-big`, bigSize) });
  }
}

describe("assignPciResources", () => {
  it("assigns aligned, non-overlapping addresses and enables decoding", () => {
    const m = createTestMachine();
    const pci = new TestPci(m);
    const a = pci.plug(new Dev("a", 0x1000, 0x20, 0x100000), 2);
    const b = pci.plug(new Dev("b", 0x4000, 0x40), 3);
    const res = assignPciResources(pci.bus, {
      mem32: { base: 0xe0000000, end: 0xfec00000 },
      mem64: { base: 0x8_0000_0000, end: 0x10_0000_0000 },
      io: { base: 0xc000, end: 0x10000 },
    });
    expect(res).toHaveLength(5);
    expect(a.barAddress(2)).toBe(0x8_0000_0000);
    expect(b.barAddress(0)).toBe(0xe0000000);
    expect(a.barAddress(0)).toBe(0xe0004000);
    expect(b.barAddress(1)).toBe(0xc000);
    expect(a.barAddress(1)).toBe(0xc040);
    for (const r of res) expect(r.address % r.device.barInfo(r.bar)!.size).toBe(0);
    expect(m.readl(0xe0004000)).toBe(0x11);
    expect(m.inb(0xc041)).toBe(0x22);
    expect(pci.cfgRead(2 << 3, 4, 2) & 3).toBe(3);
  });

  it("fails with a ConfigError when a window is too small", () => {
    const m = createTestMachine();
    const pci = new TestPci(m);
    pci.plug(new Dev("a", 0x10000, 0x20), 2);
    expect(() => assignPciResources(pci.bus, { mem32: { base: 0xe0000000, end: 0xe0008000 }, io: { base: 0xc000, end: 0xd000 } })).toThrow(ConfigError);
  });
});
