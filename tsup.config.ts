import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  target: "node18",
  platform: "node",
  dts: true,
  sourcemap: true,
  clean: true,
  // import.meta.url in the CommonJS build (the lazy google-protobuf loader needs it).
  shims: true,
  // One file per entry: no shared chunks to resolve at start-up.
  splitting: false,
  treeshake: true,
});
