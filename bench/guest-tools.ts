/** The src/boot pieces the benchmark needs, re-exported for bundling (bench/bundle.mjs). */
export { extractVmlinux } from "../src/boot/extract-vmlinux.js";
export { buildInitramfs } from "../src/boot/cpio.js";
