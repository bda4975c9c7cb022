/**
 * Tests of the pure CLI parser: QEMU spellings, defaults, and one-line errors for every
 * kind of mistake; and where the monitor goes for a set of options (run.ts monitorPlan).
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../common/errors.js";
import { DEFAULT_MEMORY_BYTES, parseArgs, parseMemorySize, type RunOptions } from "./args.js";
import { monitorPlan } from "./run.js";

function run(...argv: string[]): RunOptions {
  const c = parseArgs(argv);
  if (c.kind !== "run") throw new Error(`expected run, got ${c.kind}`);
  return c.options;
}

function errorOf(argv: string[]): string {
  try { parseArgs(argv); } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const msg = (e as Error).message;
    expect(msg).not.toContain("\n");
    return msg;
  }
  throw new Error("no error");
}

describe("monitor options", () => {
  it("-monitor is undefined unless given; mon:stdio marks the serial as shared with the monitor", () => {
    expect(run("-kernel", "k").monitor).toBeUndefined();
    expect(run("-monitor", "stdio").monitor).toBe("stdio");
    expect(run("-serial", "mon:stdio").serial).toEqual([{ kind: "stdio", monitor: true }]);
    expect(() => parseArgs(["-monitor", "tcp::4444"])).toThrow(/unsupported -monitor 'tcp::4444' \(supported: none, stdio\)/);
  });

  it("monitorPlan: alone, multiplexed with the console (which has the focus first), or off", () => {
    expect(monitorPlan(run("-monitor", "stdio", "-serial", "file:x"))).toBe("stdio");
    expect(monitorPlan(run("-monitor", "stdio"))).toBe("mux-monitor");
    expect(monitorPlan(run("-nographic"))).toBe("mux-console");
    expect(monitorPlan(run("-serial", "mon:stdio"))).toBe("mux-console");
    expect(monitorPlan(run("-nographic", "-monitor", "none"))).toBe("none");
    expect(monitorPlan(run("-nographic", "-serial", "null"))).toBe("none");
    expect(monitorPlan(run())).toBe("none");
  });
});

describe("parseArgs", () => {
  it("parses the QEMU command line of the README", () => {
    const o = run("-kernel", "bz", "-initrd", "rd.cpio.gz", "-append", "console=ttyS0 quiet", "-nographic");
    expect(o).toMatchObject({
      kernel: "bz", initrd: "rd.cpio.gz", append: "console=ttyS0 quiet", nographic: true,
      memoryBytes: DEFAULT_MEMORY_BYTES, machine: "pc", smp: 1, serial: [{ kind: "stdio" }],
      cpu: { model: "qemu64", physBits: undefined }, gdb: undefined, startStopped: false,
    });
  });

  it("accepts -- spellings, -M, -cpu properties, debugging and timing flags", () => {
    const o = run("--kernel", "k", "-M", "microvm", "-cpu", "max,phys-bits=40", "-smp", "1", "-m", "2G",
      "-serial", "file:/tmp/s.log", "-serial", "null", "-no-reboot", "-s", "-S", "-d", "int,pic", "-d", "mmu",
      "-D", "log.txt", "-icount", "shift=3", "-accel", "tcg", "-monitor", "none", "-display", "none");
    expect(o).toMatchObject({
      kernel: "k", machine: "microvm", cpu: { model: "max", physBits: 40 }, memoryBytes: 2 ** 31,
      serial: [{ kind: "file", path: "/tmp/s.log" }, { kind: "null" }], noReboot: true,
      gdb: { host: "", port: 1234 }, startStopped: true, debug: ["int", "pic", "mmu"], logFile: "log.txt",
      icount: { shift: 3 },
    });
    expect(run("-gdb", "tcp:127.0.0.1:9000").gdb).toEqual({ host: "127.0.0.1", port: 9000 });
    expect(run("-gdb", "tcp::0").gdb).toEqual({ host: "", port: 0 }); // any free port
    expect(run("-icount", "auto").icount).toEqual({ shift: "auto" });
    expect(run("-machine", "type=pc").machine).toBe("pc");
  });

  it("recognises help, version and the mkinitramfs subcommand", () => {
    expect(parseArgs(["--help"])).toEqual({ kind: "help" });
    expect(parseArgs(["-kernel", "k", "-h"])).toEqual({ kind: "help" });
    expect(parseArgs(["--version"])).toEqual({ kind: "version" });
    expect(parseArgs(["-d", "help"])).toMatchObject({ kind: "list", text: expect.stringContaining("  guest_error\n") });
    expect(parseArgs(["-M", "help"])).toMatchObject({ kind: "list", text: expect.stringContaining("microvm") });
    expect(parseArgs(["-cpu", "help"])).toMatchObject({ kind: "list", text: expect.stringContaining("qemu64") });
    expect(() => parseArgs(["-serial", "help"])).toThrow(/unsupported -serial backend 'help'/);
    expect(parseArgs(["mkinitramfs", "d.txt", "-o", "x.cpio.gz"]))
      .toEqual({ kind: "mkinitramfs", description: "d.txt", output: "x.cpio.gz", mtime: undefined });
    expect(parseArgs(["mkinitramfs", "-t", "5", "-o", "x", "d"]))
      .toEqual({ kind: "mkinitramfs", description: "d", output: "x", mtime: 5 });
  });

  const bad: [string[], RegExp][] = [
    [["-frobnicate"], /^unknown option '-frobnicate'/],
    [["kernel"], /^unexpected argument 'kernel'/],
    [["-kernel"], /^option '-kernel' needs a value$/],
    [["-m", "lots"], /invalid memory size 'lots'/],
    [["-m", "0"], /below 1 MiB/],
    [["-M", "q35"], /unsupported -machine 'q35'/],
    [["-cpu", "host"], /unsupported CPU model 'host'/],
    [["-cpu", "max,phys-bits=99"], /outside 32\.\.52/],
    [["-cpu", "max,+avx"], /unsupported -cpu property '\+avx'/],
    [["-smp", "4"], /only one CPU/],
    [["-serial", "tcp::4444"], /only server mode is supported/],
    [["-serial", "telnet::4444,server=on"], /unsupported -serial backend/],
    [["-gdb", "tcp::99999"], /unsupported -gdb device/],
    [["-d", "int,bogus"], /unknown -d category 'bogus'/],
    [["-icount", "fast"], /unsupported -icount value/],
    [["-accel", "kvm"], /unsupported -accel 'kvm'/],
    [["-display", "gtk"], /unsupported -display 'gtk'/],
    [["mkinitramfs", "d"], /no output given/],
    [["mkinitramfs", "-o", "x"], /no description file given/],
    [["mkinitramfs", "d", "-o"], /option '-o' needs a value/],
    [["mkinitramfs", "d", "-o", "x", "-z"], /unknown option '-z'/],
  ];
  it.each(bad)("rejects %j", (argv, why) => {
    expect(errorOf(argv)).toMatch(why);
  });
});

describe("parseMemorySize", () => {
  it("reads bare MiB and K/M/G/T suffixes", () => {
    expect(parseMemorySize("512")).toBe(512 * 2 ** 20);
    expect(parseMemorySize("512M")).toBe(512 * 2 ** 20);
    expect(parseMemorySize("1g")).toBe(2 ** 30);
    expect(parseMemorySize("size=4096k")).toBe(4 * 2 ** 20);
    expect(parseMemorySize("1T")).toBe(2 ** 40);
  });
});
