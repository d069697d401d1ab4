import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // The entries import the main entry by the package's name; tests run them from source.
    alias: [
      { find: /^sandbox-sdk-errors\/testing$/, replacement: source("./src/testing/index.ts") },
      { find: /^sandbox-sdk-errors\/modal$/, replacement: source("./src/presets/modal/index.ts") },
      { find: /^sandbox-sdk-errors$/, replacement: source("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
