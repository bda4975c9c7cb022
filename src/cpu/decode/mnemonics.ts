/**
 * The set of mnemonics the decoder table can produce. The decoder owns this list (derived
 * from its table); semantics are a Record<Mnemonic, ...> so a row without semantics is a
 * compile error. PLACEHOLDER until the table lands: the decoder work replaces this file.
 */
export type Mnemonic = string;
