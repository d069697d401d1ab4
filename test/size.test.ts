/**
 * Size per use (SPEC §12), checked on the built package: each consumer of `bench/sizes.mjs`, bundled
 * for the browser by esbuild and gzipped, stays within its ceiling (the SPEC's budget where the
 * package meets it). Sizes are deterministic, so this is no timed assertion. `npm run bench` prints
 * the same figures beside the budgets.
 */

import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without declarations
import { bundleSize, CONSUMERS } from "../bench/sizes.mjs";
import { ensureBuilt } from "../scripts/fresh-dist.js";

interface Consumer {
  readonly name: string;
  readonly imports: readonly string[] | "*";
  readonly budgetKb: number | undefined;
  readonly ceilingKb: number | undefined;
}

beforeAll(() => {
  ensureBuilt(fileURLToPath(new URL("..", import.meta.url)));
}, 120_000);

describe("size per use (esbuild, browser, ESM, minified, gzip -9)", () => {
  const budgeted = (CONSUMERS as Consumer[]).filter((consumer) => consumer.ceilingKb !== undefined);

  it.each(budgeted.map((consumer) => [consumer.name, consumer] as const))("%s", async (_name, consumer) => {
    const size = await bundleSize(consumer);
    expect(size.error).toBeUndefined();
    expect(size.gzipKb).toBeLessThanOrEqual(consumer.ceilingKb as number);
  });

  it("keeps every ceiling at or above its budget, and at the budget where the package meets it", async () => {
    for (const consumer of budgeted) {
      expect(consumer.ceilingKb).toBeGreaterThanOrEqual(consumer.budgetKb as number);
      const size = await bundleSize(consumer);
      if (size.gzipKb <= (consumer.budgetKb as number))
        expect(consumer.ceilingKb, consumer.name).toBe(consumer.budgetKb);
    }
  });

  it("leaves out of a bundle what it does not import: one class costs less than mapping", async () => {
    const [one, mapping] = await Promise.all([
      bundleSize(budgeted.find((c) => c.imports !== "*" && c.imports.includes("SandboxNotFoundError"))),
      bundleSize(budgeted.find((c) => c.name === "fromGrpcStatus")),
    ]);
    expect(one.gzipKb * 3).toBeLessThan(mapping.gzipKb);
  });
});

/**
 * The top-level declarations of a consumer's bundle, unminified: each name without the number
 * esbuild appends to tell apart two declarations of one name.
 */
async function declarationsOf(
  entry: string,
  imports: readonly string[],
  loader: "ts" | "js",
): Promise<string[]> {
  const result = await build({
    stdin: {
      contents: `import { ${imports.join(", ")} } from ${JSON.stringify(entry)};\nconsole.log(${imports.join(", ")});`,
      resolveDir: root,
      loader,
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  const text = result.outputFiles[0]?.text ?? "";
  return [...text.matchAll(/^(?:function|var|class) ([\w$]+?)\d*\b/gm)]
    .map((match) => match[1] as string)
    .sort();
}

const root = fileURLToPath(new URL("..", import.meta.url));

describe("the build keeps what tree-shaking the source allows", () => {
  // Within the one file of dist/, a bundler can drop a top-level statement only when it can tell that
  // it has no side effect: a template literal, a property read or an unannotated call in an
  // initialiser keeps it (and whatever it names) in every consumer's bundle. The source, bundled
  // module by module under `"sideEffects": false`, shows what a consumer should get.
  const consumers = (CONSUMERS as Consumer[]).filter(
    (consumer): consumer is Consumer & { imports: readonly string[] } =>
      consumer.imports !== "*" && !consumer.name.includes("Modal"),
  );

  it.each(consumers.map((consumer) => [consumer.name, consumer] as const))("%s", async (_name, consumer) => {
    const [fromSource, fromDist] = await Promise.all([
      declarationsOf("./src/index.ts", consumer.imports, "ts"),
      declarationsOf("./dist/index.js", consumer.imports, "js"),
    ]);
    expect(fromSource.length).toBeGreaterThan(10);
    expect(fromDist).toEqual(fromSource);
  });
});
