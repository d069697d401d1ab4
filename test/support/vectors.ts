/** The golden vectors, from the copy kept in the repository (a fresh clone has no ../shared). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ParsedStatus } from "../../src/index.js";

export interface Vector {
  name: string;
  note: string;
  hex: string;
  expect: { ok: boolean } & Record<string, unknown>;
}

export const VECTORS_PATH = fileURLToPath(new URL("../fixtures/status-details.json", import.meta.url));

export const vectors: Vector[] = JSON.parse(readFileSync(VECTORS_PATH, "utf8")).vectors;

/** The reference status of the benchmark. */
export function referenceBlob(): Buffer {
  const reference = vectors.find((v) => v.name === "reference");
  if (reference === undefined) throw new Error("the vectors file has no reference status");
  return Buffer.from(reference.hex, "hex");
}

/** The vectors file's view of a parsed status: `null` for absent, detail types in order. */
export function summarise(parsed: ParsedStatus | undefined) {
  if (parsed === undefined) return { ok: false };
  return {
    ok: true,
    code: parsed.code,
    message: parsed.message,
    reason: parsed.reason ?? null,
    domain: parsed.domain ?? null,
    metadata: { ...parsed.metadata },
    retryDelay: parsed.retryDelay ?? null,
    fieldViolations: parsed.fieldViolations,
    requestId: parsed.requestId ?? null,
    detailTypes: parsed.details.map((d) => d.type),
  };
}
