import { describe, expect, it } from "vitest";
import { ConfigError } from "../../common/errors.js";
import { MemoryRegion } from "../../memory/memory-region.js";
import type { AccessSize } from "../../memory/types.js";
import { ResetControl } from "../reset-control.js";
import { createTestMachine, type TestMachine } from "../testing/test-machine.js";
import { TestPci, type CapturedMsi } from "../testing/test-pci.js";
import { I440fxHost } from "./i440fx-host.js";
import { MsiCapability } from "./msi-capability.js";
import { MsixCapability } from "./msix-capability.js";
import { PciBus } from "./pci-bus.js";
import { PciDevice, type PciDeviceOptions } from "./pci-device.js";
import { PciHost } from "./pci-host.js";
import { Piix3Isa } from "./piix3-isa.js";

class TestDev extends PciDevice {
  readonly typeName = "test-pci";
  readonly mmio = MemoryRegion.io("test-mmio", 0x1000, {
    read: (o: number, _s: AccessSize) => 0xab000000 + o,
    write: () => {},
  });
  readonly pio = MemoryRegion.io("test-pio", 0x20, { read: (o: number) => 0x40 + o, write: () => {}, impl: { min: 1, max: 1 } });
  readonly big = MemoryRegion.container("test-big", 0x4000);
  constructor(opts: Partial<PciDeviceOptions> = {}) {
    super({ vendorId: 0x1234, deviceId: 0x5678, classCode: 0x020000, interruptPin: 1, id: "testdev", ...opts });
    this.registerBar(0, { kind: "mem", size: 0x1000, region: this.mmio });
    this.registerBar(1, { kind: "io", size: 0x20, region: this.pio });
    this.registerBar(2, { kind: "mem", size: 2 ** 33, region: this.big, is64: true, prefetchable: true });
  }
}

