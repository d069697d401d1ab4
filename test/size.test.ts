/**
 * Size per use (SPEC §12), checked on the built package: each consumer of `bench/sizes.mjs`, bundled
 * for the browser by esbuild and gzipped, stays within its ceiling (the SPEC's budget where the
 * package meets it). Sizes are deterministic, so this is no timed assertion. `npm run bench` prints
 * the same figures beside the budgets.
 */

import { fileURLToPath } from "node:url";
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
