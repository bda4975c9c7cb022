/**
 * A JIT measurement without peers: boot the PVH vmlinux with the boot initramfs to the /init
 * marker under deterministic time and print wall time, guest instructions and the JIT's
 * statistics (`info jit`). Bundled and run by hand:
 *   npx esbuild bench/boot-jit.ts --bundle --platform=node --format=esm --external:binaryen --outfile=bench/.build/boot-jit.mjs
 *   node bench/.build/boot-jit.mjs [--no-link] [--stats] [--bare [--scale N]]
 * --bare runs the bare-metal workload instead (bench/.build/kernel.elf, built by `npm run bench`)
 * up to its @end marker: a CPU-bound guest without a boot's compile load.
 */
import { readFileSync } from "node:fs";
import { createPcMachine } from "../src/machine/pc.js";
import { MemoryCharBackend } from "../src/devices/char-backend.js";

const args = process.argv.slice(2);
const root = `${process.cwd()}/`;
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const serial = new MemoryCharBackend();
const jit = { link: !args.includes("--no-link"), stats: args.includes("--stats") };
const bare = args.includes("--bare");
const MARKER = bare ? "@end" : "TSEMU-BOOT-OK";
const m = createPcMachine(bare ? {
  kernel: new Uint8Array(readFileSync(`${root}bench/.build/kernel.elf`)),
  serial, cmdline: `scale=${args.includes("--scale") ? args[args.indexOf("--scale") + 1] : 1}`, memoryBytes: 64 << 20, nowMs: now,
  ...({ jit } as object),
} : {
  kernel: new Uint8Array(readFileSync(`${root}fixtures/cache/vmlinux`)),
  initrd: new Uint8Array(readFileSync(`${root}fixtures/cache/boot.cpio.gz`)),
  serial, cmdline: "console=ttyS0 nokaslr", memoryBytes: 256 << 20, nowMs: now,
  ...({ jit } as object),
});
let tail = "", marker = false;
serial.onOutput((bytes) => {
  tail = (tail + String.fromCharCode(...bytes)).slice(-64);
  if (tail.includes(MARKER)) marker = true;
});
const t0 = now();
while (!marker) {
  const r = m.runSlice(2_000_000);
  if (r.kind === "exit") break;
  if (now() - t0 > 900_000) break;
}
const wall = (now() - t0) / 1000;
const cpu = m.cpu as unknown as { stats: { insnsRetired: number }; jitStats?: () => unknown };
const cpuS = process.cpuUsage();
console.log(JSON.stringify({ marker, cpuUserS: +(cpuS.user / 1e6).toFixed(1), wallS: +wall.toFixed(1), insns: cpu.stats.insnsRetired, mips: +(cpu.stats.insnsRetired / wall / 1e6).toFixed(2), jit, backend: (m.cpu.backend as { stats: unknown }).stats, tbs: m.cpu.tbs.stats, tlb: m.cpu.softmmu.tlb.stats }));
if (cpu.jitStats) console.log(JSON.stringify(cpu.jitStats()));
