/**
 * SPEC §2: `X.from(error, options?)` on every class of both presets (and a user's), the optional
 * message (`new X()` says the class's own sentence), and the context fields every error carries
 * (`operation`, `sandboxId`, `rawMessage`: set by every mapping, accepted by every constructor).
 *
 * The sources `from` copies are real mapped errors (fetch `Response`s of a gateway mapped by each
 * preset) and errors made with every own field a class has; expectations are what the source carried.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as defaults from "../../src/index.js";
import {
  defineCatalogue,
  ERROR_DOMAIN,
  GrpcCode,
  type MappingContext,
  type MappingScope,
  Reason,
  SandboxSdkError,
} from "../../src/index.js";
import * as modal from "../../src/presets/modal/index.js";
import { toStatusJson } from "../../src/testing/index.js";
import { badRequest, encodeStatusBlob, errorInfo, requestInfo, retryInfo } from "../support/encoder.js";
import { throwingProxy } from "../support/hostile.js";
import { serviceError } from "../support/transport.js";
import { type HttpServer, startHttpServer } from "../support/transports/http.js";

type ErrorClass = typeof SandboxSdkError;

/**
 * The common fields of SPEC §2 that `X.from` carries over from an error of this package: "reason,
 * domain, metadata, retryDelay, grpcCode, details, requestId, rawMessage, operation, sandboxId", and
 * `httpStatus`, the other common field of the table.
 */
const CARRIED = [
  "reason",
  "domain",
  "metadata",
  "retryDelay",
  "grpcCode",
  "details",
  "requestId",
  "rawMessage",
  "httpStatus",
  "operation",
  "sandboxId",
] as const;

/** The error classes an entry exports, by name. */
function classesOf(exports: object): [string, ErrorClass][] {
  return Object.entries(exports).filter(
    (entry): entry is [string, ErrorClass] =>
      typeof entry[1] === "function" && (entry[1] as { prototype?: unknown }).prototype instanceof Error,
  );
}

class AcmeError extends SandboxSdkError {}
class AcmeNotFoundError extends AcmeError {}
const acme = defineCatalogue({ root: AcmeError, codes: { NOT_FOUND: AcmeNotFoundError } });

const DEFAULT_CLASSES = classesOf(defaults);
const MODAL_CLASSES = classesOf(modal);
const USER_CLASSES: [string, ErrorClass][] = [
  ["AcmeError", AcmeError],
  ["AcmeNotFoundError", AcmeNotFoundError],
];
/** Every class, named with its preset. */
const EVERY_CLASS: [string, ErrorClass][] = [
  ...DEFAULT_CLASSES.map(([name, cls]): [string, ErrorClass] => [name, cls]),
  ...MODAL_CLASSES.map(([name, cls]): [string, ErrorClass] => [`modal.${name}`, cls]),
  ...USER_CLASSES.map(([name, cls]): [string, ErrorClass] => [`user.${name}`, cls]),
];

/** A class's own fields: those its instances have beyond the common ones. */
function ownFieldsOf(cls: ErrorClass): string[] {
  return Object.keys(new cls("m")).filter((key) => !(CARRIED as readonly string[]).includes(key));
}

/** A value of the right type for an own field, different for each source. */
function valueFor(field: string, tag: string): unknown {
  if (field === "fieldViolations") return [{ field: `${tag}.a`, description: "is wrong" }];
  if (field === "execResult") return { stdout: tag, stderr: "", exitCode: 3, command: ["run", tag] };
  return `${field}-${tag}`;
}

/**
 * The reason an error of `cls` keeps when given `reason`: SPEC §2's stream errors have none, ever
 * ("reason is always undefined"); every other class keeps it.
 */
function reasonOf(cls: ErrorClass, reason: string | undefined): string | undefined {
  return new cls("m", { reason: "probe" }).reason === undefined ? undefined : reason;
}

/** The common fields of an error, as plain data. */
function carried(error: SandboxSdkError) {
  const record = error as unknown as Record<string, unknown>;
  return Object.fromEntries(
    CARRIED.map((field) => [field, field === "metadata" ? { ...error.metadata } : record[field]]),
  );
}

