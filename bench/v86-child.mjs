// One v86 run in a fresh Node process. argv[2] is JSON {kernel, cmdline, memoryMiB,
// timeoutSec, stopMarker, reportFile}. v86 boots SeaBIOS (Debian's seabios package,
// /usr/share/seabios/bios.bin, plus its VGA BIOS), which loads the multiboot kernel through
// an option ROM. COM1 bytes go to stdout as they arrive (the parent timestamps the marker
// lines). v86 has no isa-debug-exit, so the run stops at stopMarker.
import { readFileSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { V86 } from "v86";

const job = JSON.parse(process.argv[2]);
const require = createRequire(import.meta.url);
const v86Dir = dirname(require.resolve("v86"));
const buf = (path) => { const b = readFileSync(path); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };

const report = { outcome: "error", detail: "", setupMs: 0, runMs: 0, maxRssKiB: 0 };
const t0 = performance.now();
let t1 = t0;
let line = "";
let done = false;

function finish(outcome, detail, emulator) {
  if (done) return;
  done = true;
  report.outcome = outcome;
  report.detail = detail;
  report.runMs = performance.now() - t1;
  report.maxRssKiB = process.resourceUsage().maxRSS;
  writeFileSync(job.reportFile, JSON.stringify(report));
  Promise.resolve(emulator?.destroy()).catch(() => {}).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

// v86 treats a write to port 0xF4 as "test exit" and throws "HALT" from its run loop.
process.on("uncaughtException", (e) => {
  if (e === "HALT") finish(report.outcome === "error" ? "exit" : report.outcome, "guest wrote port 0xF4", undefined);
  else finish("error", String(e?.stack ?? e), undefined);
});

const emulator = new V86({
  wasm_path: join(v86Dir, "v86.wasm"),
  memory_size: job.memoryMiB * 1024 * 1024,
  vga_memory_size: 2 * 1024 * 1024,
  bios: { buffer: buf(job.bios) },
  vga_bios: { buffer: buf(job.vgaBios) },
  multiboot: { buffer: buf(job.kernel) },
  cmdline: job.cmdline,
  autostart: true,
  disable_keyboard: true,
  disable_mouse: true,
  disable_speaker: true,
  screen_dummy: true,
  fastboot: true,
});
emulator.add_listener("emulator-ready", () => { t1 = performance.now(); report.setupMs = t1 - t0; });
emulator.add_listener("serial0-output-byte", (byte) => {
  // synchronously (see bench/tsemu-child.ts): the parent timestamps lines as they arrive
  for (;;) { try { writeSync(1, Uint8Array.of(byte)); break; } catch (e) { if (e.code !== "EAGAIN") throw e; } }
  line += String.fromCharCode(byte);
  if (byte === 10) {
    if (line.includes(job.stopMarker)) finish("stopped-at-marker", `saw ${job.stopMarker}`, emulator);
    line = "";
  }
});
setTimeout(() => finish("timeout", `no ${job.stopMarker} after ${job.timeoutSec} s`, emulator), job.timeoutSec * 1000).unref();
// keep the process alive while v86 runs
const keep = setInterval(() => { if (done) clearInterval(keep); }, 1000);
