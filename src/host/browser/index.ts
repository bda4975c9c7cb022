/**
 * Browser entry (bundled to dist/browser.js). A placeholder until the web demo lands:
 * it exports the version so the bundle and its tsconfig are exercised by the build.
 */

declare const __TSEMU_VERSION__: string | undefined;

/** The version baked in by scripts/build.mjs; "dev" when not bundled. */
export const VERSION: string = typeof __TSEMU_VERSION__ === "string" ? __TSEMU_VERSION__ : "dev";
