import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without declarations
import { BLOCKS, blockOf, renderBlocks, renderHierarchy } from "../scripts/readme.mjs";
import * as api from "../src/index.js";
import * as catalogue from "../src/presets/cwsandbox/catalogue.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const blocks: Record<string, string> = renderBlocks(api, catalogue);

describe("README.md", () => {
  it.each(BLOCKS as string[])(
    "shows the %s block exactly as the code defines it (run `npm run readme`)",
    (name) => {
      expect(blockOf(readme, name)).toBe(blocks[name]);
    },
  );

  it("draws every exported class and both extra validation parents", () => {
    const diagram: string = renderHierarchy(api);
    expect(diagram).toContain("ValidationError <|.. SandboxValidationError : also instanceof");
    expect(diagram).toContain("ValidationError <|.. DiscoveryValidationError : also instanceof");
    expect(diagram).toContain("SandboxResourceExhaustedError <|-- RequestSizeError");
    expect(diagram.match(/<\|--/g)).toHaveLength(38);
  });

  it("lists every Reason, and the mapping table names every class a row gives", () => {
    for (const reason of Object.values(api.Reason)) expect(blocks.reasons).toContain(`\`${reason}\``);
    expect(blocks.mapping).toContain(
      "| sandbox | code RESOURCE_EXHAUSTED when the transport's message says a message was too large | `RequestSizeError` | no |",
    );
    expect(blocks.mapping).toContain("| sandbox | code UNAVAILABLE | `SandboxUnavailableError` | yes |");
  });

  it("keeps the two quick-start commands", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm test");
  });
});
