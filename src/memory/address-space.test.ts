import { describe, expect, it } from "vitest";
import { Logger } from "../common/log.js";
import { EmulatorBug } from "../common/errors.js";
import { AddressSpace } from "./address-space.js";
import { MemoryRegion } from "./memory-region.js";
import type { AccessSize, RegionOps } from "./types.js";

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger((c, m) => lines.push(`${c}: ${m}`)), lines };
}

/** A device that records accesses and returns offset-derived values. */
function recorder(extra: Partial<RegionOps> = {}): RegionOps & { ops: string[] } {
  const ops: string[] = [];
  return {
    ops,
    read(offset: number, size: AccessSize) {
      ops.push(`r${size}@${offset}`);
      let v = 0;
      for (let i = 0; i < size; i++) v += ((offset + i) & 0xff) * 2 ** (8 * i);
      return v;
    },
    write(offset: number, value: number, size: AccessSize) {
      ops.push(`w${size}@${offset}=${value.toString(16)}`);
    },
    ...extra,
  };
}

describe("AddressSpace", () => {
  it("reads and writes RAM little-endian and ignores ROM writes", () => {
    const { log } = capture();
    const root = MemoryRegion.container("system", 2 ** 32);
    const ram = new Uint8Array(0x1000);
    const rom = new Uint8Array(0x100).fill(0xaa);
    root.addSubregion(MemoryRegion.ram("ram", ram), 0);
    root.addSubregion(MemoryRegion.rom("rom", rom), 0x10000);
    const as = new AddressSpace("memory", root, log);
    as.write(0x10, 0x12345678, 4);
    expect([...ram.subarray(0x10, 0x14)]).toEqual([0x78, 0x56, 0x34, 0x12]);
    expect(as.read(0x10, 4)).toBe(0x12345678);
    expect(as.read(0x11, 2)).toBe(0x3456);
    as.write64(0x20, 0xdeadbeef, 0xcafebabe);
    expect(as.read64(0x20)).toEqual({ lo: 0xdeadbeef, hi: 0xcafebabe });
    as.write(0x10000, 0x55, 1);
    expect(as.read(0x10000, 1)).toBe(0xaa);
    as.writeBytes(0x10000, new Uint8Array([1, 2]), { rom: true });
    expect(as.read(0x10000, 2)).toBe(0x0201);
  });

  it("reads all-ones from unassigned addresses and logs a guest error", () => {
    const { log, lines } = capture();
    const as = new AddressSpace("memory", MemoryRegion.container("system", 2 ** 32), log);
    expect(as.read(0x1234, 4)).toBe(0xffffffff);
    expect(as.read(0x1234, 2)).toBe(0xffff);
    as.write(0x1234, 1, 1);
    expect(lines.length).toBe(3);
    expect(lines[0]).toMatch(/guest_error: memory: unassigned 4-byte read at 0x1234/);
    expect(as.lookup(0x1234)).toEqual({ kind: "unassigned" });
  });

  it("rejects overlapping siblings without priority at map time", () => {
    const root = MemoryRegion.container("system", 0x10000);
    root.addSubregion(MemoryRegion.ram("a", new Uint8Array(0x100)), 0);
    expect(() => root.addSubregion(MemoryRegion.ram("b", new Uint8Array(0x100)), 0x80)).toThrow(EmulatorBug);
    root.addSubregion(MemoryRegion.io("c", 0x10, recorder()), 0x80, { priority: 1 });
  });

  it("resolves overlaps by priority and fires change events", () => {
    const { log } = capture();
    const root = MemoryRegion.container("system", 0x10000);
    const ram = new Uint8Array(0x1000).fill(7);
    root.addSubregion(MemoryRegion.ram("ram", ram), 0, { priority: 0 });
    const dev = recorder();
    const mmio = MemoryRegion.io("dev", 0x100, dev);
    const as = new AddressSpace("memory", root, log);
    let changes = 0;
    as.onDidChange(() => changes++);
    root.addSubregion(mmio, 0x200, { priority: 1 });
    expect(changes).toBe(1);
    expect(as.read(0x1ff, 1)).toBe(7);
    expect(as.read(0x204, 1)).toBe(4);
    expect(as.read(0x300, 1)).toBe(7);
    expect(as.flatView.ranges.map((r) => [r.start, r.end, r.region.name])).toEqual([
      [0, 0x200, "ram"], [0x200, 0x300, "dev"], [0x300, 0x1000, "ram"],
    ]);
    const hit = as.lookup(0x300);
    expect(hit.kind).toBe("ram");
    if (hit.kind === "ram") expect(hit.wasmOffset).toBe(ram.byteOffset + 0x300);
    mmio.setEnabled(false);
    expect(changes).toBe(2);
    expect(as.read(0x204, 1)).toBe(7);
    root.removeSubregion(mmio);
    expect(changes).toBe(3);
  });

  it("maps aliases onto an offset of their target", () => {
    const { log } = capture();
    const ramBytes = new Uint8Array(0x2000);
    ramBytes[0x1005] = 0x42;
    const ram = MemoryRegion.ram("pc.ram", ramBytes);
    const root = MemoryRegion.container("system", 0x100000);
    root.addSubregion(MemoryRegion.alias("ram-low", ram, 0, 0x1000), 0);
    const hi = MemoryRegion.alias("ram-high", ram, 0x1000, 0x1000);
    root.addSubregion(hi, 0x80000);
    const as = new AddressSpace("memory", root, log);
    expect(as.read(0x80005, 1)).toBe(0x42);
    expect(as.ramWasmOffset(0x80005, true)).toBe(ramBytes.byteOffset + 0x1005);
    hi.setAliasOffset(0);
    expect(as.read(0x80005, 1)).toBe(0);
    expect(as.dumpTree()).toContain("00080000-00080fff (prio 0, alias): ram-high @pc.ram 00000000-00000fff");
    expect(as.dumpFlat()).toContain("00080000-00080fff (ram): pc.ram");
  });

  it("splits wide accesses to fit impl and rejects sizes outside valid", () => {
    const { log, lines } = capture();
    const root = MemoryRegion.container("io", 0x10000);
    const byteDev = recorder({ impl: { min: 1, max: 1 } });
    root.addSubregion(MemoryRegion.io("bytes", 8, byteDev), 0x3f8);
    const wordOnly = recorder({ valid: { min: 4, max: 4 } });
    root.addSubregion(MemoryRegion.io("words", 8, wordOnly), 0xcf8);
    const as = new AddressSpace("io", root, log);
    expect(as.read(0x3f8, 4)).toBe(0x03020100);
    expect(byteDev.ops).toEqual(["r1@0", "r1@1", "r1@2", "r1@3"]);
    as.write(0x3f8, 0x11223344, 2);
    expect(byteDev.ops.slice(4)).toEqual(["w1@0=44", "w1@1=33"]);
    expect(as.read(0xcf8, 1)).toBe(0xff);
    as.write(0xcf9, 1, 1);
    expect(wordOnly.ops).toEqual([]);
    expect(lines.some((l) => l.includes("invalid 1-byte read"))).toBe(true);
    expect(as.read(0xcf8, 4)).toBe(0x03020100);
  });

  it("merges narrow accesses into impl.min and splits 8-byte MMIO into two 4-byte accesses", () => {
    const { log } = capture();
    const root = MemoryRegion.container("system", 0x100000);
    const dev = recorder({ impl: { min: 4, max: 4 }, valid: { min: 1, max: 8 } });
    root.addSubregion(MemoryRegion.io("dev", 0x100, dev), 0x1000);
    const as = new AddressSpace("memory", root, log);
    expect(as.read(0x1006, 2)).toBe(0x0706);
    expect(dev.ops).toEqual(["r4@4"]);
    as.write(0x1005, 0xab, 1);
    expect(dev.ops[1]).toBe("w4@4=ab00");
    expect(as.read64(0x1008)).toEqual({ lo: 0x0b0a0908, hi: 0x0f0e0d0c });
    expect(dev.ops.slice(2)).toEqual(["r4@8", "r4@12"]);
    const wide = recorder({ impl: { min: 8, max: 8 }, valid: { min: 4, max: 8 },
      read64: (o) => ({ lo: o, hi: 0x1234 }), write64: (o, lo, hi) => { wide.ops.push(`w8@${o}=${hi}:${lo}`); } });
    root.addSubregion(MemoryRegion.io("wide", 0x100, wide), 0x2000);
    expect(as.read64(0x2010)).toEqual({ lo: 0x10, hi: 0x1234 });
    as.write64(0x2018, 5, 6);
    expect(wide.ops).toEqual(["w8@24=6:5"]);
  });

  it("splits accesses straddling two ranges and copies bytes across regions", () => {
    const { log } = capture();
    const root = MemoryRegion.container("system", 0x10000);
    const a = new Uint8Array(0x10);
    const b = new Uint8Array(0x10);
    root.addSubregion(MemoryRegion.ram("a", a), 0);
    root.addSubregion(MemoryRegion.ram("b", b), 0x10);
    const as = new AddressSpace("memory", root, log);
    as.write(0xe, 0x44332211, 4);
    expect([a[14], a[15], b[0], b[1]]).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect(as.read(0xe, 4)).toBe(0x44332211);
    as.writeBytes(0x8, new Uint8Array(16).fill(9));
    const out = new Uint8Array(0x22);
    as.readBytes(0, out);
    expect(out[8]).toBe(9);
    expect(out[0x17]).toBe(9);
    expect(out[0x18]).toBe(0);
    expect(out[0x20]).toBe(0xff);
  });

  it("stops notifying after dispose", () => {
    const root = MemoryRegion.container("system", 0x10000);
    const as = new AddressSpace("memory", root, new Logger());
    let n = 0;
    as.onDidChange(() => n++);
    as.dispose();
    root.addSubregion(MemoryRegion.ram("a", new Uint8Array(16)), 0);
    expect(n).toBe(0);
  });

  it("renders nested containers: priority applies between siblings, offsets add up", () => {
    const { log } = capture();
    const root = MemoryRegion.container("system", 0x100000);
    const ram = new Uint8Array(0x10000).fill(1);
    root.addSubregion(MemoryRegion.ram("ram", ram), 0, { priority: 0 });
    const hole = MemoryRegion.container("pci-hole", 0x8000);
    root.addSubregion(hole, 0x8000, { priority: 1 });
    const dev = MemoryRegion.io("bar", 0x100, recorder());
    hole.addSubregion(dev, 0x100, { priority: -5 });
    const as = new AddressSpace("memory", root, log);
    // Inside the hole only `bar` is mapped; the rest of the hole shows the RAM below it.
    expect(as.read(0x8000, 1)).toBe(1);
    expect(as.read(0x8101, 1)).toBe(0x01);
    expect(as.lookup(0x8101)).toMatchObject({ kind: "mmio", offset: 1, start: 0x8100, end: 0x8200 });
    dev.setOffset(0x200);
    expect(as.lookup(0x8101).kind).toBe("ram");
    expect(as.lookup(0x8201)).toMatchObject({ kind: "mmio", offset: 1 });
    const tree = as.dumpTree();
    expect(tree).toContain("address-space: memory");
    expect(tree).toContain("  00000000-000fffff (prio 0, container): system");
    expect(tree).toContain("    00008000-0000ffff (prio 1, container): pci-hole");
    expect(tree).toContain("      00008200-000082ff (prio -5, i/o): bar");
    hole.setEnabled(false);
    expect(as.dumpTree()).toContain("pci-hole [disabled]");
    expect(as.read(0x8201, 1)).toBe(1);
  });

  it("refuses to map a region twice and reports unmapped operations as bugs", () => {
    const root = MemoryRegion.container("system", 0x10000);
    const r = MemoryRegion.ram("r", new Uint8Array(16));
    root.addSubregion(r, 0);
    expect(() => root.addSubregion(r, 0x100)).toThrow(EmulatorBug);
    expect(() => root.removeSubregion(MemoryRegion.ram("x", new Uint8Array(16)))).toThrow(EmulatorBug);
    expect(() => r.addSubregion(MemoryRegion.ram("y", new Uint8Array(16)), 0)).toThrow(EmulatorBug);
    expect(() => MemoryRegion.container("bad", 0)).toThrow(EmulatorBug);
  });
});
