/**
 * The monitor's commands against a real pc machine running a small multiboot kernel (nasm):
 * the kernel enables 32-bit paging (a 4 MiB identity page for itself, virtual 0x400000 ->
 * physical 0x300000 through a page table whose entries have the accessed bit clear, the next
 * page not present), loads known registers, leaves ZF/PF set through a lazy SUB, and halts.
 * A second machine gets 4-level paging and a long-mode CS written straight into CPU state
 * for the 64-bit layouts. Every command, its errors, and the absence of side effects of `x`.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { RunWord, SegIndex, StateOff } from "../cpu/state-layout.js";
import { createPcMachine, type PcMachine } from "../machine/pc.js";
import { nasm } from "../../test/helpers/nasm.js";
import { PDE1, PTE0, pagingKernelStart } from "../../test/helpers/paging-kernel.js";
import { Monitor, type RunControl } from "./monitor.js";

const pagingKernel = (): Uint8Array => nasm(`${pagingKernelStart("  mov dword [0x300004], 0xdeadbeef")}
hang:
  hlt
  jmp hang
`, 32, 0x100000);

class FakeControl implements RunControl {
  running = true;
  calls: string[] = [];
  stop(): void { this.running = false; this.calls.push("stop"); }
  cont(): void { this.running = true; this.calls.push("cont"); }
  quit(code: number): void { this.calls.push(`quit ${code}`); }
}

const machines: PcMachine[] = [];
afterEach(() => { while (machines.length) machines.pop()!.dispose(); });

function booted(opts: { noReboot?: boolean; keep?: boolean } = {}): { m: PcMachine; mon: Monitor; ctl: FakeControl } {
  const m = createPcMachine({ kernel: pagingKernel(), memoryBytes: 64 << 20, noReboot: opts.noReboot });
  if (!opts.keep) machines.push(m);
  let r = m.runSlice();
  for (let i = 0; i < 100 && r.kind === "running"; i++) r = m.runSlice();
  expect(m.cpu.state.run(RunWord.HALTED)).toBe(1);
  const ctl = new FakeControl();
  return { m, mon: new Monitor(m, ctl), ctl };
}

describe("monitor: info", () => {
  it("info registers: QEMU's 32-bit layout with the lazy flags evaluated", () => {
    const { mon } = booted();
    const out = mon.execute("info registers");
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^EAX=12345678 EBX=0000cafe ECX=00000000 EDX=[0-9a-f]{8}$/);
    expect(lines[1]).toBe("ESI=00000000 EDI=00000000 EBP=00000000 ESP=00090000");
    expect(lines[2]).toMatch(/^EIP=001000[0-9a-f]{2} EFL=00000046 \[---Z-P-\] CPL=0 II=0 A20=1 SMM=0 HLT=1$/);
    expect(out).toMatch(/^CS =0010 00000000 ffffffff 00cf9b00 DPL=0 CS32 \[-RA\]$/m);
    expect(out).toMatch(/^DS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   \[-WA\]$/m);
    expect(out).toMatch(/^LDT=0000 00000000 0000ffff 00008200 DPL=0 LDT$/m);
    expect(out).toMatch(/^TR =0020 00000000 00000067 00008b00 DPL=0 TSS32-busy$/m);
    expect(out).toMatch(/^GDT=     [0-9a-f]{8} [0-9a-f]{8}$/m);
    expect(out).toMatch(/^CR0=80000031 CR2=00000000 CR3=00200000 CR4=00000010$/m);
    expect(out).toMatch(/^DR6=[0-9a-f]{8} DR7=[0-9a-f]{8}$/m);
    expect(out).toMatch(/^EFER=0000000000000000$/m);
    expect(out).toMatch(/^FCW=[0-9a-f]{4} FSW=[0-9a-f]{4} \[ST=0\] FTW=00 MXCSR=00001f80$/m);
  });

  it("info mtree [-f] shows both address spaces; info qtree the devices", () => {
    const { mon } = booted();
    const tree = mon.execute("info mtree");
    expect(tree).toContain("address-space: memory");
    expect(tree).toMatch(/^ {4}0000000000000000-0000000003ffffff \(prio 0, ram\): pc\.ram$/m);
    expect(tree).toContain("address-space: I/O");
    expect(tree).toMatch(/^ {4}03f8-03ff \(prio 0, i\/o\): serial$/m);
    const flat = mon.execute("info mtree -f");
    expect(flat).toContain("FlatView: memory");
    expect(flat).toContain("FlatView: I/O");
    expect(flat).not.toContain("(prio");
    const qtree = mon.execute("info qtree");
    expect(qtree).toContain("dev: ");
    expect(qtree).toBe(mon.machine.dumpQtree());
    expect(qtree.length).toBeGreaterThan(100);
  });

  it("info jit reports the blocks and modules the run made; info cpus and status", () => {
    const { m, mon, ctl } = booted();
    const jit = mon.execute("info jit");
    expect(jit).toMatch(/^ {2}blocks translated\s+[1-9]/m);
    expect(jit).toMatch(/^ {2}modules compiled\s+[1-9]/m);
    expect(jit).toMatch(new RegExp(`^ {2}guest instructions\\s+${m.cpu.stats.insnsRetired.toLocaleString("en-US")}$`, "m"));
    expect(mon.execute("info cpus")).toMatch(/^\* CPU #0: pc=0x1000[0-9a-f]{2} \(halted\)\n$/);
    expect(mon.execute("info status")).toBe("VM status: running\n");
    ctl.running = false;
    expect(mon.execute("info status")).toBe("VM status: paused\n");
    expect(mon.execute("info")).toContain("info registers -- show the cpu registers\n");
  });
});

describe("monitor: x, xp, print", () => {
  it("x reads through the guest's page tables without setting accessed bits", () => {
    const { m, mon } = booted();
    const ram = m.ram;
    expect(mon.execute("x /2xw 0x400000")).toBe("0000000000400000: 0x64636261 0xdeadbeef\n");
    expect(mon.execute("x /8c 0x400000")).toBe("0000000000400000: 'a' 'b' 'c' 'd' '\\xef' '\\xbe' '\\xad' '\\xde'\n");
    expect(mon.execute("x /xg 0x400000")).toBe("0000000000400000: 0xdeadbeef64636261\n");
    expect(mon.execute("x /4dh 0x400000")).toBe("0000000000400000: 25185 25699 -16657 -8531\n");
    expect(mon.execute("x /2ub 0x400004")).toBe("0000000000400004: 239 190\n");
    expect(mon.execute("x /1ob 0x400000")).toBe("0000000000400000: 0141\n");
    // 0x401000 (PTE not present) and 0x800000 (PDE not present): no fault reaches the guest.
    expect(mon.execute("x /4xw 0x400ff8")).toBe("0000000000400ff8: 0x00000000 0x00000000 Cannot access memory\n");
    expect(mon.execute("x 0x800000")).toBe("0000000000800000: Cannot access memory\n");
    expect(m.cpu.state.run(RunWord.EXC_VECTOR)).toBe(-1);
    expect(ram[PDE1]! & 0x20).toBe(0);
    expect(ram[PTE0]! & 0x20).toBe(0);
    // The guest's own walk still sets them (the debug walk left the real one intact).
    expect(m.cpu.softmmu.translate(0x400000, 0, 0)).toBe(0x300000);
    expect(ram[PTE0]! & 0x20).toBe(0x20);
  });

  it("x /i disassembles at $pc; QEMU remembers the last format", () => {
    const { mon } = booted();
    expect(mon.execute("x /2i $pc - 1")).toMatch(/^0x00000000001000[0-9a-f]{2}: {2}hlt\n0x00000000001000[0-9a-f]{2}: {2}jmp +0x1000[0-9a-f]{2}\n$/);
    expect(mon.execute("x /i 0x800000")).toBe("0x0000000000800000:  Cannot access memory\n");
    expect(mon.execute("x /2xb 0x400000")).toBe("0000000000400000: 0x61 0x62\n");
    expect(mon.execute("x 0x400002")).toBe("0000000000400002: 0x63\n");
    expect(mon.execute("x /d 0x400000")).toBe("0000000000400000:  97\n"); // size b kept: width 3
  });

  it("xp reads physical RAM and MMIO; unassigned space cannot be accessed", () => {
    const { m, mon } = booted();
    expect(mon.execute("xp /2xw 0x300000")).toBe("0000000000300000: 0x64636261 0xdeadbeef\n");
    // Physical 0x400000 is not the virtual page: zeroes.
    expect(mon.execute("xp /xw 0x400000")).toBe("0000000000400000: 0x00000000\n");
    const lapicVersion = m.memory.read(0xfee00030, 4);
    expect(lapicVersion).not.toBe(0);
    expect(mon.execute("xp /xw 0xfee00030")).toBe(`00000000fee00030: 0x${lapicVersion.toString(16).padStart(8, "0")}\n`);
    expect(mon.execute("xp /xw 0xf0000000")).toBe("00000000f0000000: Cannot access memory\n");
  });

  it("print evaluates expressions with registers in QEMU's syntax", () => {
    const { mon } = booted();
    expect(mon.execute("p $eax")).toBe("0x12345678\n");
    expect(mon.execute("print $rax & 0xff")).toBe("0x78\n");
    expect(mon.execute("p 0x10 + 2 * 3")).toBe("0x16\n");
    expect(mon.execute("p 1 + 2 & 3")).toBe("0x3\n"); // & binds tighter than + (QEMU)
    expect(mon.execute("p /d -5")).toBe("-5\n");
    expect(mon.execute("p /u -1")).toBe("18446744073709551615\n");
    expect(mon.execute("p /x 010")).toBe("0x8\n");
    expect(mon.execute("p ~0 / 16")).toBe("0\n"); // -1 / 16 = 0 (signed, as QEMU)
    expect(mon.execute("p 0x7fffffffffffffff * 2")).toBe("0xfffffffffffffffe\n");
    expect(mon.execute("p $eflags")).toBe("0x46\n");
    expect(mon.execute("p $cr3")).toBe("0x200000\n");
    expect(mon.execute("p /c 'A'")).toBe("'A'\n");
  });
});

describe("monitor: errors are one line", () => {
  const cases: [string, string][] = [
    ["frobnicate", "unknown command: 'frobnicate'\n"],
    ["info nope", "unknown command: 'info nope'\n"],
    ["x", "x: missing argument 'addr'\n"],
    ["x /zz 0", "invalid char in format: 'z'\n"],
    ["x /0x 0", "invalid count 0 (1..65536)\n"],
    ["xp /x", "xp: missing argument 'addr'\n"],
    ["p (1", "')' expected\n"],
    ["p $foo", "unknown register 'foo'\n"],
    ["p 1 / 0", "division by zero\n"],
    ["p 12abc", "invalid number or expression at '12abc'\n"],
    ["p 1 2", "unexpected '2' in expression\n"],
    ["p /i 1", "print: format 'i' is not supported\n"],
    ["stop now", "stop: unexpected argument 'now'\n"],
    ["info mtree -x", "mtree: unexpected argument '-x'\n"],
    ["help nope", "unknown command: 'nope'\n"],
  ];
  let shared: ReturnType<typeof booted> | undefined;
  afterAll(() => shared?.m.dispose());
  it.each(cases)("%j", (line, msg) => {
    shared ??= booted({ keep: true });
    expect(shared.mon.execute(line)).toBe(msg);
  });

  it("an empty line prints nothing; help lists commands", () => {
    const { mon } = booted();
    expect(mon.execute("   ")).toBe("");
    const help = mon.execute("help");
    expect(help).toContain("x /fmt addr -- virtual memory dump starting at 'addr'\n");
    expect(help).toContain("quit|q -- quit the emulator\n");
    expect(help).toContain("nmi -- inject an NMI\n");
    expect(mon.execute("help info")).toContain("info mtree [-f] -- ");
    expect(mon.execute("help cont")).toBe("cont|c -- resume emulation\n");
  });
});

describe("monitor: run control", () => {
  it("stop, cont and quit go to the host's RunControl", () => {
    const { mon, ctl } = booted();
    expect(mon.execute("stop")).toBe("");
    expect(mon.execute("c")).toBe("");
    expect(mon.execute("cont")).toBe("");
    expect(mon.execute("q")).toBe("");
    expect(mon.execute("quit")).toBe("");
    expect(ctl.calls).toEqual(["stop", "cont", "cont", "quit 0", "quit 0"]);
  });

  it("system_reset reboots the machine at once (the kernel entry state is back), also when stopped", () => {
    const { m, mon, ctl } = booted();
    mon.execute("stop");
    expect(mon.execute("system_reset")).toBe("");
    expect(mon.execute("p $eax")).toBe("0x2badb002\n"); // multiboot magic: the loader ran again
    expect(m.cpu.state.cr0 & 0x80000000).toBe(0);
    expect(m.cpu.state.run(RunWord.HALTED)).toBe(0);
    expect(ctl.calls).toEqual(["stop"]);
    expect(ctl.running).toBe(false);
  });

  it("system_reset with -no-reboot quits with status 0", () => {
    const { mon, ctl } = booted({ noReboot: true });
    mon.execute("system_reset");
    expect(ctl.calls).toEqual(["quit 0"]);
  });
});

describe("monitor: long mode", () => {
  it("64-bit register layout and x through 4-level page tables", () => {
    const m = createPcMachine({ kernel: pagingKernel(), memoryBytes: 64 << 20 });
    machines.push(m);
    const s = m.cpu.state, ram = m.ram, dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
    // 0xffffffff80000000: PML4[511] -> PDPT[510] -> PD[0] -> PT[0] -> 0x300000 (A bits clear).
    dv.setUint32(0x10000 + 511 * 8, 0x11003, true);
    dv.setUint32(0x11000 + 510 * 8, 0x12003, true);
    dv.setUint32(0x12000, 0x13003, true);
    dv.setUint32(0x13000, 0x300003, true);
    dv.setUint32(0x300000, 0x64636261, true);
    s.set64(StateOff.CR3, 0x10000, 0);
    s.set64(StateOff.CR4, 0x20, 0);
    s.set64(StateOff.EFER, 0x500, 0);
    s.set64(StateOff.CR0, 0x80000011, 0);
    s.setSeg(SegIndex.CS, { selector: 0x10, base: 0, limit: 0xffffffff, attr: 0xa09b });
    s.rip = -0x7ffffff0; // 0xffffffff80000010
    s.setReg(0, -1);
    m.cpu.modeChanged();
    m.cpu.flushTlb();
    const mon = new Monitor(m, new FakeControl());
    const out = mon.execute("info registers");
    expect(out.split("\n")[0]).toMatch(/^RAX=ffffffffffffffff RBX=[0-9a-f]{16} RCX=0000000000000000 RDX=[0-9a-f]{16}$/);
    expect(out).toMatch(/^R8 =0000000000000000 R9 =0000000000000000 R10=0000000000000000 R11=0000000000000000$/m);
    expect(out).toMatch(/^RIP=ffffffff80000010 RFL=00000002 \[-------\] CPL=0 /m);
    expect(out).toMatch(/^CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 \[-RA\]$/m);
    expect(out).toMatch(/^CR0=80000011 CR2=0000000000000000 CR3=0000000000010000 CR4=00000020$/m);
    expect(out).toMatch(/^EFER=0000000000000500$/m);
    expect(mon.execute("x /xw 0xffffffff80000000")).toBe("ffffffff80000000: 0x64636261\n");
    expect(mon.execute("x /xw 0xffffffff80001000")).toBe("ffffffff80001000: Cannot access memory\n");
    expect(mon.execute("x /xw 0x0000800000000000")).toBe("0000800000000000: Cannot access memory\n");
    expect(mon.execute("p $pc")).toBe("0xffffffff80000010\n");
    for (const pte of [0x10000 + 511 * 8, 0x11000 + 510 * 8, 0x12000, 0x13000]) expect(ram[pte]! & 0x20).toBe(0);
  });
});
