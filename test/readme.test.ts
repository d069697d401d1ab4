import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without declarations
import { END, renderHierarchy, START } from "../scripts/hierarchy.mjs";
import * as api from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README.md", () => {
  it("shows the class hierarchy exactly as the classes define it (run `node scripts/hierarchy.mjs --write`)", () => {
    const block = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
    expect(block).toBe(renderHierarchy(api));
  });

  it("draws every exported class and both extra validation parents", () => {
    const diagram: string = renderHierarchy(api);
    expect(diagram).toContain("ValidationError <|.. SandboxValidationError : also instanceof");
    expect(diagram).toContain("ValidationError <|.. DiscoveryValidationError : also instanceof");
    expect(diagram).toContain("SandboxResourceExhaustedError <|-- RequestSizeError");
    expect(diagram.match(/<\|--/g)).toHaveLength(38);
  });

  it("keeps the two quick-start commands", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm test");
  });
});
