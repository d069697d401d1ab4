import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", testing: "src/testing.ts", cli: "src/cli.ts" },
  format: ["esm", "cjs"],
  target: "node18",
  platform: "node",
  dts: { entry: { index: "src/index.ts", testing: "src/testing.ts" } },
  sourcemap: true,
  clean: true,
  // import.meta.url in the CommonJS build (the lazy google-protobuf loader needs it).
  shims: true,
  splitting: false,
  // No rollup tree-shaking pass: it once folded a field set inside a decoder callback to its
  // initial value. esbuild's own dead-code removal is enough for a library this size.
  // The testing kit and the CLI use the main entry through the package's own name, so that one copy
  // of the classes is loaded at run time, whichever entries an application imports.
  external: ["sandbox-sdk-errors"],
});
