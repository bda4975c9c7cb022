// Fetches the guest binaries from Debian with apt: resolves the versioned kernel package
// behind the linux-image-amd64 metapackage, downloads it and busybox-static with
// `apt-get download`, unpacks them with `dpkg-deb -x`, and generates modules.dep.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class FixtureError extends Error {}

/** Runs a command; returns stdout, or throws FixtureError with its stderr. */
export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
  if (r.error) throw new FixtureError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new FixtureError(`${cmd} ${args.join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  }
  return r.stdout;
}

export function hasCommand(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** `linux-image-amd64` depends on `linux-image-<ver>-amd64`; return that name. */
function resolveKernelPackage() {
  const out = sh("apt-cache", ["depends", "linux-image-amd64"]);
  const m = /Depends:\s*(linux-image-\d[^\s]*)/.exec(out);
  if (!m) throw new FixtureError("apt-cache knows no linux-image-amd64 dependency (is this a Debian apt source?)");
  return m[1];
}

function download(debs, pkgs) {
  // APT::Sandbox::User=root: the download directory is not readable by the _apt user.
  sh("apt-get", ["download", "-q", "-o", "APT::Sandbox::User=root", ...pkgs], { cwd: debs });
}

/** Resolves and downloads the packages; runs `apt-get update` once if the lists are missing. */
function fetchDebs(debs) {
  mkdirSync(debs, { recursive: true });
  const attempt = () => {
    const kernelPkg = resolveKernelPackage();
    const want = [kernelPkg, "busybox-static"];
    const missing = want.filter((p) => !findDeb(debs, p));
    if (missing.length) download(debs, missing);
    return kernelPkg;
  };
  try {
    return attempt();
  } catch (e) {
    if (!(e instanceof FixtureError)) throw e;
    console.log(`fixtures: ${e.message}\nfixtures: running apt-get update and retrying`);
    sh("apt-get", ["update", "-q"]);
    return attempt();
  }
}

function findDeb(dir, pkg) {
  if (!existsSync(dir)) return undefined;
  const f = readdirSync(dir).find((n) => n.startsWith(`${pkg}_`) && n.endsWith(".deb"));
  return f && join(dir, f);
}

/** Extracts a .deb into `dest` atomically (a half-extracted tree is never left behind). */
function unpack(deb, dest) {
  const tmp = `${dest}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  sh("dpkg-deb", ["-x", deb, tmp]);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
}

/** Finds the single lib/modules/<ver> directory of an unpacked kernel tree. */
export function kernelVersionOf(kernelTree) {
  for (const base of ["lib/modules", "usr/lib/modules"]) {
    const dir = join(kernelTree, base);
    if (!existsSync(dir)) continue;
    const vers = readdirSync(dir);
    if (vers.length === 1) return { version: vers[0], modulesDir: join(dir, vers[0]) };
  }
  throw new FixtureError(`no single lib/modules/<version> directory in ${kernelTree}`);
}

/**
 * Downloads and unpacks what is missing under `cache`, producing vmlinuz, busybox,
 * kernel/ (with modules.dep) and kernel-version. Returns the kernel package name.
 * `refresh` drops the downloaded packages and updates the apt lists first.
 */
export function fetchFromDebian(cache, { refresh = false } = {}) {
  const debs = join(cache, "debs");
  if (refresh) {
    rmSync(debs, { recursive: true, force: true });
    sh("apt-get", ["update", "-q"]);
  }
  const kernelPkg = fetchDebs(debs);
  const kernelTree = join(cache, "kernel");
  const kernelDeb = findDeb(debs, kernelPkg);
  const bbDeb = findDeb(debs, "busybox-static");
  if (!kernelDeb || !bbDeb) throw new FixtureError(`apt-get download left no .deb for ${kernelPkg} or busybox-static in ${debs}`);

  console.log(`fixtures: unpacking ${kernelDeb.split("/").pop()} and ${bbDeb.split("/").pop()}`);
  unpack(kernelDeb, kernelTree);
  const bbTree = join(cache, "busybox-pkg");
  unpack(bbDeb, bbTree);
  copyFileSync(join(bbTree, "bin/busybox"), join(cache, "busybox"));

  const { version } = kernelVersionOf(kernelTree);
  const boot = join(kernelTree, "boot");
  const vmlinuz = readdirSync(boot).find((n) => n.startsWith("vmlinuz-"));
  if (!vmlinuz) throw new FixtureError(`no boot/vmlinuz-* in ${kernelDeb}`);
  copyFileSync(join(boot, vmlinuz), join(cache, "vmlinuz"));
  if (hasCommand("depmod")) sh("depmod", ["-b", kernelTree, version]);
  else console.log("fixtures: depmod not found (package kmod); modules.dep will be made from .modinfo");
  writeFileSync(join(cache, "kernel-version"), `${version}\n`);
  return kernelPkg;
}
