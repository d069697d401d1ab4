import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as api from "../../../src/index.js";
import {
  cwsandbox,
  cwsandboxSpec,
  ERROR_DOMAIN,
  type ErrorClass,
  fromGrpcStatus,
  GrpcCode,
  isRetryable,
  type MappingContext,
  type MappingScope,
  Reason,
  type SandboxSdkError,
} from "../../../src/index.js";
import { unmappedReasons } from "../../../src/presets/cwsandbox/catalogue.js";
import { encodeStatus } from "../../../src/testing/index.js";
import { entriesOf, levelsOf } from "../../support/catalogue.js";
import { checkCatalogue } from "../../support/catalogue-checks.js";

const SCOPES: MappingScope[] = ["sandbox", "discovery", "general"];

const mappedReasons = (scope: MappingScope) => Object.keys(cwsandboxSpec.scopes?.[scope]?.reasons ?? {});

describe("the default preset's catalogue", () => {
  it.each(Object.entries(Reason))(
    "Reason.%s has a row, or is marked as deliberately unmapped",
    (_key, reason) => {
      const mapped = SCOPES.some((scope) => mappedReasons(scope).includes(reason));
      const unmapped = Object.hasOwn(unmappedReasons(), reason);
      expect(mapped || unmapped).toBe(true);
      expect(mapped && unmapped).toBe(false);
    },
  );

  it("names the code the service sends with every reason it maps (the testing kit sends it)", () => {
    for (const scope of SCOPES) {
      for (const reason of mappedReasons(scope))
        expect(cwsandboxSpec.reasonCodes?.[reason], reason).toBeDefined();
    }
  });

  it("sends the snapshot backend's throttling reasons under UNAVAILABLE, as the Python SDK documents", () => {
    for (const reason of [
      Reason.FSS_BACKEND_THROTTLED,
      Reason.FSS_INFLIGHT_LIMIT,
      Reason.FSS_BUCKET_PROVISIONING,
    ]) {
      expect(cwsandboxSpec.reasonCodes?.[reason]).toBe("UNAVAILABLE");
    }
  });

  it("uses only placeholders the walk fills in its messages", () => {
    const known = new Set([
      "operation",
      "details",
      "rawMessage",
      "reason",
      "violations",
      "sandboxId",
      "fileSystemSnapshotId",
      "runnerId",
      "profileName",
    ]);
    for (const { rows } of levelsOf(cwsandboxSpec)) {
      const messages = [rows.message];
      for (const table of [rows.reasons, rows.codes]) {
        for (const row of Object.values(table ?? {}))
          for (const entry of entriesOf(row)) messages.push(entry.message);
      }
      for (const message of messages) {
        for (const template of typeof message === "string"
          ? [message]
          : Array.isArray(message)
            ? message
            : []) {
          for (const [, name] of template.matchAll(/\{(\w+)\}/g)) expect(known, template).toContain(name);
        }
      }
    }
  });
});

checkCatalogue<MappingContext>({
  name: "default",
  catalogue: cwsandbox,
  exports: api,
  contextFor: (scope, cls) => {
    const context: MappingContext = {
      scope: scope as MappingScope | undefined,
      operation: "getThing",
      sandboxId: "sb-1",
    };
    const fields = new Set(Object.keys(new (cls as ErrorClass)("x")));
    // The context that produced such an error names what the class carries.
    if (fields.has("fileSystemSnapshotId")) context.fileSystemSnapshotId = "fss-1";
    if (fields.has("runnerId")) context.runnerId = "r-1";
    if (fields.has("profileName")) context.profileName = "p-1";
    return context;
  },
});

describe("isRetryable without the classes agrees with the catalogue", () => {
  // Every trusted reason (and none, and an untrusted one) under every code, with and without a
  // message that says a message was too large: isRetryable of the raw error must be what
  // fromGrpcStatus(error).retryable says.
  const reasons: (string | undefined)[] = [undefined, ...Object.values(Reason), "SOMETHING_ELSE"];
  const messages = ["plain", "Received message larger than max (5 vs. 4)"];
  const cases: [string, number, string | undefined, string][] = [];
  for (let code = 1; code <= 16; code++) {
    for (const reason of reasons) {
      for (const message of messages)
        cases.push([`${code} ${reason ?? "-"} ${message}`, code, reason, message]);
    }
  }
  it.each(cases)("%s", (_name, code, reason, message) => {
    const details =
      reason === undefined
        ? []
        : [{ type: "ErrorInfo" as const, reason, domain: ERROR_DOMAIN, metadata: {} }];
    const blob = encodeStatus({ code, details });
    for (const metadata of [{ "grpc-status-details-bin": [blob] }, {}]) {
      const raw = { code, details: message, metadata };
      expect(isRetryable(raw)).toBe(fromGrpcStatus(raw).retryable);
      expect(cwsandbox.isRetryable(raw)).toBe(fromGrpcStatus(raw).retryable);
    }
  });

  it("judges the caller's abort not retryable, and a network failure retryable", () => {
    expect(isRetryable(new DOMException("stop", "AbortError"))).toBe(false);
    expect(isRetryable(new TypeError("Failed to fetch"))).toBe(true);
    expect(isRetryable(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(
      true,
    );
    expect(isRetryable({ code: GrpcCode.UNAVAILABLE, details: "x", metadata: {} })).toBe(true);
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
      typeof value === "function" &&
      Object.hasOwn(value, Symbol.for("sandbox-sdk-errors.brand")) &&
      source.includes(`export class ${(value as { prototype: { name: string } }).prototype.name} `),
  );

  it.each(classes.map((cls) => [cls.prototype.name, cls] as const))(
    "%s names exactly the reasons that give it, and states its retry contract rightly",
    (name, cls) => {
      const doc = docOf(name);
      const named = new Set(doc.match(/CWSANDBOX_[A-Z_]+/g) ?? []);
      const mapped = new Set(
        SCOPES.flatMap((scope) =>
          Object.entries(cwsandboxSpec.scopes?.[scope]?.reasons ?? {})
            .filter(([, row]) => entriesOf(row).some((entry) => entry.cls.prototype.name === name))
            .map(([reason]) => reason),
        ),
      );
      expect([...named].sort()).toEqual([...mapped].sort());
      const retryable = new (cls as unknown as new (m: string) => SandboxSdkError)("x").retryable;
      if (/not retryable/i.test(doc)) expect(retryable).toBe(false);
      else if (/\bretryable\b/i.test(doc)) expect(retryable).toBe(true);
    },
  );
});
