import { describe, expect, it } from "vitest";
import { MemoryRegion } from "../../memory/memory-region.js";
import { MsiCapability } from "../pci/msi-capability.js";
import { PciDevice } from "../pci/pci-device.js";
import { createTestMachine } from "./test-machine.js";
import { TestPci } from "./test-pci.js";

class Nic extends PciDevice {
  readonly typeName = "nic";
  readonly msi: MsiCapability;
  constructor() {
    super({ vendorId: 0x1af4, deviceId: 0x1000, classCode: 0x020000, interruptPin: 1, id: "nic" });
    this.registerBar(4, { kind: "mem", size: 0x4000, is64: true, region: MemoryRegion.io("nic-regs", 0x4000, { read: (o) => o, write: () => {} }) });
    this.msi = new MsiCapability(this, { is64: true });
  }
}

describe("TestPci", () => {
  it("plugs devices, programs BARs and captures INTx and MSI", () => {
    const m = createTestMachine();
    const pci = new TestPci(m);
    const nic = pci.plug(new Nic(), 3);
    const df = 3 << 3;
    expect(pci.cfgRead(df, 0, 4)).toBe(0x10001af4);
    expect(m.readl(0xb0000000 + (df << 12))).toBe(0x10001af4);
    pci.programBar(df, 4, 0x1_0000_0000, true);
    pci.cfgWrite(df, 4, 0x0006, 2);
    expect(m.readl(0x1_0000_0040)).toBe(0x40);
    nic.setIntx(1);
    expect(pci.line(3).level).toBe(1);
    const o = nic.msi.offset;
    pci.cfgWrite(df, o + 4, 0xfee00000, 4);
    pci.cfgWrite(df, o + 12, 0x31, 2);
    pci.cfgWrite(df, o + 2, 1, 2);
    nic.msi.notify();
    expect(pci.msis).toEqual([{ addressLo: 0xfee00000, addressHi: 0, data: 0x31 }]);
  });
});
