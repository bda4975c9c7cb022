/**
 * The shell session issue #6 asks of every boot path (bzImage and PVH on pc, PVH on microvm):
 * the boot initramfs plus a static program compiled here, and the commands run at its prompt
 * (uname, /proc/cpuinfo, mount, an arithmetic loop in sh, the static binary, a clean dmesg).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { expect } from "vitest";
import { buildInitramfs } from "../../src/boot/cpio.js";
import { FIXTURE_CACHE, REPO_ROOT } from "../fixtures/paths.js";
import type { ConsoleDriver } from "../helpers/console-driver.js";

/** The boot initramfs with /bin/primes (a static C program built with gcc) added. */
export function shellInitrd(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "tsemu-boot-"));
  try {
    writeFileSync(join(dir, "primes.c"), `#include <stdio.h>
int main(void){unsigned long s=0;for(unsigned i=2;i<20000;i++){int p=1;for(unsigned d=2;d*d<=i;d++)if(i%d==0){p=0;break;}if(p)s+=i;}printf("primes-sum=%lu\\n",s);return 0;}`);
    execFileSync("gcc", ["-O2", "-static", "-o", join(dir, "primes"), join(dir, "primes.c")]);
    const desc = readFileSync(join(FIXTURE_CACHE, "boot.desc"), "utf8") + `file /bin/primes ${join(dir, "primes")} 0755 0 0\n`;
    return gzipSync(buildInitramfs(desc, { readFile: (p) => readFileSync(p.startsWith("/") ? p : join(REPO_ROOT, p)) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** uname, cpuinfo, mount, sh arithmetic, the static binary, and no kernel warnings in dmesg. */
export async function checkShellSession(con: ConsoleDriver): Promise<void> {
  const sh = con.sh.bind(con);
  expect(await sh("uname -a")).toMatch(/Linux tsemu 6\.\S+ .*x86_64/);
  const cpuinfo = await sh("cat /proc/cpuinfo");
  expect(cpuinfo).toMatch(/vendor_id\s*: GenuineIntel/);
  expect(cpuinfo).toMatch(/flags\s*:.* sse2 .*lm/);
  expect(await sh("mount")).toMatch(/proc on \/proc type proc/);
  expect(await sh("i=0; s=0; while [ $i -lt 1000 ]; do s=$((s+i*i)); i=$((i+1)); done; echo sum=$s")).toContain("sum=332833500");
  expect(await sh("/bin/primes")).toContain("primes-sum=21171191");
  expect((await sh("dmesg | grep -E 'BUG:|Oops|Call Trace|WARNING:' | wc -l")).trim().split("\n").pop()).toBe("0");
}
