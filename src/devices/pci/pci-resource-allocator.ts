/**
 * Firmware-style PCI resource assignment (what SeaBIOS's pciinit does before an OS boots):
 * give every BAR of every function an address inside the board's windows, largest first so
 * natural alignment wastes little, program it through ordinary configuration writes, then
 * enable I/O and memory decoding. Used by boards that boot a kernel directly, without
 * firmware; guests may reprogram everything later. The windows are the board's choice.
 */

import { ConfigError } from "../../common/errors.js";
import type { PciBus } from "./pci-bus.js";
import type { PciDevice } from "./pci-device.js";
import { PciCommand, PciReg } from "./pci-regs.js";

export interface PciWindow {
  /** First address of the window. */
  base: number;
  /** One past the last address. */
  end: number;
}

export interface PciResourceWindows {
  /** 32-bit memory window (below 4 GiB). */
  mem32: PciWindow;
  /** 64-bit memory window; 64-bit BARs fall back to mem32 when absent or full. */
  mem64?: PciWindow;
  io: PciWindow;
}

export interface PciAssignment {
  device: PciDevice;
  bar: number;
  address: number;
}

interface Request {
  device: PciDevice;
  bar: number;
  size: number;
  kind: "mem" | "io";
  is64: boolean;
}

/**
 * Assign and enable all BARs on `bus`. Returns what was assigned; a BAR that fits no window
 * is a ConfigError (the board's windows are too small for its devices).
 */
export function assignPciResources(bus: PciBus, windows: PciResourceWindows): PciAssignment[] {
  const reqs: Request[] = [];
  for (const device of bus.devices) {
    for (let bar = 0; bar < 6; bar++) {
      const info = device.barInfo(bar);
      if (info) reqs.push({ device, bar, size: info.size, kind: info.kind, is64: info.kind === "mem" && info.is64 === true });
    }
  }
  reqs.sort((a, b) => b.size - a.size);
  const next = { mem32: windows.mem32.base, mem64: windows.mem64?.base ?? 0, io: windows.io.base };
  const take = (key: "mem32" | "mem64" | "io", w: PciWindow | undefined, size: number): number => {
    if (!w) return -1;
    const addr = Math.ceil(next[key] / size) * size;
    if (addr + size > w.end) return -1;
    next[key] = addr + size;
    return addr;
  };
  const out: PciAssignment[] = [];
  for (const r of reqs) {
    let addr: number;
    if (r.kind === "io") addr = take("io", windows.io, r.size);
    else {
      addr = r.is64 ? take("mem64", windows.mem64, r.size) : -1;
      if (addr < 0) addr = take("mem32", windows.mem32, r.size);
    }
    if (addr < 0) throw new ConfigError(`PCI: no room for BAR ${r.bar} (${r.size} bytes) of "${r.device.id}"`);
    const reg = PciReg.BAR0 + 4 * r.bar;
    r.device.configWrite(reg, addr % 2 ** 32, 4);
    if (r.is64) r.device.configWrite(reg + 4, Math.floor(addr / 2 ** 32), 4);
    out.push({ device: r.device, bar: r.bar, address: addr });
  }
  for (const device of bus.devices) {
    let cmd = device.command;
    for (let bar = 0; bar < 6; bar++) {
      const info = device.barInfo(bar);
      if (info) cmd |= info.kind === "io" ? PciCommand.IO : PciCommand.MEMORY;
    }
    if (cmd !== device.command) device.configWrite(PciReg.COMMAND, cmd, 2);
  }
  return out;
}
