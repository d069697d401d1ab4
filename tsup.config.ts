import { defineConfig, type Options } from "tsup";

const shared: Options = {
  target: "node18",
  platform: "node",
  sourcemap: true,
  splitting: false,
  // The testing kit and the CLI use the main entry through the package's own name, so that one copy
  // of the classes is loaded at run time, whichever entries an application imports.
  external: ["sandbox-sdk-errors", "sandbox-sdk-errors/modal"],
  // Not minified: esbuild's minifier drops the `@__PURE__`/`@__NO_SIDE_EFFECTS__` annotations, and
  // without them a consumer's bundler keeps every class (SandboxNotFoundError alone: 4 KB → 24 KB
  // gzipped), a far greater cost than the few milliseconds a smaller file saves at import.
  // No rollup tree-shaking pass: it once folded a field set inside a decoder callback to its
  // initial value. esbuild's own dead-code removal is enough for a library this size.
};

export default defineConfig([
  {
    ...shared,
    entry: { index: "src/index.ts", testing: "src/testing/index.ts", modal: "src/presets/modal/index.ts" },
    format: ["esm", "cjs"],
    dts: true,
    // import.meta.url in the CommonJS build (the testing kit's lazy google-protobuf loader needs it).
    shims: true,
  },
  {
    ...shared,
    // The `sandbox-sdk-errors` bin: ESM only, like the package.
    entry: { cli: "src/cli/cli.ts" },
    format: ["esm"],
  },
]);
