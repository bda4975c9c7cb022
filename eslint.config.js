// Lint: no `any`, and the layering rules of docs/ARCHITECTURE.md enforced as errors.
import tseslint from "typescript-eslint";

const core = ["src/common", "src/cpu", "src/jit", "src/memory", "src/devices", "src/virtio", "src/boot", "src/machine", "src/monitor", "src/gdb", "src/api"];
const hostPatterns = [
  { group: ["**/host/**", "*/host/*"], message: "The core must not import host adapters (src/host/*)." },
  { group: ["node:*", "fs", "path", "os", "child_process", "net", "tty", "zlib", "worker_threads", "crypto"], message: "The core is host-neutral: no Node APIs." },
];
const binaryenPattern = { group: ["binaryen"], message: "Only the Wasm backend (src/jit/wasm/**) may import binaryen." };

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "fixtures/cache/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      "no-restricted-imports": ["error", { patterns: [binaryenPattern] }],
    },
  },
  {
    files: core.map((d) => `${d}/**/*.ts`),
    ignores: ["src/**/*.test.ts", "src/jit/wasm/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [binaryenPattern, ...hostPatterns] }] },
  },
  {
    files: ["src/jit/wasm/**/*.ts"],
    ignores: ["src/**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: hostPatterns }] },
  },
  {
    files: ["src/cpu/**/*.ts"],
    // testing/ harnesses assemble a whole CPU, backend included
    ignores: ["src/**/*.test.ts", "src/**/testing/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [binaryenPattern, ...hostPatterns,
        { group: ["**/jit/wasm/**", "*/jit/wasm/*"], message: "src/cpu emits IR; it never sees the Wasm backend." }] }],
    },
  },
  {
    files: ["src/**/*.test.ts", "test/**/*.ts", "bench/**/*.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Ambient declarations of host globals (e.g. WebAssembly) follow lib.d.ts conventions:
    // `declare var`, merged empty interfaces, constructor-typed `Function`.
    files: ["src/types/**/*.d.ts"],
    rules: { "no-var": "off", "@typescript-eslint/no-empty-object-type": "off", "@typescript-eslint/no-unsafe-function-type": "off" },
  },
);
