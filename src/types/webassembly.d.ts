/**
 * The subset of the WebAssembly JS API that the host-neutral core uses.
 * The core compiles with `lib: ["es2022"]` (no DOM, no Node types), and neither lib
 * declares `WebAssembly`; Node and browsers both provide it at run time. The browser
 * adapter compiles with lib.dom instead and does not include this file.
 */
declare namespace WebAssembly {
  type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "externref" | "anyfunc";
  type ImportValue = ExportValue | number;
  type ExportValue = Function | Global | Memory | Table;
  type Exports = Record<string, ExportValue>;
  type ModuleImports = Record<string, ImportValue>;
  type Imports = Record<string, ModuleImports>;
  type TableKind = "anyfunc" | "externref";

  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  interface Memory { readonly buffer: ArrayBuffer; grow(delta: number): number }
  var Memory: { prototype: Memory; new (descriptor: MemoryDescriptor): Memory };

  interface TableDescriptor { element: TableKind; initial: number; maximum?: number }
  interface Table {
    readonly length: number;
    get(index: number): unknown;
    grow(delta: number, value?: unknown): number;
    set(index: number, value?: unknown): void;
  }
  var Table: { prototype: Table; new (descriptor: TableDescriptor, value?: unknown): Table };

  interface GlobalDescriptor { value: ValueType; mutable?: boolean }
  interface Global { value: unknown; valueOf(): unknown }
  var Global: { prototype: Global; new (descriptor: GlobalDescriptor, v?: unknown): Global };

  interface Module {}
  var Module: { prototype: Module; new (bytes: ArrayBufferView | ArrayBuffer): Module };

  interface Instance { readonly exports: Exports }
  var Instance: { prototype: Instance; new (module: Module, importObject?: Imports): Instance };

  interface WebAssemblyInstantiatedSource { instance: Instance; module: Module }
  interface CompileError extends Error {}
  var CompileError: { prototype: CompileError; new (message?: string): CompileError };
  interface LinkError extends Error {}
  var LinkError: { prototype: LinkError; new (message?: string): LinkError };
  interface RuntimeError extends Error {}
  var RuntimeError: { prototype: RuntimeError; new (message?: string): RuntimeError };

  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  function instantiate(bytes: ArrayBufferView | ArrayBuffer, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
  function instantiate(moduleObject: Module, importObject?: Imports): Promise<Instance>;
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}
