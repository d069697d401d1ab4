/**
 * The portable checks in workerd, Cloudflare Workers' runtime, through Miniflare (SPEC §14): the
 * bundle is an ES module worker whose `fetch` runs the checks and answers with their results. No
 * compatibility flag is set, `nodejs_compat` above all: a worker gets no Node API unless it asks.
 */
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundleForEngine,
  describeFailure,
  type EngineRun,
  engineTests,
  parseResults,
  START_TIMEOUT,
} from "./harness.js";

const ENTRY = `
import { runPortableChecks } from "./portable-checks.ts";
const NODE_GLOBALS = ["Buffer", "process", "require", "global", "module", "setImmediate"];
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/globals") {
      return Response.json(Object.fromEntries(NODE_GLOBALS.map((name) => [name, typeof globalThis[name]])));
    }
    return new Response(JSON.stringify(await runPortableChecks()), {
      headers: { "content-type": "application/json" },
    });
  },
};
`;

describe("portable checks in workerd (Miniflare)", () => {
  let miniflare: Miniflare | undefined;
  let run: EngineRun | undefined;

  beforeAll(async () => {
    let bundle: Awaited<ReturnType<typeof bundleForEngine>>;
    try {
      bundle = await bundleForEngine("workerd", ENTRY, { format: "esm", platform: "neutral" });
    } catch (error) {
      run = { failure: `esbuild could not bundle the checks: ${describeFailure(error)}` };
      return;
    }
    try {
      miniflare = new Miniflare({ modules: true, script: bundle.code, compatibilityDate: "2025-09-01" });
      const response = await miniflare.dispatchFetch("http://checks.local/");
      const text = await response.text();
      if (!response.ok) throw new Error(`the worker answered ${response.status}: ${text.slice(0, 2000)}`);
      run = { results: parseResults(text), bundle };
    } catch (error) {
      run = { failure: `the bundle failed in workerd: ${describeFailure(error)}`, bundle };
    }
  }, START_TIMEOUT);

  afterAll(async () => {
    await miniflare?.dispose();
  }, START_TIMEOUT);

  it("has no Node global in the worker", async () => {
    if (miniflare === undefined)
      throw new Error(`workerd did not start: ${run && "failure" in run ? run.failure : ""}`);
    const response = await miniflare.dispatchFetch("http://checks.local/globals");
    expect(await response.json()).toEqual({
      Buffer: "undefined",
      process: "undefined",
      require: "undefined",
      global: "undefined",
      module: "undefined",
      setImmediate: "undefined",
    });
  });

  engineTests("workerd", () => run);
});