// ---------------------------------------------------------------------------------------------
// Sources: real mapped errors, every common field set
// ---------------------------------------------------------------------------------------------

let gateway: HttpServer;
/** A failure a gateway sends: every common field has a value once mapped. */
const SENT_BODY = () => ({
  ...toStatusJson(
    {
      code: GrpcCode.UNAVAILABLE,
      message: "runner r-1 is draining",
      details: [
        {
          type: "ErrorInfo",
          reason: Reason.RUNNER_UNAVAILABLE,
          domain: ERROR_DOMAIN,
          metadata: { runner: "r-1" },
        },
        { type: "RetryInfo", retryDelay: 1_500 },
        { type: "RequestInfo", requestId: "req-5", servingData: "" },
      ],
    },
    { form: "aip193" },
  ),
});
const CONTEXT: MappingContext = { operation: "exec", sandboxId: "sb-1" };

/** The gateway's answer, mapped by `preset`'s fromResponse. */
async function mappedBy(
  fromResponse: (response: Response, context: MappingContext) => Promise<SandboxSdkError>,
) {
  const body = SENT_BODY();
  gateway.respond = {
    status: body.error.code,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  return fromResponse(await fetch(`${gateway.url}/v1/sandboxes/sb-1:exec`), CONTEXT);
}

let sources: [string, SandboxSdkError][];

beforeAll(async () => {
  gateway = await startHttpServer({ status: 500 });
  sources = [
    ["a default-preset error", await mappedBy(defaults.fromResponse)],
    ["a Modal error", await mappedBy(modal.fromResponse)],
    ["a user catalogue's error", await mappedBy((response, context) => acme.fromResponse(response, context))],
  ];
});
afterAll(() => gateway?.close());

describe("the sources (the premises of this file)", () => {
  it("set every carried field", () => {
    for (const [name, source] of sources) {
      for (const [field, value] of Object.entries(carried(source))) {
        expect(value, `${name}: ${field}`).toBeDefined();
      }
      expect(source.details.length, name).toBeGreaterThan(0);
      expect(source.cause, name).toBeInstanceOf(Response);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// X.from(an error of this package)
// ---------------------------------------------------------------------------------------------

describe("X.from(an error of this package) carries every common field, the message and the cause", () => {
  it.each(EVERY_CLASS)("%s", (_name, cls) => {
    for (const [name, source] of sources) {
      const made = cls.from(source);
      expect(Object.getPrototypeOf(made), name).toBe(cls.prototype);
      expect(made, name).not.toBe(source);
      expect(carried(made), name).toEqual({ ...carried(source), reason: reasonOf(cls, source.reason) });
      expect(made.message, name).toBe(source.message);
      expect(made.cause, name).toBe(source.cause);
      expect(made.retryable, name).toBe(new cls("m").retryable);
    }
  });

  it.each(EVERY_CLASS)("%s: options win, the message included", (_name, cls) => {
    const cause = new Error("the new cause");
    for (const [name, source] of sources) {
      const made = cls.from(source, {
        message: "re-worded",
        reason: "OTHER_REASON",
        operation: "readFile",
        retryDelay: 7,
        cause,
      });
      expect(made.message, name).toBe("re-worded");
      expect(made.reason, name).toBe(reasonOf(cls, "OTHER_REASON"));
      expect(made.operation, name).toBe("readFile");
      expect(made.retryDelay, name).toBe(7);
      expect(made.cause, name).toBe(cause);
      // What the options leave alone is still carried.
      expect(made.requestId, name).toBe(source.requestId);
      expect(made.sandboxId, name).toBe(source.sandboxId);
      expect(made.grpcCode, name).toBe(source.grpcCode);
    }
  });

  it("options that leave the message out keep the source's; a message of undefined too", () => {
    const [, source] = sources[0] as [string, SandboxSdkError];
    expect(defaults.SandboxError.from(source, { reason: "X" }).message).toBe(source.message);
    expect(defaults.SandboxError.from(source, { message: undefined }).message).toBe(source.message);
  });

  it.each(EVERY_CLASS)("%s: the class's own fields the source shares, and no others", (_name, cls) => {
    const own = ownFieldsOf(cls);
    const defaultsOfTarget = new cls("m") as unknown as Record<string, unknown>;
    for (const [sourceName, sourceClass] of EVERY_CLASS) {
      const sourceOwn = ownFieldsOf(sourceClass);
      const options = Object.fromEntries(sourceOwn.map((field) => [field, valueFor(field, sourceName)]));
      const source = new sourceClass("m", options as never) as unknown as Record<string, unknown>;
      const made = cls.from(source as unknown as SandboxSdkError) as unknown as Record<string, unknown>;
      for (const field of own) {
        const expected = sourceOwn.includes(field) ? source[field] : defaultsOfTarget[field];
        expect(made[field], `${sourceName} → ${field}`).toEqual(expected);
      }
      for (const field of sourceOwn.filter((f) => !own.includes(f))) {
        expect(Object.hasOwn(made, field), `${sourceName} → ${field}`).toBe(false);
      }
    }
  });

  it("another preset's error becomes the target preset's class, with what it carried", () => {
    const [[, defaultSource], [, modalSource]] = sources as [
      [string, SandboxSdkError],
      [string, SandboxSdkError],
    ];
    const asModal = modal.NotFoundError.from(defaultSource);
    expect(asModal).toBeInstanceOf(modal.NotFoundError);
    expect(asModal).not.toBeInstanceOf(defaults.SandboxError);
    expect(carried(asModal)).toEqual(carried(defaultSource));
    const asDefault = defaults.SandboxNotFoundError.from(modalSource, { sandboxId: "sb-9" });
    expect(asDefault).toBeInstanceOf(defaults.SandboxNotFoundError);
    expect(asDefault).not.toBeInstanceOf(modal.ModalError);
    expect(asDefault.sandboxId).toBe("sb-9");
    expect(asDefault.reason).toBe(modalSource.reason);
  });

  it("Modal's FAILED_PRECONDITION + 'Could not find image with ID' re-raised as a NotFoundError (SPEC §2's case)", () => {
    const raw = serviceError(
      9,
      "Could not find image with ID im-1",
      encodeStatusBlob(9, "Could not find image with ID im-1", [requestInfo("req-2")]),
    );
    const conflict = modal.fromGrpcStatus(raw, CONTEXT);
    expect(conflict).toBeInstanceOf(modal.ConflictError);
    const notFound = modal.NotFoundError.from(conflict);
    expect(notFound).toBeInstanceOf(modal.NotFoundError);
    expect(notFound).not.toBeInstanceOf(modal.ConflictError);
    expect(notFound.message).toBe(conflict.message);
    expect(notFound.grpcCode).toBe(9);
    expect(notFound.requestId).toBe("req-2");
    expect(notFound.cause).toBe(raw);
  });
});

// ---------------------------------------------------------------------------------------------
// X.from(anything else)
// ---------------------------------------------------------------------------------------------

const cyclic: { message: string; self?: unknown } = { message: "a cycle" };
cyclic.self = cyclic;

/** Values that are not errors of this package, and the message `from` should take from each. */
const OTHERS: readonly (readonly [string, () => unknown, string | undefined])[] = [
  ["an Error", () => new Error("boom"), "boom"],
  ["a string", () => "plain words", "plain words"],
  ["null", () => null, undefined],
  ["undefined", () => undefined, undefined],
  ["a number", () => 42, undefined],
  ["a cyclic object", () => cyclic, "a cycle"],
  ["a proxy every read of which throws", () => throwingProxy({}), undefined],
  [
    "an object whose message getter throws",
    () => Object.defineProperty({}, "message", { get: boom }),
    undefined,
  ],
  ["an object whose message is not a string", () => ({ message: 7 }), undefined],
  ["a raw grpc-js error (not mapped by from)", () => serviceError(5, "gone"), "5 NOT_FOUND: gone"],
  [
    "a lookalike with an error's fields but no brand",
    () => ({ name: "SandboxNotFoundError", message: "lookalike", reason: "R", grpcCode: 5 }),
    "lookalike",
  ],
];

function boom(): never {
  throw new Error("hostile");
}

describe("X.from(anything else): the value becomes the cause, nothing else is read from it", () => {
  it.each(EVERY_CLASS)("%s", (_name, cls) => {
    const sentence = new cls().message;
    for (const [name, make, message] of OTHERS) {
      const value = make();
      let made: SandboxSdkError | undefined;
      expect(() => {
        made = cls.from(value);
      }, name).not.toThrow();
      expect(Object.getPrototypeOf(made), name).toBe(cls.prototype);
      expect(made?.cause, name).toBe(value);
      expect(made?.message, name).toBe(message ?? sentence);
      for (const field of CARRIED) {
        if (field === "metadata") expect({ ...made?.metadata }, name).toEqual({});
        else if (field === "details") expect(made?.details, name).toEqual([]);
        else expect((made as unknown as Record<string, unknown>)[field], `${name}: ${field}`).toBeUndefined();
      }
    }
  });

  it("options still win over anything else", () => {
    const made = defaults.SandboxError.from(throwingProxy({}), { message: "said", sandboxId: "sb-2" });
    expect(made.message).toBe("said");
    expect(made.sandboxId).toBe("sb-2");
  });

  it("hostile options are passed over, never thrown", () => {
    const [, source] = sources[0] as [string, SandboxSdkError];
    let made: SandboxSdkError | undefined;
    expect(() => {
      made = defaults.SandboxError.from(source, throwingProxy({}) as never);
    }).not.toThrow();
    expect(carried(made as SandboxSdkError)).toEqual(carried(source));
  });
});

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

describe("the stack of X.from starts at its caller", () => {
  function reclassify(cls: ErrorClass, source: unknown): SandboxSdkError {
    return cls.from(source, { message: "one line" });
  }

  it.each(EVERY_CLASS)("%s", (_name, cls) => {
    for (const source of [sources[0]?.[1], new Error("boom"), "text"]) {
      const made = reclassify(cls, source);
      const frames = String(made.stack).split("\n").slice(1);
      expect(frames[0]).toContain("reclassify");
      expect(String(made.stack)).not.toMatch(/src[\\/]core[\\/]/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The optional message
// ---------------------------------------------------------------------------------------------

describe("the optional message: new X() says the class's own default sentence", () => {
  it.each(EVERY_CLASS)("%s", (name, cls) => {
    const sentence = new cls().message;
    expect(typeof sentence).toBe("string");
    expect(sentence.trim()).not.toBe("");
    expect(sentence).not.toBe(cls.prototype.name);
    expect(new cls(undefined, { reason: "R" }).message).toBe(sentence);
    expect(new cls("given").message).toBe("given");
    expect(String(new cls().stack).startsWith(`${cls.prototype.name}: ${sentence}`), name).toBe(true);
  });

  it.each([
    ["the default preset", DEFAULT_CLASSES],
    ["Modal's preset", MODAL_CLASSES],
  ])("in %s, each class says a sentence of its own, not its parent's", (_name, classes) => {
    const sentences = new Map<string, string[]>();
    for (const [name, cls] of classes) {
      const sentence = new cls().message;
      sentences.set(sentence, [...(sentences.get(sentence) ?? []), name]);
    }
    expect([...sentences].filter(([, names]) => names.length > 1)).toEqual([]);
  });

  it("the sentence is the class name in words when the class declares none", () => {
    // Classes whose name in words reads well, and which SPEC §2 leaves to their names.
    const inWords = (cls: ErrorClass) => new cls().message.replace(/\s+/g, "").toLowerCase();
    for (const [cls, name] of [
      [defaults.SandboxNotFoundError, "SandboxNotFound"],
      [modal.NotFoundError, "NotFound"],
      [modal.InternalFailure, "InternalFailure"],
      [AcmeNotFoundError, "AcmeNotFound"],
    ] as const) {
      expect(inWords(cls)).toBe(name.toLowerCase());
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Context on every error
// ---------------------------------------------------------------------------------------------

describe("operation, sandboxId, rawMessage and httpStatus: accepted by every constructor", () => {
  it.each(EVERY_CLASS)("%s", (_name, cls) => {
    const made = new cls("m", {
      operation: "exec",
      sandboxId: "sb-7",
      rawMessage: "raw words",
      httpStatus: 503,
    });
    expect(made).toMatchObject({
      operation: "exec",
      sandboxId: "sb-7",
      rawMessage: "raw words",
      httpStatus: 503,
    });
    const bare = new cls("m");
    for (const field of ["operation", "sandboxId", "rawMessage", "httpStatus"] as const) {
      expect(bare[field], field).toBeUndefined();
    }
  });
});

/** Every failure a mapping can meet: each code, with no reason and with each trusted reason. */
function failures(): [string, unknown, string][] {
  const cases: [string, unknown, string][] = [];
  for (let code = 1; code <= 16; code++) {
    const message = `server words for ${code}`;
    cases.push([`code ${code}`, serviceError(code, message), message]);
    cases.push([
      `code ${code}, too large`,
      serviceError(code, "Received message larger than max (9 vs. 8)"),
      "Received message larger than max (9 vs. 8)",
    ]);
  }
  for (const reason of Object.values(Reason)) {
    const message = `server words for ${reason}`;
    const details = [
      errorInfo(reason, ERROR_DOMAIN, { filepath: "/a" }),
      retryInfo(1),
      badRequest({ field: "f", description: "d" }),
    ];
    for (const code of [5, 9, 13, 14]) {
      cases.push([
        `${reason} under ${code}`,
        serviceError(code, message, encodeStatusBlob(code, message, details)),
        message,
      ]);
    }
  }
  return cases;
}

describe("operation, sandboxId and rawMessage: set by every mapping", () => {
  const FAILURES = failures();
  const SCOPES: (MappingScope | undefined)[] = [undefined, "sandbox", "discovery", "general"];
  const mappings: [string, (error: unknown, context: MappingContext) => SandboxSdkError][] = [
    ...SCOPES.map((scope): [string, (error: unknown, context: MappingContext) => SandboxSdkError] => [
      `the default preset, scope ${scope}`,
      (error, context) => defaults.fromGrpcStatus(error, { ...context, scope }),
    ]),
    ["Modal's preset", (error, context) => modal.fromGrpcStatus(error, context)],
    ["a user catalogue", (error, context) => acme.fromGrpcStatus(error, context)],
  ];

  it.each(mappings)("%s", (_name, map) => {
    const produced = new Set<string>();
    for (const [name, raw, message] of FAILURES) {
      const mapped = map(raw, { operation: "exec", sandboxId: "sb-3", fileSystemSnapshotId: "fss-1" });
      produced.add(mapped.name);
      expect(mapped.operation, name).toBe("exec");
      expect(mapped.sandboxId, name).toBe("sb-3");
      expect(mapped.rawMessage, name).toBe(message);
      // Without a context: nothing made up.
      const bare = map(raw, {});
      expect(bare.operation, name).toBeUndefined();
      expect(bare.sandboxId, name).toBeUndefined();
    }
    // Every class the mapping produced carried them, not only the not-found ones.
    expect(produced.size).toBeGreaterThan(1);
  });

  it.each([
    ["the default preset", defaults.fromGrpcStatus],
    ["Modal's preset", modal.fromGrpcStatus],
  ] as const)("%s: an abort and a network failure carry the context, and no server message", (_name, map) => {
    for (const raw of [new DOMException("stop", "AbortError"), new TypeError("fetch failed")]) {
      const mapped = map(raw, { operation: "exec", sandboxId: "sb-3" });
      expect(mapped.operation).toBe("exec");
      expect(mapped.sandboxId).toBe("sb-3");
      expect(mapped.rawMessage).toBeUndefined();
    }
  });

  it.each([
    ["the default preset", defaults.fromResponse],
    ["Modal's preset", modal.fromResponse],
  ] as const)("%s's fromResponse", async (_name, fromResponse) => {
    const mapped = await mappedBy(fromResponse);
    expect(mapped.operation).toBe(CONTEXT.operation);
    expect(mapped.sandboxId).toBe(CONTEXT.sandboxId);
    expect(mapped.rawMessage).toBe(SENT_BODY().error.message);
  });
});
