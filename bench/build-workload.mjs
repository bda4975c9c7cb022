// Builds the benchmark workload (bench/workload/*.c) into bench/.build/:
//   kernel.elf      32-bit multiboot v1 kernel (gcc -m32 -ffreestanding -nostdlib -O2 -march=i686)
//   native          the same workload for the host (x86-64, normal main())
//   guest-workload  the same workload as a static x86-64 Linux program (for the Debian guest)
// Rebuilds only when a source or flag changed. Exports build() for run.mjs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
  execFileSync(CC, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
}

function hashInputs() {
  const h = createHash("sha256");
  for (const f of readdirSync(src).sort()) h.update(f).update(readFileSync(join(src, f)));
  h.update(JSON.stringify([CC, KERNEL_CFLAGS, NATIVE_CFLAGS, GUEST_CFLAGS]));
  return h.digest("hex");
}

const HINTS = {
  kernel: "the 32-bit kernel needs gcc-multilib (apt-get install -y gcc-multilib)",
  guest: "the static program needs glibc's static libc (apt-get install -y libc6-dev)",
  native: "install gcc",
};

/**
 * Builds what it can. Returns { kernel, native, guest } (paths) and errors: { kernel?, native?,
 * guest? } (one line each, with the package to install) for the builds that failed.
 */
export function build({ quiet = false } = {}) {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = {
    kernel: join(BUILD_DIR, "kernel.elf"),
    native: join(BUILD_DIR, "native"),
    guest: join(BUILD_DIR, "guest-workload"),
  };
  const stamp = join(BUILD_DIR, "workload.stamp");
  const hash = hashInputs();
  const errors = {};
  if (Object.values(out).every(existsSync) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return { ...out, errors };
  rmSync(stamp, { force: true });
  const w = join(src, "workload.c");
  const steps = {
    kernel: [...KERNEL_CFLAGS, "-T", join(src, "link.ld"), "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments", "-o", out.kernel,
      join(src, "start.S"), join(src, "baremetal.c"), w],
    native: [...NATIVE_CFLAGS, "-o", out.native, join(src, "native.c"), w],
    guest: [...GUEST_CFLAGS, "-o", out.guest, join(src, "native.c"), w],
  };
  for (const [name, args] of Object.entries(steps)) {
    rmSync(out[name], { force: true });
    try { cc(args); } catch (e) {
      const msg = String(e.stderr ?? e.message).trim().split("\n").slice(-2).join(" ");
      errors[name] = `${CC} failed building ${name} (${HINTS[name]}): ${msg}`;
    }
  }
  if (!Object.keys(errors).length) writeFileSync(stamp, hash);
  if (!quiet) console.log(`bench: built ${Object.keys(steps).filter((n) => !errors[n]).join(", ")}${Object.keys(errors).length ? `; failed: ${Object.values(errors).join("; ")}` : ""}`);
  return { ...out, errors };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