const CF8 = 0xcf8;
const CFC = 0xcfc;
const ECAM = 0xb0000000;
const cfgAddr = (devfn: number, reg: number): number => (0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0;

interface Rig { m: TestMachine; bus: PciBus; host: PciHost; msis: CapturedMsi[]; lines: Map<number, ReturnType<TestMachine["irq"]>> }

function rig(): Rig {
  const m = createTestMachine();
  const pci = new TestPci(m, { configPort: CF8, ecamBase: ECAM });
  pci.plug(new I440fxHost({ logger: m.logger }), 0);
  pci.plug(new Piix3Isa(), 1);
  return { m, bus: pci.bus, host: pci.host, lines: pci.lines, msis: pci.msis };
}

/** Captured MSIs as [addressLo, addressHi, data] tuples. */
const tuples = (msis: CapturedMsi[]): number[][] => msis.map((x) => [x.addressLo, x.addressHi, x.data]);

function cfgRead(m: TestMachine, devfn: number, reg: number, size: 1 | 2 | 4): number {
  m.outl(CF8, cfgAddr(devfn, reg));
  return size === 1 ? m.inb(CFC + (reg & 3)) : size === 2 ? m.inw(CFC + (reg & 2)) : m.inl(CFC);
}

function cfgWrite(m: TestMachine, devfn: number, reg: number, v: number, size: 1 | 2 | 4): void {
  m.outl(CF8, cfgAddr(devfn, reg));
  if (size === 1) m.outb(CFC + (reg & 3), v);
  else if (size === 2) m.outw(CFC + (reg & 2), v);
  else m.outl(CFC, v);
}

describe("PCI host and configuration mechanisms", () => {
  it("enumerates the i440FX and PIIX3 through 0xCF8/0xCFC", () => {
    const { m } = rig();
    m.outb(0xcfb, 0x01); // Linux's type-1 check pokes 0xCFB first: ignored
    m.outl(CF8, 0x80000000);
    expect(m.inl(CF8)).toBe(0x80000000);
    expect(cfgRead(m, 0, 0, 4)).toBe(0x12378086);
    expect(cfgRead(m, 0, 0x0a, 2)).toBe(0x0600);
    expect(cfgRead(m, 8, 0, 4)).toBe(0x70008086);
    expect(cfgRead(m, 8, 0x0e, 1)).toBe(0x80);
    expect(cfgRead(m, 8, 0x0b, 1)).toBe(0x06);
    expect(cfgRead(m, 16, 0, 4)).toBe(0xffffffff);
    expect(cfgRead(m, 16, 0, 2)).toBe(0xffff);
    m.outl(CF8, 0x00000000); // enable bit clear
    expect(m.inl(CFC)).toBe(0xffffffff);
    m.outl(CF8, 0x80010000); // bus 1 does not exist
    expect(m.inl(CFC)).toBe(0xffffffff);
  });

  it("reaches configuration space through ECAM", () => {
    const { m, bus } = rig();
    expect(m.readl(ECAM)).toBe(0x12378086);
    expect(m.readw(ECAM + (8 << 12) + 2)).toBe(0x7000);
    expect(m.readl(ECAM + (3 << 15))).toBe(0xffffffff);
    m.writew(ECAM + 4, 0x0006);
    expect(bus.device(0)!.command).toBe(0x0006);
    expect(m.readl(ECAM + 0x100)).toBe(0xffffffff); // beyond a conventional 256-byte space
  });

  it("keeps IDs read-only and status error bits write-1-to-clear", () => {
    const { m, bus } = rig();
    cfgWrite(m, 0, 0, 0xdeadbeef, 4);
    expect(cfgRead(m, 0, 0, 4)).toBe(0x12378086);
    const nb = bus.device(0)!;
    nb.config.set16(6, nb.config.get16(6) | 0x8000 | 0x2000);
    cfgWrite(m, 0, 6, 0x0000, 2);
    expect(cfgRead(m, 0, 6, 2) & 0xa000).toBe(0xa000);
    cfgWrite(m, 0, 6, 0x8000, 2);
    expect(cfgRead(m, 0, 6, 2) & 0xa000).toBe(0x2000);
    cfgWrite(m, 0, 0x3c, 0x0b, 1);
    expect(cfgRead(m, 0, 0x3c, 1)).toBe(0x0b);
  });

  it("routes PIIX3 PIRQ registers", () => {
    const { m, bus } = rig();
    const sb = bus.device(8) as Piix3Isa;
    expect(sb.pirqRoute(0)).toBe(-1);
    cfgWrite(m, 8, 0x60, 0x0b0a0b0a, 4);
    expect([sb.pirqRoute(0), sb.pirqRoute(1)]).toEqual([10, 11]);
  });

  it("rejects bad options and occupied slots", () => {
    const { bus } = rig();
    expect(() => bus.attach(new TestDev(), 0)).toThrow(ConfigError);
    expect(() => bus.attach(new TestDev(), 300)).toThrow(ConfigError);
    expect(() => new TestDev({ vendorId: 0x10000 })).toThrow(ConfigError);
    expect(() => new TestDev({ interruptPin: 5 })).toThrow(ConfigError);
    const d = new TestDev();
    expect(() => d.registerBar(3, { kind: "mem", size: 0x1800, region: MemoryRegion.container("x", 0x1000) })).toThrow(ConfigError);
    expect(() => d.registerBar(3, { kind: "mem", size: 0x1000, region: MemoryRegion.container("x", 0x1000) })).toThrow(ConfigError); // BAR 3 is the high half of BAR 2
    expect(() => new PciHost({ bus, ecamBuses: 0 })).toThrow(ConfigError);
    expect(() => new MsiCapability(new TestDev(), { vectors: 3 })).toThrow(ConfigError);
    expect(() => new MsixCapability(new TestDev(), { vectors: 0, barIndex: 2, barRegion: MemoryRegion.container("b", 0x1000) })).toThrow(ConfigError);
    expect(() => new MsixCapability(new TestDev(), { vectors: 512, barIndex: 2, barRegion: MemoryRegion.container("b", 0x1000) })).toThrow(ConfigError);
    expect(() => new PciBus({ memory: MemoryRegion.ram("r", new Uint8Array(16)), io: MemoryRegion.container("io", 0x10000) })).toThrow(ConfigError);
  });

  it("decodes byte accesses at 0xCF9 as the reset control register, dwords at 0xCF8 as the address", () => {
    const m = createTestMachine();
    const rcr = new ResetControl({ system: m.system });
    rcr.realize();
    const pci = new TestPci(m, { resetControl: rcr });
    pci.plug(new I440fxHost(), 0);
    m.outb(0xcf9, 0x02);
    expect(m.inb(0xcf9)).toBe(0x02);
    expect(pci.cfgRead(0, 0, 4)).toBe(0x12378086);
    expect(m.inl(0xcf8)).toBe(0x80000000);
    m.outb(0xcf9, 0x06);
    expect(m.system.last).toEqual({ kind: "reset", reason: "port 0xcf9 hard reset" });
    expect(() => new PciHost({ bus: pci.bus, resetControl: {} as never })).toThrow(ConfigError);
  });

  it("round-trips the host's configuration address and lists devices", () => {
    const { m, host, bus } = rig();
    m.outl(CF8, 0x80000804);
    const st = host.getState();
    const h2 = new PciHost({ bus });
    h2.setState(JSON.parse(JSON.stringify(st)));
    expect(h2.getState()).toEqual({ configAddress: 0x80000804 });
    host.reset();
    expect(m.inl(CF8)).toBe(0);
    expect(bus.dump()).toBe('00:00.0 0600: 8086:1237 "i440fx"\n00:01.0 0601: 8086:7000 "piix3"');
  });
});

describe("PciDevice BARs", () => {
  it("sizes BARs and maps them while decoding is enabled", () => {
    const { m, bus } = rig();
    const d = new TestDev();
    bus.attach(d, 3 << 3);
    d.realize();
    const df = 3 << 3;
    for (const reg of [0x10, 0x14, 0x18, 0x1c]) cfgWrite(m, df, reg, 0xffffffff, 4);
    expect(cfgRead(m, df, 0x10, 4)).toBe(0xfffff000);
    expect(cfgRead(m, df, 0x14, 4)).toBe(0xffffffe1);
    expect(cfgRead(m, df, 0x18, 4)).toBe(0x0000000c);
    expect(cfgRead(m, df, 0x1c, 4)).toBe(0xfffffffe);
    expect(cfgRead(m, df, 0x20, 4)).toBe(0);
    cfgWrite(m, df, 0x10, 0xfebf0000, 4);
    cfgWrite(m, df, 0x14, 0xc040, 4);
    cfgWrite(m, df, 0x18, 0, 4);
    cfgWrite(m, df, 0x1c, 0x4, 4);
    expect(d.barAddress(0)).toBe(-1);
    expect(m.readl(0xfebf0010)).toBe(0xffffffff);
    cfgWrite(m, df, 4, 0x0003, 2);
    expect(d.barAddress(0)).toBe(0xfebf0000);
    expect(d.barAddress(1)).toBe(0xc040);
    expect(d.barAddress(2)).toBe(0x4 * 2 ** 32);
    expect(m.readl(0xfebf0010)).toBe(0xab000010);
    expect(m.inb(0xc045)).toBe(0x45);
    cfgWrite(m, df, 0x10, 0xfebe0000, 4);
    expect(m.readl(0xfebe0004)).toBe(0xab000004);
    expect(m.readl(0xfebf0004)).toBe(0xffffffff);
    // Sizing with decoding left on must not map BARs at the all-ones addresses.
    cfgWrite(m, df, 0x14, 0xffffffff, 4);
    cfgWrite(m, df, 0x10, 0xffffffff, 4);
    expect(d.barAddress(1)).toBe(-1);
    expect(d.barAddress(0)).toBe(-1);
    cfgWrite(m, df, 0x14, 0xc040, 4);
    cfgWrite(m, df, 0x10, 0xfebe0000, 4);
    cfgWrite(m, df, 4, 0x0000, 2);
    expect(d.barAddress(0)).toBe(-1);
    expect(m.inb(0xc045)).toBe(0xff);
    // State round trip restores the mapping.
    cfgWrite(m, df, 4, 0x0002, 2);
    const st = d.getState();
    const m2 = rig();
    const d2 = new TestDev();
    m2.bus.attach(d2, df);
    d2.realize();
    d2.setState(JSON.parse(JSON.stringify(st)));
    expect(d2.getState()).toEqual(st);
    expect(m2.m.readl(0xfebe0008)).toBe(0xab000008);
    d2.reset();
    expect(d2.barAddress(0)).toBe(-1);
    expect(cfgRead(m2.m, df, 0x18, 4)).toBe(0x0c);
  });

  it("shares INTx lines between devices and honours INTX_DISABLE", () => {
    const { m, bus, lines } = rig();
    const a = new TestDev({ id: "a" });
    const b = new TestDev({ id: "b", interruptPin: 4 });
    bus.attach(a, 4 << 3); // slot 4, INTA -> line 0
    bus.attach(b, 5 << 3); // slot 5, INTD -> line 0
    a.realize();
    b.realize();
    a.setIntx(1);
    const line = lines.get(0)!;
    expect(line.level).toBe(1);
    b.setIntx(1);
    a.setIntx(0);
    expect(line.level).toBe(1);
    b.setIntx(0);
    expect(line.level).toBe(0);
    a.setIntx(1);
    expect(cfgRead(m, 4 << 3, 6, 2) & 0x08).toBe(0x08);
    cfgWrite(m, 4 << 3, 4, 0x0400, 2);
    expect(line.level).toBe(0);
    expect(cfgRead(m, 4 << 3, 6, 2) & 0x08).toBe(0x08);
    cfgWrite(m, 4 << 3, 4, 0x0000, 2);
    expect(line.level).toBe(1);
    expect(cfgRead(m, 4 << 3, 0x3d, 1)).toBe(1);
  });
});

describe("MSI and MSI-X", () => {
  it("delivers MSI with multiple vectors and per-vector masking", () => {
    const { m, bus, msis } = rig();
    const d = new TestDev();
    const msi = new MsiCapability(d, { vectors: 4, is64: true, perVectorMask: true });
    bus.attach(d, 6 << 3);
    d.realize();
    const df = 6 << 3;
    expect(cfgRead(m, df, 0x34, 1)).toBe(msi.offset);
    expect(cfgRead(m, df, 6, 2) & 0x10).toBe(0x10);
    const o = msi.offset;
    expect(cfgRead(m, df, o, 1)).toBe(0x05);
    expect(cfgRead(m, df, o + 2, 2)).toBe(0x0184);
    cfgWrite(m, df, o + 4, 0xfee00000, 4);
    cfgWrite(m, df, o + 8, 0, 4);
    cfgWrite(m, df, o + 12, 0x4030, 2);
    msi.notify(0);
    expect(tuples(msis)).toEqual([]); // MSI disabled
    cfgWrite(m, df, o + 2, 0x0011, 2); // enable, MME = 1 (2 vectors)
    msi.notify(1);
    expect(tuples(msis)).toEqual([]); // bus mastering off: dropped
    cfgWrite(m, df, 4, 0x0004, 2);
    msi.notify(1);
    msi.notify(3); // beyond enabled vectors
    expect(tuples(msis)).toEqual([[0xfee00000, 0, 0x4031]]);
    cfgWrite(m, df, o + 16, 0x1, 4); // mask vector 0
    msi.notify(0);
    expect(msis).toHaveLength(1);
    expect(cfgRead(m, df, o + 20, 4)).toBe(1);
    cfgWrite(m, df, o + 16, 0x0, 4);
    expect(tuples(msis)[1]).toEqual([0xfee00000, 0, 0x4030]);
    expect(cfgRead(m, df, o + 20, 4)).toBe(0);
  });

  it("delivers MSI-X from a table in a BAR, with masking and the PBA", () => {
    const { m, bus, msis } = rig();
    const d = new TestDev();
    const msix = new MsixCapability(d, { vectors: 3, barIndex: 2, barRegion: d.big, tableOffset: 0x2000, pbaOffset: 0x3000 });
    bus.attach(d, 7 << 3);
    d.realize();
    const df = 7 << 3;
    const o = msix.offset;
    expect(cfgRead(m, df, o, 1)).toBe(0x11);
    expect(cfgRead(m, df, o + 2, 2)).toBe(2);
    expect(cfgRead(m, df, o + 4, 4)).toBe(0x2002);
    expect(cfgRead(m, df, o + 8, 4)).toBe(0x3002);
    cfgWrite(m, df, 0x18, 0, 4);
    cfgWrite(m, df, 0x1c, 2, 4);
    cfgWrite(m, df, 4, 0x0006, 2);
    const base = 2 * 2 ** 32;
    const t = base + 0x2000 + 16 * 1;
    expect(m.readl(t + 12)).toBe(1);
    m.writel(t, 0xfee01000);
    m.writel(t + 4, 0);
    m.writel(t + 8, 0x41);
    cfgWrite(m, df, o + 2, 0x8000, 2);
    msix.notify(1);
    expect(tuples(msis)).toEqual([]);
    expect(m.readl(base + 0x3000)).toBe(2);
    m.writel(t + 12, 0);
    expect(tuples(msis)).toEqual([[0xfee01000, 0, 0x41]]);
    expect(m.readl(base + 0x3000)).toBe(0);
    cfgWrite(m, df, o + 2, 0xc000, 2); // function mask
    msix.notify(1);
    expect(msis).toHaveLength(1);
    cfgWrite(m, df, o + 2, 0x8000, 2);
    expect(msis).toHaveLength(2);
    m.writel(base + 0x3000, 0xffffffff);
    expect(m.logsOf("guest_error").some((l) => l.includes("PBA"))).toBe(true);
    const st = msix.getState();
    msix.reset();
    expect(m.readl(t + 8)).toBe(0);
    msix.setState(st);
    expect(m.readl(t + 8)).toBe(0x41);
  });

  it("clears MSI and MSI-X state on device reset", () => {
    const { m, bus } = rig();
    const d = new TestDev();
    const msi = new MsiCapability(d, { is64: false });
    const msix = new MsixCapability(d, { vectors: 1, barIndex: 2, barRegion: d.big });
    bus.attach(d, 9 << 3);
    d.realize();
    const df = 9 << 3;
    cfgWrite(m, df, msi.offset + 2, 1, 2);
    cfgWrite(m, df, msix.offset + 2, 0x8000, 2);
    expect(msi.enabled && msix.enabled).toBe(true);
    msix.setState({ table: [1, 2, 3, 0], pba: [0, 0] });
    d.reset();
    expect(msi.enabled || msix.enabled).toBe(false);
    expect(msix.getState().table).toEqual([0, 0, 0, 1]);
    expect(cfgRead(m, df, msi.offset, 1)).toBe(0x05);
  });
});

describe("PCI DMA", () => {
  it("reads and writes guest memory only while bus mastering is enabled", () => {
    const { m, bus } = rig();
    const ram = m.mapRam(0, 0x1000);
    const d = new TestDev();
    bus.attach(d, 10 << 3);
    d.realize();
    const buf = new Uint8Array(4);
    expect(d.dmaWrite(0x100, Uint8Array.of(1, 2, 3, 4))).toBe(false);
    expect(ram[0x100]).toBe(0);
    expect(d.dmaRead(0x100, buf)).toBe(false);
    expect([...buf]).toEqual([0xff, 0xff, 0xff, 0xff]);
    cfgWrite(m, 10 << 3, 4, 0x0004, 2);
    expect(d.dmaWrite(0x100, Uint8Array.of(1, 2, 3, 4))).toBe(true);
    expect(d.dmaRead(0x101, buf)).toBe(true);
    expect([...buf.subarray(0, 3)]).toEqual([2, 3, 4]);
  });
});
