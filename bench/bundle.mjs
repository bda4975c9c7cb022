// Bundles the TypeScript parts of the benchmark (esbuild, binaryen external) into
// bench/.build/: tsemu-child.mjs (one tsemu run) and guest-tools.mjs (extract-vmlinux and
// the initramfs builder from src/boot). Always rebuilt: src/ changes under us.
import { build } from "esbuild";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Returns { child, tools } (paths) and errors: { child?, tools? }: src/ is being changed by
 * others, so a bundle that does not build is reported, not fatal.
 */
export async function bundle() {
  const common = {
    absWorkingDir: root, bundle: true, format: "esm", platform: "node", target: "es2022",
    external: ["binaryen"], logLevel: "silent", define: { __TSEMU_VERSION__: '"bench"' },
  };
  const out = { child: join(root, "bench/.build/tsemu-child.mjs"), tools: join(root, "bench/.build/guest-tools.mjs"), errors: {} };
  const entries = { child: "bench/tsemu-child.ts", tools: "bench/guest-tools.ts" };
  await Promise.all(Object.entries(entries).map(async ([name, entry]) => {
    try {
      await build({ ...common, entryPoints: [entry], outfile: out[name] });
    } catch (e) {
      const first = e.errors?.[0];
      out.errors[name] = `esbuild could not bundle ${entry}: ${first ? `${first.location?.file ?? ""}:${first.location?.line ?? ""} ${first.text}` : e.message}`;
    }
  }));
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
