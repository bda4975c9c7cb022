// Builds the benchmark workload (bench/workload/*.c) into bench/.build/:
//   kernel.elf      32-bit multiboot v1 kernel (gcc -m32 -ffreestanding -nostdlib -O2 -march=i686)
//   native          the same workload for the host (x86-64, normal main())
//   guest-workload  the same workload as a static x86-64 Linux program (for the Debian guest)
// Rebuilds only when a source or flag changed. Exports build() for run.mjs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const src = join(here, "workload");
export const BUILD_DIR = join(here, ".build");

const CC = process.env.CC ?? "gcc";
export const KERNEL_CFLAGS = ["-m32", "-ffreestanding", "-nostdlib", "-O2", "-fno-pic", "-no-pie", "-march=i686",
  "-fno-stack-protector", "-fno-asynchronous-unwind-tables", "-Wall", "-Wextra"];
export const NATIVE_CFLAGS = ["-O2", "-Wall", "-Wextra"];
export const GUEST_CFLAGS = ["-O2", "-static", "-Wall", "-Wextra"];

function cc(args) {
  execFileSync(CC, args, { stdio: ["ignore", "inherit", "inherit"] });
}

function hashInputs() {
  const h = createHash("sha256");
  for (const f of readdirSync(src).sort()) h.update(f).update(readFileSync(join(src, f)));
  h.update(JSON.stringify([CC, KERNEL_CFLAGS, NATIVE_CFLAGS, GUEST_CFLAGS]));
  return h.digest("hex");
}

/** Returns the paths of the three builds; throws with the compiler's message on failure. */
export function build({ quiet = false } = {}) {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = {
    kernel: join(BUILD_DIR, "kernel.elf"),
    native: join(BUILD_DIR, "native"),
    guest: join(BUILD_DIR, "guest-workload"),
  };
  const stamp = join(BUILD_DIR, "workload.stamp");
  const hash = hashInputs();
  if (Object.values(out).every(existsSync) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return out;
  const w = join(src, "workload.c");
  cc([...KERNEL_CFLAGS, "-T", join(src, "link.ld"), "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments", "-o", out.kernel,
    join(src, "start.S"), join(src, "baremetal.c"), w]);
  cc([...NATIVE_CFLAGS, "-o", out.native, join(src, "native.c"), w]);
  cc([...GUEST_CFLAGS, "-o", out.guest, join(src, "native.c"), w]);
  writeFileSync(stamp, hash);
  if (!quiet) console.log(`bench: built ${Object.values(out).join(", ")}`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
