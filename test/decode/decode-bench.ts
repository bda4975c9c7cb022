/**
 * Decoder throughput benchmark, meant to run bundled (esbuild, as the emulator ships) in its
 * own Node process: `node decode-bench.mjs <code.bin>` prints `{"insns":N,"best":M}` where
 * best is the best of 7 trials in M instructions per second of CPU time (64-bit mode).
 * throughput.test.ts builds and runs it; run by hand with
 *   npx esbuild test/decode/decode-bench.ts --bundle --platform=node --format=esm --outfile=/tmp/db.mjs
 *   node /tmp/db.mjs /path/to/code.bin
 */

import { readFileSync } from "node:fs";
import { decode } from "../../src/cpu/decode/decoder.js";

const code = new Uint8Array(readFileSync(process.argv[2] ?? ""));
const reader = { readByte: (a: number): number => (a < code.length ? (code[a] ?? -1) : -1) };
const reps = Math.max(1, Math.ceil(1_000_000 / Math.max(code.length, 1)));
let best = 0, insns = 0;
for (let trial = 0; trial < 7; trial++) {
  let n = 0;
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) {
    for (let pc = 0; pc < code.length - 16;) {
      const d = decode(reader, pc, 64);
      pc += "fault" in d ? 1 : d.len;
      n++;
    }
  }
  const cu = process.cpuUsage(c0);
  best = Math.max(best, n / ((cu.user + cu.system) / 1000) / 1000);
  insns = n;
}
console.log(JSON.stringify({ insns, best }));
