import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as api from "../../../src/index.js";
import { fromGrpcStatus, type MappingContext, Reason, type SandboxSdkError } from "../../../src/index.js";
import {
  COMMON_CODE_ROWS,
  chooseRow,
  classOfRow,
  FALLBACK_ROW,
  type Facts,
  type MappingScope,
  NOT_FOUND_CLASSES,
  NOT_RETRYABLE_CLASSES,
  type Placeholder,
  placeholdersOf,
  producibleClasses,
  RETRYABLE_CLASSES,
  renderMessage,
  SCOPE_RULES,
  unmappedReasons,
} from "../../../src/presets/cwsandbox/catalogue.js";
import { toServiceError } from "../../../src/testing/index.js";

const SCOPES: MappingScope[] = ["sandbox", "discovery", "general"];
const PLACEHOLDERS: Placeholder[] = [
  "operation",
  "details",
  "rawDetails",
  "reason",
  "violations",
  "sandboxId",
  "fileSystemSnapshotId",
  "runnerId",
  "profileName",
];

const allRows = (scope: MappingScope) => {
  const rules = SCOPE_RULES[scope];
  return [...rules.reasons, ...rules.codes, ...COMMON_CODE_ROWS, FALLBACK_ROW];
};

const mappedReasons = (scope: MappingScope) =>
  SCOPE_RULES[scope].reasons.flatMap((row) => Object.keys(row.reasons));

describe("the mapping catalogue", () => {
  it.each(Object.entries(Reason))(
    "Reason.%s has a row, or is marked as deliberately unmapped",
    (_key, reason) => {
      const mapped = SCOPES.some((scope) => mappedReasons(scope).includes(reason));
      const unmapped = Object.hasOwn(unmappedReasons(), reason);
      expect(mapped || unmapped).toBe(true);
      expect(mapped && unmapped).toBe(false);
    },
  );

  it("maps each reason once per scope", () => {
    for (const scope of SCOPES) {
      const reasons = mappedReasons(scope);
      expect(new Set(reasons).size).toBe(reasons.length);
    }
  });

  it("names only classes the package exports under that name", () => {
    const names = [
      ...producibleClasses(),
      ...RETRYABLE_CLASSES,
      ...NOT_RETRYABLE_CLASSES,
      ...NOT_FOUND_CLASSES,
    ];
    for (const name of names) {
      const cls = (api as unknown as Record<string, { prototype: { name: string } } | undefined>)[name];
      expect(cls?.prototype.name, name).toBe(name);
    }
  });

  it("uses only known placeholders in its messages", () => {
    for (const scope of SCOPES) {
      for (const row of allRows(scope)) {
        for (const name of placeholdersOf(row.message)) expect(PLACEHOLDERS).toContain(name);
      }
    }
  });

  it("ends the rows of each code with one that always applies, so no row is unreachable", () => {
    // Within one list: a scope's own rows, and the common ones (which a scope's rows may shadow).
    const lists = [...SCOPES.map((scope) => SCOPE_RULES[scope].codes), COMMON_CODE_ROWS];
    for (const rows of lists) {
      const byCode = new Map<number, (string | undefined)[]>();
      for (const row of rows) byCode.set(row.code, [...(byCode.get(row.code) ?? []), row.when]);
      for (const [code, conditions] of byCode) {
        const unconditional = conditions.indexOf(undefined);
        if (unconditional !== -1) expect(unconditional, `code ${code}`).toBe(conditions.length - 1);
      }
    }
  });

  it("renders a template's first alternative whose placeholders all have a value", () => {
    const facts: Facts = {
      operation: "get",
      details: "gone",
      rawDetails: "",
      reason: "",
      fieldViolations: [],
      sandboxId: undefined,
      fileSystemSnapshotId: undefined,
      runnerId: undefined,
      profileName: undefined,
    };
    expect(renderMessage(["Sandbox '{sandboxId}' not found", "{details}"], facts)).toBe("gone");
    expect(
      renderMessage(["Sandbox '{sandboxId}' not found", "{details}"], { ...facts, sandboxId: "sb" }),
    ).toBe("Sandbox 'sb' not found");
    expect(renderMessage("{operation} failed: {details}", facts)).toBe("get failed: gone");
  });
});

/** The context that produces `className` in `scope`, and an error of it, made by hand. */
function handMade(scope: MappingScope, className: string): [SandboxSdkError, MappingContext] {
  const cls = (api as unknown as Record<string, new (message: string, options?: object) => SandboxSdkError>)[
    className
  ]!;
  const candidates = {
    sandboxId: "sb-1",
    fileSystemSnapshotId: "fss-1",
    runnerId: "r-1",
    profileName: "p-1",
  };
  const error = new cls("it failed", { ...candidates, retryDelay: 250, requestId: "req-1" });
  // The context that produced such an error names what the class carries, and nothing else.
  const fields = Object.fromEntries(
    Object.entries(candidates).filter(([field]) => Object.hasOwn(error, field)),
  );
  return [error, { scope, ...fields }];
}

describe("every class a row produces round-trips through the testing kit", () => {
  const cases = SCOPES.flatMap((scope) =>
    [...new Set(allRows(scope).map((row) => classOfRow(scope, row)))].map((name) => [scope, name] as const),
  );

  it.each(cases)("scope %s: %s", (scope, className) => {
    const [error, context] = handMade(scope, className);
    const again = fromGrpcStatus(toServiceError(error), context);
    expect(again.name).toBe(className);
    expect(again.retryDelay).toBe(250);
    expect(again.requestId).toBe("req-1");
    // The walk agrees: the code and reason sent lead back to the class.
    const row = chooseRow(scope, again.grpcCode, again.reason, {
      operation: "operation",
      details: (again.cause as { details: string }).details,
      rawDetails: "",
      reason: again.reason ?? "",
      fieldViolations: (again as { fieldViolations?: [] }).fieldViolations ?? [],
      ...context,
    } as Facts);
    expect(classOfRow(scope, row)).toBe(className);
  });
});

describe("the classes' TSDoc agrees with the catalogue", () => {
  const source = readFileSync(new URL("../../../src/presets/cwsandbox/errors.ts", import.meta.url), "utf8");
  /** The TSDoc block right above `export class <name>`. */
  const docOf = (name: string): string => {
    const at = source.indexOf(`export class ${name} `);
    const open = source.lastIndexOf("/**", at);
    return source.slice(open, source.indexOf("*/", open));
  };
  const classes = Object.values(api).filter(
    (value): value is typeof api.SandboxSdkError =>
      typeof value === "function" && Object.hasOwn(value, Symbol.for("sandbox-sdk-errors.brand")),
  );

  it.each(classes.map((cls) => [cls.prototype.name, cls] as const))(
    "%s names exactly the reasons that give it, and states its retry contract rightly",
    (name, cls) => {
      const doc = docOf(name);
      const named = new Set(doc.match(/CWSANDBOX_[A-Z_]+/g) ?? []);
      const mapped = new Set(
        SCOPES.flatMap((scope) =>
          SCOPE_RULES[scope].reasons
            .filter((row) => classOfRow(scope, row) === name)
            .flatMap((row) => Object.keys(row.reasons)),
        ),
      );
      expect([...named].sort()).toEqual([...mapped].sort());
      const retryable = api.isRetryable(new (cls as unknown as new (m: string) => SandboxSdkError)("x"));
      if (/not retryable/i.test(doc)) expect(retryable).toBe(false);
      else if (/\bretryable\b/i.test(doc)) expect(retryable).toBe(true);
    },
  );
});
