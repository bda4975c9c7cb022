/**
 * TextEncoder/TextDecoder: present in Node and every browser, but declared by neither
 * lib.es2022 nor the core's empty `types`. The browser adapter uses lib.dom instead.
 */
declare class TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}
