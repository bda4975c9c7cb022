// Types of scripts/fixtures-modules.mjs, for its tests.
export interface ModuleRef { name: string; path: string }
export function moduleName(path: string): string;
export function resolveModules(modulesDir: string, wanted: string[]): { modules: ModuleRef[]; builtin: string[]; absent: string[] };
export function extractModules(modules: ModuleRef[], outDir: string): string[];
export function writeModulesDep(modulesDir: string): number;
