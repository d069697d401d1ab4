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

  it("the README's short table of Modal's codes says what modalSpec says, every code once", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("\n## Modal\n"), readme.indexOf("\n## Your own SDK\n"));
    const rows = section
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const seen: string[] = [];
    for (const [, codes = "", classes = ""] of rows) {
      const className = /`(\w+)`/.exec(classes)?.[1];
      for (const [, code] of codes.matchAll(/`(\w+)`/g)) {
        seen.push(code as string);
        const row = modal.modalSpec.codes?.[code as keyof typeof api.GrpcCode];
        // A row of rules ends with its fallback class, the one the table names first.
        const cls = Array.isArray(row) ? row[row.length - 1] : row;
        expect(cls?.prototype.name, code).toBe(className);
        expect(classes.includes("(retryable)"), code).toBe(
          modal.isRetryable(new (cls as typeof modal.ModalError)()),
        );
      }
    }
    expect(seen.sort()).toEqual(Object.keys(modal.modalSpec.codes ?? {}).sort());
    expect(section).toContain(`| anything else | \`${modal.modalSpec.root.prototype.name}\` |`);
  });

  it("keeps the two quick-start commands in the README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm test");
  });
});
