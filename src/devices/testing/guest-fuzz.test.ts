/**
 * "Never throw on guest-written values": random port, MMIO and configuration-space traffic
 * (seeded, so failures reproduce) against every device in this folder's scope.
 */

import { describe, expect, it } from "vitest";
import { MemoryRegion } from "../../memory/memory-region.js";
import { MemoryCharBackend } from "../char-backend.js";
import { DebugExit } from "../debug-exit.js";
import { I8042 } from "../i8042.js";
import { MsiCapability } from "../pci/msi-capability.js";
import { MsixCapability } from "../pci/msix-capability.js";
import { PciDevice } from "../pci/pci-device.js";
import { I440fxHost } from "../pci/i440fx-host.js";
import { Piix3Isa } from "../pci/piix3-isa.js";
import { ResetControl } from "../reset-control.js";
import { Serial16550 } from "../serial-16550.js";
import { createTestMachine } from "./test-machine.js";
import { TestPci } from "./test-pci.js";

/** xorshift32: deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

class FuzzDev extends PciDevice {
  readonly typeName = "fuzz";
  readonly bar = MemoryRegion.container("fuzz-bar", 0x2000);
  readonly msi: MsiCapability;
  readonly msix: MsixCapability;
  constructor() {
    super({ vendorId: 0x1b36, deviceId: 0x0005, classCode: 0xff0000, interruptPin: 2, id: "fuzz" });
    this.registerBar(0, { kind: "mem", size: 0x2000, region: this.bar, is64: true });
    this.registerBar(2, { kind: "io", size: 0x10, region: MemoryRegion.io("fuzz-io", 0x10, { read: () => 0, write: () => {} }) });
    this.msi = new MsiCapability(this, { vectors: 8, perVectorMask: true, is64: false });
    this.msix = new MsixCapability(this, { vectors: 4, barIndex: 0, barRegion: this.bar, tableOffset: 0x1000, pbaOffset: 0x1800 });
  }
}

describe("devices under random guest traffic", () => {
  it("never throw", () => {
    const m = createTestMachine();
    m.logger.maxRepeats = 1;
    const be = new MemoryCharBackend();
    const serial = new Serial16550({ irq: m.irq(), backend: be, clock: m.clock, logger: m.logger });
    const kbc = new I8042({ kbdIrq: m.irq(), mouseIrq: m.irq(), system: m.system, logger: m.logger });
    const exit = new DebugExit({ system: m.system });
    const rcr = new ResetControl({ system: m.system });
    for (const d of [serial, kbc, exit, rcr]) d.realize();
    m.mapIo(0x3f8, 8, serial);
    m.mapIo(0x60, 1, kbc.dataOps);
    m.mapIo(0x64, 1, kbc.commandOps);
    m.mapIo(0xf4, 2, exit);
    m.mapRam(0, 0x10000);
    const pci = new TestPci(m, { resetControl: rcr });
    pci.plug(new I440fxHost({ logger: m.logger }), 0);
    pci.plug(new Piix3Isa(), 1);
    const dev = pci.plug(new FuzzDev(), 4);
    const r = rng(12345);
    const sizes: (1 | 2 | 4)[] = [1, 2, 4];
    const ports = [0x3f8, 0x60, 0x64, 0xf4, 0xcf8, 0xcfc, 0xcf9];
    expect(() => {
      for (let i = 0; i < 20000; i++) {
        const size = sizes[Math.floor(r() * 3)]!;
        const v = Math.floor(r() * 2 ** 32);
        const pick = r();
        if (pick < 0.4) {
          const port = ports[Math.floor(r() * ports.length)]! + Math.floor(r() * 8);
          if (r() < 0.5) m.io.write(port, v, size);
          else m.io.read(port, size);
        } else if (pick < 0.8) {
          const devfn = [0, 8, 32, 40][Math.floor(r() * 4)]!;
          const reg = Math.floor(r() * 256);
          if (r() < 0.7) pci.cfgWrite(devfn, reg, v, size);
          else pci.cfgRead(devfn, reg, size);
        } else if (pick < 0.9) {
          const addr = dev.barAddress(0) >= 0 ? dev.barAddress(0) + Math.floor(r() * 0x2000) : Math.floor(r() * 2 ** 33);
          if (r() < 0.5) m.mem.write(addr, v, size);
          else m.mem.read64(addr);
        } else {
          dev.msi.notify(Math.floor(r() * 8));
          dev.msix.notify(Math.floor(r() * 4));
          dev.setIntx(r() < 0.5 ? 0 : 1);
          be.receive(Uint8Array.of(v & 0xff));
          kbc.injectKeyboard([v & 0xff]);
          m.advance(Math.floor(r() * 1e6));
        }
      }
    }).not.toThrow();
    // Snapshots still round-trip after the storm.
    for (const d of [serial, kbc, exit, rcr]) {
      const s = JSON.parse(JSON.stringify(d.getState()));
      d.setState(s);
      expect(d.getState()).toEqual(s);
    }
  });
});
