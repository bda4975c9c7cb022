/**
 * The set of mnemonics the decoder can produce, derived from the opcode table (table.ts,
 * transcribed from the Intel SDM vol. 2 Appendix A). Semantics are a Record<Mnemonic, ...>,
 * so a table row without semantics, or a misspelt key, is a compile error (STYLE.md point 8).
 */

import { EXTRA_MNEMONICS, TABLE } from "./table.js";

export type Mnemonic = (typeof TABLE)[number][1] | (typeof EXTRA_MNEMONICS)[number];

/** Every mnemonic, each once, in table order. */
export const MNEMONICS: readonly Mnemonic[] = [
  ...new Set<Mnemonic>([...TABLE.map((r): Mnemonic => r[1]), ...EXTRA_MNEMONICS]),
];
