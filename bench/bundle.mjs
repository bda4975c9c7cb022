// Bundles the TypeScript parts of the benchmark (esbuild, binaryen external) into
// bench/.build/: tsemu-child.mjs (one tsemu run) and guest-tools.mjs (extract-vmlinux and
// the initramfs builder from src/boot). Always rebuilt: src/ changes under us.
import { build } from "esbuild";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function bundle() {
  const common = {
    absWorkingDir: root, bundle: true, format: "esm", platform: "node", target: "es2022",
    external: ["binaryen"], logLevel: "warning", define: { __TSEMU_VERSION__: '"bench"' },
  };
  await Promise.all([
    build({ ...common, entryPoints: ["bench/tsemu-child.ts"], outfile: "bench/.build/tsemu-child.mjs" }),
    build({ ...common, entryPoints: ["bench/guest-tools.ts"], outfile: "bench/.build/guest-tools.mjs" }),
  ]);
  return { child: join(root, "bench/.build/tsemu-child.mjs"), tools: join(root, "bench/.build/guest-tools.mjs") };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
