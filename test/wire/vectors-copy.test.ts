import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { VECTORS_PATH } from "../support/vectors.js";

// The project's shared folder sits beside the repository in CI; a user's fresh clone has none.
const shared = fileURLToPath(new URL("../../../shared/vectors/status-details.json", import.meta.url));

describe("the vectors copy in test/fixtures", () => {
  it.runIf(existsSync(shared))("is byte-for-byte the shared vectors file", () => {
    expect(readFileSync(VECTORS_PATH, "utf8")).toBe(readFileSync(shared, "utf8"));
  });

  it("is valid and names every vector", () => {
    const { vectors } = JSON.parse(readFileSync(VECTORS_PATH, "utf8"));
    expect(vectors.length).toBeGreaterThan(0);
    for (const vector of vectors) expect(vector.name).toMatch(/^[a-z0-9-]+$/);
  });
});
