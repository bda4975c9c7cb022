/**
 * binaryen as an optimiser of modules the emitter produced (read binary, optimise, write
 * binary). Used where optimisation pays for itself: the runtime module, built once per
 * machine. binaryen's optimise settings are process-global; this is the one place that sets
 * them. Translated blocks are not optimised: binaryen measured 50-120 us per block-sized
 * function unoptimised and 0.3-2.5 ms with -O1, against about 15 us for the direct emitter.
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
