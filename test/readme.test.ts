import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without declarations
import { blockOf, PAGES, renderBlocks, renderHierarchy } from "../scripts/readme.mjs";
import * as api from "../src/index.js";
import { unmappedReasons } from "../src/presets/cwsandbox/catalogue.js";
import * as modal from "../src/presets/modal/index.js";

const blocks: Record<string, string> = renderBlocks(api, modal, unmappedReasons);
const pages = Object.entries(PAGES as Record<string, string[]>);

describe("the generated sections of the docs", () => {
  it.each(pages.flatMap(([page, names]) => names.map((name) => [page, name] as const)))(
    "%s shows the %s block exactly as the code defines it (run `npm run readme`)",
    (page, name) => {
      const text = readFileSync(new URL(`../${page}`, import.meta.url), "utf8");
      expect(blockOf(text, name)).toBe(blocks[name]);
    },
  );

  it("draws every exported class of the default preset and both extra validation parents", () => {
    const diagram: string = renderHierarchy(api, api.SandboxSdkError);
    expect(diagram).toContain("ValidationError <|.. SandboxValidationError : also instanceof");
    expect(diagram).toContain("ValidationError <|.. DiscoveryValidationError : also instanceof");
    expect(diagram).toContain("SandboxResourceExhaustedError <|-- RequestSizeError");
    expect(diagram.match(/<\|--/g)).toHaveLength(38);
  });

  it("draws Modal's tree with Modal's parents", () => {
    const diagram: string = renderHierarchy(modal, modal.ModalError);
    expect(diagram).toContain("InvalidError <|-- ConflictError");
    expect(diagram).toContain("TimeoutError <|-- SandboxTimeoutError");
    expect(diagram).toContain("SandboxFilesystemError <|-- SandboxFilesystemNotFoundError");
  });

  it("lists every Reason, and the mapping tables name every class a row gives", () => {
    for (const reason of Object.values(api.Reason)) expect(blocks.reasons).toContain(`\`${reason}\``);
    expect(blocks.mapping).toContain(
      "| sandbox | code RESOURCE_EXHAUSTED when the transport's message says a message was too large | `RequestSizeError` | no |",
    );
    expect(blocks.mapping).toContain("| sandbox | code UNAVAILABLE | `SandboxUnavailableError` | yes |");
    expect(blocks["modal-mapping"]).toContain("| (any) | code FAILED_PRECONDITION | `ConflictError` | no |");
    expect(blocks["modal-mapping"]).toContain("| (any) | code UNAVAILABLE | `ServiceError` | yes |");
  });

  it("keeps the two quick-start commands in the README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm test");
  });
});
