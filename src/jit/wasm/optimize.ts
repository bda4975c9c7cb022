/**
 * binaryen as an optimiser of modules the emitter produced (read binary, optimise, write
 * binary): the optimising tier, applied on request (WasmBackendOptions.optimize). binaryen's
 * optimise settings are process-global; this is the one place that sets them. It is not on
 * the default path: loading binaryen costs about a second, and it measured 50-120 us per
 * block-sized function unoptimised and 0.3-2.5 ms with -O1.
 */

import binaryen from "binaryen";

const FEATURES = binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals |
  binaryen.Features.BulkMemory | binaryen.Features.NontrappingFPToInt | binaryen.Features.SIMD128 |
  binaryen.Features.TailCall;

export function optimizeModule(bytes: Uint8Array, level = 2): Uint8Array {
  const m = binaryen.readBinary(bytes);
  try {
    m.setFeatures(FEATURES);
    binaryen.setOptimizeLevel(level);
    binaryen.setShrinkLevel(0);
    m.optimize();
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}
