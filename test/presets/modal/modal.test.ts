/**
 * Modal's preset, `sandbox-sdk-errors/modal` (SPEC §17), checked against Modal's own sources (copies
 * in `test/fixtures/modal/`): its classes and their parents from `modal/exception.py` and the JS SDK's
 * `errors.ts`, its mapping from `_STATUS_TO_EXCEPTION`, its retry contract from
 * `RETRYABLE_GRPC_STATUS_CODES`. Every table below is read from those texts, never copied by hand.
 *
 * Then what §17 asks beyond Modal's tables: every common field set as the default preset sets it; two
 * presets' same-named classes kept apart (instanceof, JSON, OpenTelemetry); and real parts — a
 * nice-grpc chain with a retry middleware in Modal's manner and the error middleware added last, a
 * connect-es client wrapped by `withErrorMapping`, every road of §13, the caller's abort, a closed
 * port — and the testing kit's round trip.
 */
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import {
  type CallOptions,
  ClientError,
  type ClientMiddleware,
  type ClientMiddlewareCall,
  createChannel,
  createClientFactory,
  Status,
} from "nice-grpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as defaults from "../../../src/index.js";
import {
  GrpcCode,
  type MappingContext,
  otelAttributes,
  parseStatusDetails,
  type SandboxSdkError,
} from "../../../src/index.js";
import * as modal from "../../../src/presets/modal/index.js";
import { checkCatalogue } from "../../support/catalogue-checks.js";
import { badRequest, encodeStatusBlob, errorInfo, requestInfo, retryInfo } from "../../support/encoder.js";
import { ROAD_NAMES, type RoadRun, type Roads, startRoads } from "../../support/roads/roads.js";
import { serviceError } from "../../support/transport.js";
import { type ConnectServer, startConnectServer } from "../../support/transports/connect.js";
import { SandboxService } from "../../support/transports/gen/sandbox_pb.js";
import { type GrpcJsServer, startGrpcJsServer } from "../../support/transports/grpc-js.js";
import {
  type NiceGrpcServer,
  niceSandboxService,
  startNiceGrpcServer,
} from "../../support/transports/nice-grpc.js";
import {
  answers,
  type Failure,
  failWith,
  rejection,
  type Script,
  scripted,
  statusBlob,
  succeed,
} from "../../support/transports/script.js";

// ---------------------------------------------------------------------------------------------
// Modal's sources, read
// ---------------------------------------------------------------------------------------------

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/modal/${name}`, import.meta.url), "utf8");
const PYTHON_EXCEPTIONS = fixture("exception.py");
const PYTHON_GRPC_CLIENT = fixture("_grpc_client.py");
const PYTHON_GRPC_UTILS = fixture("grpc_utils.py");
const JS_ERRORS = fixture("errors.ts.txt");

type CodeName = keyof typeof GrpcCode;
const codeName = (code: number) =>
  (Object.keys(GrpcCode) as CodeName[]).find((name) => GrpcCode[name] === code) as CodeName;

/** `class Name(Base, Other):` of `modal/exception.py`: each class's bases and docstring. */
function pythonClasses(): Map<string, { bases: string[]; doc: string }> {
  const classes = new Map<string, { bases: string[]; doc: string }>();
  for (const match of PYTHON_EXCEPTIONS.matchAll(/^class (\w+)\(([^)]*)\):\s*(?:"""([\s\S]*?)""")?/gm)) {
    const bases = (match[2] as string).split(",").map((base) => base.trim());
    classes.set(match[1] as string, { bases, doc: match[3] ?? "" });
  }
  return classes;
}

/** `export class Name extends Base {` of the JS SDK's `errors.ts`, and its default message if any. */
function jsClasses(): Map<string, { parent: string; defaultMessage: string | undefined }> {
  const classes = new Map<string, { parent: string; defaultMessage: string | undefined }>();
  for (const match of JS_ERRORS.matchAll(
    /export class (\w+) extends (\w+) \{\s*constructor\(\s*message: string(?: = ("[^"]*"))?/g,
  )) {
    classes.set(match[1] as string, {
      parent: match[2] as string,
      defaultMessage: match[3] === undefined ? undefined : (JSON.parse(match[3]) as string),
    });
  }
  return classes;
}

const PYTHON = pythonClasses();
const JS = jsClasses();

/**
 * This package's name for a Python class: `modal.exception.Error` is `ModalError` (SPEC §17); a class
 * the JS SDK names with an `Error` suffix (`ClientClosed` → `ClientClosedError`) takes the JS name.
 */
function ourName(python: string): string {
  if (python === "Error") return "ModalError";
  return !JS.has(python) && JS.has(`${python}Error`) ? `${python}Error` : python;
}

/** Whether a Python class is a Modal error: `Error` or a class one of whose bases is one. */
function isModalError(name: string, seen = new Set<string>()): boolean {
  if (name === "Error") return true;
  const found = PYTHON.get(name);
  if (found === undefined || seen.has(name)) return false;
  seen.add(name);
  return found.bases.some((base) => isModalError(base, seen));
}

/**
 * Every Modal error class with its parent, in this package's names: Python's (its first base that is a
 * Modal error), and the JS SDK's classes Python lacks (whose `Error` parent is the root).
 */
function expectedTree(): Map<string, string | undefined> {
  const tree = new Map<string, string | undefined>();
  for (const [name, { bases }] of PYTHON) {
    if (!isModalError(name) || name === "Error") continue;
    tree.set(ourName(name), ourName(bases.find((base) => isModalError(base)) as string));
  }
  for (const [name, { parent }] of JS) {
    if (!tree.has(name)) tree.set(name, parent === "Error" ? "ModalError" : parent);
  }
  tree.set("ModalError", undefined);
  return tree;
}

const TREE = expectedTree();

/** `_STATUS_TO_EXCEPTION` of `modal/_grpc_client.py`: code name → class, in this package's names. */
function statusToException(): Map<CodeName, string> {
  const block = /_STATUS_TO_EXCEPTION[^{]*\{([^}]*)\}/.exec(PYTHON_GRPC_CLIENT)?.[1] ?? "";
  const table = new Map<CodeName, string>();
  for (const match of block.matchAll(/Status\.(\w+):\s*exception\.(\w+)/g)) {
    table.set(match[1] as CodeName, ourName(match[2] as string));
  }
  return table;
}

/** `RETRYABLE_GRPC_STATUS_CODES` of `modal/_utils/grpc_utils.py`. */
function retryableCodes(): Set<CodeName> {
  const block = /RETRYABLE_GRPC_STATUS_CODES\s*=\s*\[([^\]]*)\]/.exec(PYTHON_GRPC_UTILS)?.[1] ?? "";
  return new Set([...block.matchAll(/Status\.(\w+)/g)].map((match) => match[1] as CodeName));
}

const TABLE = statusToException();
const RETRYABLE_CODES = retryableCodes();
/**
 * The classes retrying may help: those Modal maps a retryable code to, and those whose Python
 * docstring says they are retriable (`InternalFailure`: "Retriable internal error.").
 */
const RETRYABLE_CLASSES = new Set([
  ...[...RETRYABLE_CODES].map((code) => TABLE.get(code) as string),
  ...[...PYTHON]
    .filter(([name, { doc }]) => isModalError(name) && /\bretr[iy]able\b/i.test(doc))
    .map(([name]) => ourName(name)),
]);

type ErrorClass = typeof modal.ModalError;
const MODAL_EXPORTS = modal as unknown as Record<string, unknown>;
const DEFAULT_EXPORTS = defaults as unknown as Record<string, unknown>;

/** The error classes an entry exports, by name. */
function classesOf(exports: Record<string, unknown>): Map<string, ErrorClass> {
  const classes = new Map<string, ErrorClass>();
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === "function" && value.prototype instanceof Error)
      classes.set(name, value as ErrorClass);
  }
  return classes;
}

const MODAL_CLASSES = classesOf(MODAL_EXPORTS);
const DEFAULT_CLASSES = classesOf(DEFAULT_EXPORTS);
const classNamed = (name: string): ErrorClass => {
  const found = MODAL_CLASSES.get(name);
  if (found === undefined) throw new Error(`sandbox-sdk-errors/modal exports no class ${name}`);
  return found;
};

// ---------------------------------------------------------------------------------------------
// The classes
// ---------------------------------------------------------------------------------------------

describe("Modal's sources, as read (the premises of this file)", () => {
  it("name a code → class table for every code but OK, retryable codes among them, and JS default messages", () => {
    const codes = Object.keys(GrpcCode).filter((name) => name !== "OK");
    expect([...TABLE.keys()].sort()).toEqual(codes.sort());
    expect(RETRYABLE_CODES.size).toBeGreaterThan(0);
    for (const code of RETRYABLE_CODES) expect(TABLE.has(code), code).toBe(true);
    // SPEC §17 names these two defaults; the JS SDK's source must say them.
    for (const name of ["ClientClosedError", "SandboxTimeoutError"]) {
      expect(JS.get(name)?.defaultMessage, name).toBeDefined();
    }
  });

  it("never map two codes of opposite retry contracts to one class", () => {
    for (const [code, name] of TABLE) {
      if (!RETRYABLE_CODES.has(code)) expect(RETRYABLE_CLASSES.has(name), `${code} → ${name}`).toBe(false);
    }
  });
});

describe("the classes of sandbox-sdk-errors/modal", () => {
  it("are exactly Modal's error classes (Python's and the JS SDK's), no more", () => {
    expect([...MODAL_CLASSES.keys()].sort()).toEqual([...TREE.keys()].sort());
  });

  it("leave out Python's warnings and BaseExceptions, which are not errors an SDK throws", () => {
    const notErrors = [...PYTHON.keys()].filter((name) => !name.startsWith("_") && !isModalError(name));
    expect(notErrors.length).toBeGreaterThan(0);
    for (const name of notErrors) expect(MODAL_EXPORTS[name], name).toBeUndefined();
  });

  it.each([...TREE])("%s extends %s, under its own name", (name, parent) => {
    const cls = classNamed(name);
    const parentClass = parent === undefined ? defaults.SandboxSdkError : classNamed(parent);
    expect(Object.getPrototypeOf(cls)).toBe(parentClass);
    const error = new cls("m");
    expect(error.name).toBe(name);
    expect(cls.prototype.name).toBe(name);
    expect(error).toBeInstanceOf(parentClass);
    expect(error).toBeInstanceOf(modal.ModalError);
    expect(error).toBeInstanceOf(defaults.SandboxSdkError);
    expect(error).toBeInstanceOf(Error);
    expect(defaults.isSandboxSdkError(error)).toBe(true);
    if (parent !== undefined) expect(new parentClass("m")).not.toBeInstanceOf(cls);
    expect(String(error.stack).startsWith(`${name}: m`)).toBe(true);
  });

  it.each([...JS].filter(([, { defaultMessage }]) => defaultMessage !== undefined))(
    "%s says the JS SDK's default message when given none",
    (name, { defaultMessage }) => {
      expect(new (classNamed(name))().message).toBe(defaultMessage);
      expect(new (classNamed(name))(undefined, { reason: "R" }).message).toBe(defaultMessage);
      expect(new (classNamed(name))("given").message).toBe("given");
    },
  );

  it.each([...TREE.keys()])("%s has a default sentence", (name) => {
    const message = new (classNamed(name))().message;
    expect(typeof message).toBe("string");
    expect(message.trim().length).toBeGreaterThan(0);
    // A sentence, not the identifier.
    expect(message).not.toBe(name);
  });

  it.each([...TREE.keys()])("%s is retryable exactly when Modal retries it", (name) => {
    const error = new (classNamed(name))("m");
    const expected = RETRYABLE_CLASSES.has(name);
    expect(error.retryable).toBe(expected);
    expect(modal.isRetryable(error)).toBe(expected);
    // The default entry's isRetryable reads the class's own declaration, whatever its preset.
    expect(defaults.isRetryable(error)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// The mapping
// ---------------------------------------------------------------------------------------------

const CONTEXT: MappingContext = { operation: "getSandbox", sandboxId: "sb-1" };

/** A message of Modal's server for `code`, never one that says a message was too large. */
const messageFor = (code: CodeName) => `${code.toLowerCase().replaceAll("_", " ")} on sb-1`;

describe("fromGrpcStatus of sandbox-sdk-errors/modal is Modal's _STATUS_TO_EXCEPTION", () => {
  it.each([...TABLE])("%s gives %s, the server's message bare", (code, name) => {
    const message = messageFor(code);
    const mapped = modal.fromGrpcStatus(serviceError(GrpcCode[code], message), CONTEXT);
    expect(Object.getPrototypeOf(mapped)).toBe(classNamed(name).prototype);
    expect(mapped.message).toBe(message);
    expect(mapped.rawMessage).toBe(message);
    expect(mapped.grpcCode).toBe(GrpcCode[code]);
  });

  it.each([...TABLE])("%s with an empty message says the code's name", (code, name) => {
    const mapped = modal.fromGrpcStatus(serviceError(GrpcCode[code], ""), CONTEXT);
    expect(mapped.name).toBe(name);
    expect(mapped.message).toBe(code);
    expect(mapped.rawMessage).toBeUndefined();
  });

  it.each([...TABLE])(
    "a raw %s is retryable exactly when its code is one of Modal's retryable codes",
    (code) => {
      const raw = serviceError(GrpcCode[code], messageFor(code));
      expect(modal.isRetryable(raw)).toBe(RETRYABLE_CODES.has(code));
      expect(modal.fromGrpcStatus(raw).retryable).toBe(RETRYABLE_CODES.has(code));
    },
  );

  it.each([
    ["grpc-js's receive limit", "Received message larger than max (5242880 vs. 4194304)"],
    ["grpc-js's decompression limit", "Received message that decompresses to a size larger than 4194304"],
  ])(
    "RESOURCE_EXHAUSTED saying a message was too large (%s) gives RequestSizeError, not retryable",
    (_name, message) => {
      const raw = serviceError(GrpcCode.RESOURCE_EXHAUSTED, message);
      const mapped = modal.fromGrpcStatus(raw, CONTEXT);
      expect(mapped).toBeInstanceOf(modal.RequestSizeError);
      expect(mapped).not.toBeInstanceOf(modal.ResourceExhaustedError);
      expect(mapped.message).toBe(message);
      expect(mapped.retryable).toBe(false);
      expect(modal.isRetryable(raw)).toBe(false);
    },
  );

  it("RESOURCE_EXHAUSTED otherwise gives the table's class", () => {
    const mapped = modal.fromGrpcStatus(
      serviceError(GrpcCode.RESOURCE_EXHAUSTED, "quota of 10 sandboxes reached"),
    );
    expect(mapped.name).toBe(TABLE.get("RESOURCE_EXHAUSTED"));
  });

  describe("a message over grpc-js's receive limit, from a real grpc-js client", () => {
    let server: GrpcJsServer;
    beforeAll(async () => {
      server = await startGrpcJsServer(succeed);
    });
    afterAll(() => server?.close());

    it("gives RequestSizeError with grpc-js's own words", async () => {
      // The answer (a Sandbox message) is longer than the client accepts.
      const client = server.sandboxClient({ "grpc.max_receive_message_length": 4 });
      const raw = (await rejection(
        new Promise((resolve, reject) =>
          client.getSandbox?.({ sandboxId: "sb-1" }, (error: Error | null, answer: unknown) =>
            error ? reject(error) : resolve(answer),
          ),
        ),
      )) as { code: number; details: string };
      expect(raw.code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
      const mapped = modal.fromGrpcStatus(raw, CONTEXT);
      expect(mapped).toBeInstanceOf(modal.RequestSizeError);
      expect(mapped.message).toBe(raw.details);
      expect(mapped.retryable).toBe(false);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Every common field, as the default preset sets it
// ---------------------------------------------------------------------------------------------

/** The fields of §2 every error carries (all but `name`, `message`, `cause` and `retryable`). */
function commonFields(error: SandboxSdkError) {
  return {
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    grpcCode: error.grpcCode,
    details: error.details,
    requestId: error.requestId,
    rawMessage: error.rawMessage,
    httpStatus: error.httpStatus,
    operation: error.operation,
    sandboxId: error.sandboxId,
  };
}

describe("every common field is set as the default preset sets it", () => {
  const details = [
    errorInfo("MODAL_SANDBOX_GONE", "modal.com", { sandbox_id: "sb-1", region: "us-east" }),
    retryInfo(2, 125_000_000),
    requestInfo("req-17"),
    badRequest({ field: "image", description: "must not be empty" }),
  ];

  it.each([...TABLE.keys()])("%s", (code) => {
    const blob = encodeStatusBlob(GrpcCode[code], messageFor(code), details);
    const raw = serviceError(GrpcCode[code], messageFor(code), blob);
    const mapped = modal.fromGrpcStatus(raw, CONTEXT);
    expect(commonFields(mapped)).toEqual(commonFields(defaults.fromGrpcStatus(raw, CONTEXT)));
    // And what the status says, read from what the encoder was given.
    expect(mapped).toMatchObject({
      reason: "MODAL_SANDBOX_GONE",
      domain: "modal.com",
      retryDelay: 2_125,
      requestId: "req-17",
      rawMessage: messageFor(code),
      operation: CONTEXT.operation,
      sandboxId: CONTEXT.sandboxId,
      grpcCode: GrpcCode[code],
    });
    expect({ ...mapped.metadata }).toEqual({ sandbox_id: "sb-1", region: "us-east" });
    expect(mapped.details).toEqual(parseStatusDetails(blob)?.details);
    expect(mapped.cause).toBe(raw);
  });
});

// ---------------------------------------------------------------------------------------------
// Two presets, two hierarchies
// ---------------------------------------------------------------------------------------------

/** Class names both entries export. */
const SHARED = [...MODAL_CLASSES.keys()].filter((name) => DEFAULT_CLASSES.has(name));

describe("two presets' classes are two hierarchies that meet only at SandboxSdkError", () => {
  it("the presets share the class names §17 names", () => {
    for (const name of [
      "SandboxTimeoutError",
      "SandboxTerminatedError",
      "RequestSizeError",
      "ClientClosedError",
      "PermissionDeniedError",
    ]) {
      expect(SHARED).toContain(name);
    }
  });

  it.each(SHARED)("Modal's %s and the default one are different classes, in both directions", (name) => {
    const ModalClass = classNamed(name);
    const DefaultClass = DEFAULT_CLASSES.get(name) as ErrorClass;
    expect(ModalClass).not.toBe(DefaultClass);
    expect(new ModalClass()).not.toBeInstanceOf(DefaultClass);
    expect(new DefaultClass()).not.toBeInstanceOf(ModalClass);
    expect(DefaultClass.isInstance(new ModalClass())).toBe(false);
    expect(ModalClass.isInstance(new DefaultClass())).toBe(false);
    expect(ModalClass.isInstance(new ModalClass())).toBe(true);
  });

  it("no Modal error is an instance of a default class but the root, and the reverse", () => {
    for (const [modalName, ModalClass] of MODAL_CLASSES) {
      for (const [defaultName, DefaultClass] of DEFAULT_CLASSES) {
        if (DefaultClass === defaults.SandboxSdkError) continue;
        expect(new ModalClass() instanceof DefaultClass, `${modalName} / ${defaultName}`).toBe(false);
        expect(new DefaultClass() instanceof ModalClass, `${defaultName} / ${modalName}`).toBe(false);
      }
    }
  });

  it.each([...MODAL_CLASSES])(
    "fromJSON revives Modal's %s as itself, the JSON saying its preset",
    (_name, cls) => {
      const error = new cls("it failed", {
        ...CONTEXT,
        reason: "R",
        grpcCode: 9,
        retryDelay: 5,
        requestId: "q",
      });
      const json = error.toJSON();
      expect(json.preset).toBe("modal");
      const revived = defaults.SandboxSdkError.fromJSON(JSON.stringify(error));
      expect(Object.getPrototypeOf(revived)).toBe(cls.prototype);
      expect(revived.message).toBe(error.message);
      expect(commonFields(revived)).toEqual(commonFields(error));
    },
  );

  it.each([...DEFAULT_CLASSES])(
    "fromJSON revives the default %s as itself, no preset written",
    (_name, cls) => {
      const error = new cls("it failed", { ...CONTEXT, reason: "R" });
      expect("preset" in error.toJSON()).toBe(false);
      expect(Object.getPrototypeOf(defaults.SandboxSdkError.fromJSON(JSON.stringify(error)))).toBe(
        cls.prototype,
      );
    },
  );

  it.each([...MODAL_CLASSES])(
    "Modal's %s in a JSON without a preset (an older version's) revives by name under the default preset",
    (name, cls) => {
      const { preset: _preset, ...older } = new cls("it failed").toJSON();
      const revived = defaults.SandboxSdkError.fromJSON(older);
      // A name the default preset lacks is an unknown name: a SandboxSdkError (§2).
      const expected = DEFAULT_CLASSES.get(name) ?? defaults.SandboxSdkError;
      expect(Object.getPrototypeOf(revived)).toBe(expected.prototype);
    },
  );

  it("a Modal cause inside a default error revives to Modal's class", () => {
    const inner = new modal.SandboxTimeoutError(undefined, { sandboxId: "sb-1" });
    const outer = new defaults.SandboxCommandTimeoutError("exec timed out", { cause: inner });
    const revived = defaults.SandboxSdkError.fromJSON(JSON.stringify(outer));
    expect(revived).toBeInstanceOf(defaults.SandboxCommandTimeoutError);
    expect(revived.cause).toBeInstanceOf(modal.SandboxTimeoutError);
    expect(revived.cause).not.toBeInstanceOf(defaults.SandboxTimeoutError);
  });

  it.each([...MODAL_CLASSES])("otelAttributes names Modal's %s with its preset", (name, cls) => {
    const { preset } = new cls().toJSON();
    const qualified = `${preset}.${name}`;
    const attributes = otelAttributes(new cls());
    expect(attributes["sandbox.error.class"]).toBe(qualified);
    expect(attributes["error.type"]).toBe(qualified);
    // With a code, error.type is the code's name, and the class keeps its preset.
    const coded = otelAttributes(new cls("m", { grpcCode: GrpcCode.UNAVAILABLE }));
    expect(coded["error.type"]).toBe("UNAVAILABLE");
    expect(coded["sandbox.error.class"]).toBe(qualified);
  });

  it("otelAttributes names the default preset's same-named classes bare", () => {
    for (const name of SHARED) {
      expect(otelAttributes(new (DEFAULT_CLASSES.get(name) as ErrorClass)())["sandbox.error.class"]).toBe(
        name,
      );
    }
  });

  it("an error of either preset passes through the other's fromGrpcStatus unchanged", () => {
    const modalError = new modal.SandboxTimeoutError();
    const defaultError = new defaults.SandboxTimeoutError("m");
    expect(defaults.fromGrpcStatus(modalError)).toBe(modalError);
    expect(modal.fromGrpcStatus(defaultError)).toBe(defaultError);
  });
});

// ---------------------------------------------------------------------------------------------
// Real parts: nice-grpc with a retry middleware in Modal's manner
// ---------------------------------------------------------------------------------------------

/** Waits `ms`, or rejects with the signal's reason when it aborts first (Modal's `sleep`). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

type ModalRetryOptions = { retries?: number; baseDelay?: number; maxDelay?: number; delayFactor?: number };

/** Modal's retryable codes, as nice-grpc's `Status` numbers. */
const RETRYABLE_STATUSES = new Set([...RETRYABLE_CODES].map((code) => Status[code]));

/**
 * A retry middleware in the manner of Modal's JS SDK (`js/src/client.ts`): unary calls only; a
 * `ClientError` whose code is one of Modal's retryable codes is retried after an exponential back-off
 * the caller's signal cuts short, up to `retries` times; anything else is re-thrown at once. It tells
 * what to retry with `err instanceof ClientError`, as Modal's does: it must see nice-grpc's own
 * errors, so the error middleware goes after it in the chain (added last: outermost).
 */
const modalRetryMiddleware: ClientMiddleware<ModalRetryOptions> = async function* retryMiddleware<
  Request,
  Response,
>(call: ClientMiddlewareCall<Request, Response>, options: CallOptions & ModalRetryOptions) {
  const { retries = 3, baseDelay = 5, maxDelay = 40, delayFactor = 2, signal, ...rest } = options;
  if (call.requestStream || call.responseStream || !retries) {
    return yield* call.next(call.request, { ...rest, signal });
  }
  let delayMs = baseDelay;
  for (let attempt = 0; ; attempt++) {
    try {
      return yield* call.next(call.request, { ...rest, signal });
    } catch (error) {
      if (!(error instanceof ClientError) || !RETRYABLE_STATUSES.has(error.code) || attempt >= retries) {
        throw error;
      }
      await sleep(delayMs, signal);
      delayMs = Math.min(delayMs * delayFactor, maxDelay);
    }
  }
};

const GET = { sandboxId: "sb-1" };

/** A failure as Modal's server sends it, with details in the trailer. */
const DRAINING: Failure = {
  code: GrpcCode.UNAVAILABLE,
  message: "worker draining",
  details: [
    { type: "ErrorInfo", reason: "WORKER_DRAINING", domain: "modal.com", metadata: { worker: "w-1" } },
    { type: "RetryInfo", retryDelay: 1_250 },
    { type: "RequestInfo", requestId: "req-3", servingData: "" },
  ],
};

/** Fails the first `times` calls with `failure`, then answers; counts the calls. */
function failFirst(times: number, failure: Failure): { script: Script; calls: () => number } {
  let calls = 0;
  return {
    script: () => (++calls <= times ? failure : undefined),
    calls: () => calls,
  };
}

describe("nice-grpc: Modal's preset's error middleware added last, after a retry middleware in Modal's manner", () => {
  let server: NiceGrpcServer;
  const channels: ReturnType<typeof createChannel>[] = [];
  beforeAll(async () => {
    server = await startNiceGrpcServer(succeed);
  });
  afterAll(async () => {
    for (const channel of channels) channel.close();
    await server?.close();
  });

  /** A client whose middleware are added in `order` (nice-grpc runs the last added outermost). */
  function client(order: "retry, then errors" | "errors, then retry") {
    const channel = createChannel(server.address);
    channels.push(channel);
    const factory =
      order === "retry, then errors"
        ? createClientFactory().use(modalRetryMiddleware).use(modal.niceGrpcErrorMiddleware())
        : createClientFactory().use(modal.niceGrpcErrorMiddleware()).use(modalRetryMiddleware);
    return factory.create(niceSandboxService, channel);
  }

  /** What Modal's preset makes of the failure on its own: one attempt, middleware alone. */
  async function alone(failure: Failure): Promise<SandboxSdkError> {
    const channel = createChannel(server.address);
    channels.push(channel);
    const single = createClientFactory()
      .use(modal.niceGrpcErrorMiddleware())
      .create(niceSandboxService, channel);
    return (await scripted(server, failWith(failure), () =>
      rejection(single.getSandbox(GET)),
    )) as SandboxSdkError;
  }

  it("retries a retryable failure and hands on the answer, untouched", async () => {
    const { script, calls } = failFirst(2, DRAINING);
    const answer = await scripted(server, script, () => client("retry, then errors").getSandbox(GET));
    expect(answer).toEqual(answers.getSandbox(GET));
    expect(calls()).toBe(3);
  });

  it("maps the last attempt's failure once the retries run out, with every detail of its trailers", async () => {
    const { script, calls } = failFirst(Number.POSITIVE_INFINITY, DRAINING);
    const thrown = await scripted(server, script, () =>
      rejection(client("retry, then errors").getSandbox(GET, { retries: 2 })),
    );
    expect(calls()).toBe(3);
    expect(thrown).toBeInstanceOf(modal.ServiceError);
    const mapped = thrown as SandboxSdkError;
    expect(mapped.cause).toBeInstanceOf(ClientError);
    expect(commonFields(mapped)).toEqual(commonFields(await alone(DRAINING)));
    const sent = parseStatusDetails(statusBlob(DRAINING));
    expect(mapped).toMatchObject({
      reason: sent?.reason,
      domain: sent?.domain,
      retryDelay: sent?.retryDelay,
      requestId: sent?.requestId,
      operation: "getSandbox",
      rawMessage: DRAINING.message,
      message: DRAINING.message,
    });
  });

  it("does not retry what Modal does not retry", async () => {
    const notFound: Failure = { code: GrpcCode.NOT_FOUND, message: "no such sandbox" };
    const { script, calls } = failFirst(Number.POSITIVE_INFINITY, notFound);
    const thrown = await scripted(server, script, () =>
      rejection(client("retry, then errors").getSandbox(GET)),
    );
    expect(calls()).toBe(1);
    expect((thrown as Error).name).toBe(TABLE.get("NOT_FOUND"));
  });

  it("added before the retry middleware instead, the retry middleware sees a mapped error, not a ClientError, and cannot retry: why it goes last", async () => {
    const { script, calls } = failFirst(2, DRAINING);
    const thrown = await scripted(server, script, () =>
      rejection(client("errors, then retry").getSandbox(GET)),
    );
    expect(calls()).toBe(1);
    expect(thrown).toBeInstanceOf(modal.ServiceError);
  });

  it("re-throws the caller's abort as itself, through the retry's back-off", async () => {
    const abort = new AbortController();
    const reason = new Error("the user pressed Ctrl-C");
    const { script, calls } = failFirst(Number.POSITIVE_INFINITY, DRAINING);
    const thrown = await scripted(server, script, async () => {
      const call = client("retry, then errors").getSandbox(GET, { signal: abort.signal, baseDelay: 60_000 });
      // Abort once the first attempt has failed and the back-off has started.
      while (calls() === 0) await sleep(1, undefined);
      await sleep(20, undefined);
      abort.abort(reason);
      return rejection(call);
    });
    expect(thrown).toBe(reason);
    expect(calls()).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Real parts: connect-es wrapped by Modal's withErrorMapping
// ---------------------------------------------------------------------------------------------

describe("connect-es clients wrapped by Modal's withErrorMapping, against a real connect-node server", () => {
  let server: ConnectServer;
  beforeAll(async () => {
    server = await startConnectServer(succeed);
  });
  afterAll(() => server?.close());

  const protocols = ["connect", "grpc", "grpc-web"] as const;
  const cases = protocols.flatMap((protocol) =>
    [...TABLE].map(([code, name]) => [protocol, code, name] as const),
  );

  it.each(cases)("%s: %s gives %s", async (protocol, code, name) => {
    const failure: Failure = { ...DRAINING, code: GrpcCode[code], message: messageFor(code) };
    const client = modal.withErrorMapping(createClient(SandboxService, server.transport(protocol)), {
      sandboxId: "sb-1",
    });
    const thrown = (await scripted(server, failWith(failure), () =>
      rejection(client.getSandbox(GET)),
    )) as SandboxSdkError;
    expect(thrown.name).toBe(name);
    expect(thrown).toBeInstanceOf(classNamed(name));
    expect(thrown.cause).toBeInstanceOf(ConnectError);
    expect(thrown.message).toBe(failure.message);
    expect(thrown.operation).toBe("getSandbox");
    expect(thrown.sandboxId).toBe("sb-1");
    // The same fields the default preset would set for the same ConnectError.
    expect(commonFields(thrown)).toEqual(
      commonFields(defaults.fromGrpcStatus(thrown.cause, { operation: "getSandbox", sandboxId: "sb-1" })),
    );
    expect(thrown.reason).toBe("WORKER_DRAINING");
    expect(thrown.retryDelay).toBe(1_250);
  });

  it.each(protocols)("%s: the caller's abort is re-thrown as itself, never mapped", async (protocol) => {
    const client = modal.withErrorMapping(createClient(SandboxService, server.transport(protocol)));
    const abort = new AbortController();
    const reason = new Error("the user gave up");
    abort.abort(reason);
    expect(await rejection(client.getSandbox(GET, { signal: abort.signal }))).toBe(reason);
  });

  it.each(protocols)(
    "%s: a closed port is a retryable ServiceError, UNAVAILABLE, with no server message",
    async (protocol) => {
      const port = await closedPort();
      const { createConnectTransport, createGrpcTransport, createGrpcWebTransport } = await import(
        "@connectrpc/connect-node"
      );
      const make = {
        connect: createConnectTransport,
        grpc: createGrpcTransport,
        "grpc-web": createGrpcWebTransport,
      };
      const transport = make[protocol]({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "2" });
      const client = modal.withErrorMapping(createClient(SandboxService, transport));
      const thrown = (await rejection(client.getSandbox(GET))) as SandboxSdkError;
      expect(thrown).toBeInstanceOf(modal.ServiceError);
      expect(thrown.retryable).toBe(true);
      expect(thrown.grpcCode).toBe(GrpcCode.UNAVAILABLE);
      expect(thrown.rawMessage).toBeUndefined();
      expect((thrown.cause as ConnectError).code).toBeOneOf([Code.Unavailable, Code.Unknown, Code.Internal]);
    },
  );
});

/** A port on 127.0.0.1 nobody listens on: one the system gave out, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("client-side failures", () => {
  it.each([
    ["an AbortError", new DOMException("stop", "AbortError"), "was aborted"],
    ["a TimeoutError", new DOMException("too slow", "TimeoutError"), "timed out"],
  ])("%s gives Modal's root, not retryable, with no code", (_name, abort, words) => {
    const mapped = modal.fromGrpcStatus(abort, CONTEXT);
    expect(Object.getPrototypeOf(mapped)).toBe(modal.ModalError.prototype);
    expect(mapped.grpcCode).toBeUndefined();
    expect(mapped.retryable).toBe(false);
    expect(mapped.message).toBe(`${CONTEXT.operation} ${words}`);
    expect(modal.isRetryable(abort)).toBe(false);
  });

  it("fetch's network failure to a closed port is a retryable ServiceError", async () => {
    const raw = await rejection(fetch(`http://127.0.0.1:${await closedPort()}/`));
    const mapped = modal.fromGrpcStatus(raw, CONTEXT);
    expect(mapped).toBeInstanceOf(modal.ServiceError);
    expect(mapped.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    expect(mapped.rawMessage).toBeUndefined();
    expect(modal.isRetryable(raw)).toBe(true);
  });

  it("nice-grpc with Modal's middleware to a closed port is a retryable ServiceError", async () => {
    const channel = createChannel(`127.0.0.1:${await closedPort()}`);
    try {
      const client = createClientFactory()
        .use(modal.niceGrpcErrorMiddleware())
        .create(niceSandboxService, channel);
      const thrown = (await rejection(client.getSandbox(GET))) as SandboxSdkError;
      expect(thrown).toBeInstanceOf(modal.ServiceError);
      expect(thrown.retryable).toBe(true);
      expect(thrown.grpcCode).toBe(GrpcCode.UNAVAILABLE);
    } finally {
      channel.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Every road of §13, mapped with Modal's catalogue
// ---------------------------------------------------------------------------------------------

/** One failure per row of Modal's table, the size-limit rule, and an empty message. */
const ROAD_FAILURES: readonly (readonly [string, Failure])[] = [
  ...[...TABLE.keys()].map((code): [string, Failure] => [
    code,
    {
      code: GrpcCode[code],
      message: messageFor(code),
      details: [
        { type: "ErrorInfo", reason: "MODAL_REASON", domain: "modal.com", metadata: { code } },
        { type: "RetryInfo", retryDelay: 750 },
        { type: "RequestInfo", requestId: `req-${code}`, servingData: "" },
      ],
    },
  ]),
  [
    "RESOURCE_EXHAUSTED, too large",
    { code: GrpcCode.RESOURCE_EXHAUSTED, message: "Received message larger than max (5242880 vs. 4194304)" },
  ],
  ["NOT_FOUND, empty message", { code: GrpcCode.NOT_FOUND, message: "" }],
];

/** What §13 says must be equal on every road, and the context's fields. */
function roadFields(error: SandboxSdkError) {
  const { httpStatus: _httpStatus, ...fields } = commonFields(error);
  return {
    name: error.name,
    message: error.message,
    retryable: error.retryable,
    ...fields,
    details: error.details.filter((detail) => detail.type !== "Unknown"),
  };
}

describe("every road of §13, mapped with Modal's catalogue, gives what grpc-js gives", () => {
  let roads: Roads;
  beforeAll(async () => {
    roads = await startRoads(modal.modal);
  });
  afterAll(() => roads?.close());

  const run = (name: (typeof ROAD_NAMES)[number], failure: Failure): Promise<RoadRun> => {
    const road = roads.byName.get(name);
    if (road === undefined) throw new Error(`no road ${name}`);
    return road.run(failure, CONTEXT);
  };

  describe.each(ROAD_FAILURES)("%s", (_name, failure) => {
    it.each(ROAD_NAMES)("%s", async (name) => {
      const reference = (await run("grpc-js", failure)).mapped;
      expect(reference.name).toBe(
        failure.message?.includes("larger than max") ? "RequestSizeError" : TABLE.get(codeName(failure.code)),
      );
      const { raw, mapped, shape } = await run(name, failure);
      expect(Object.getPrototypeOf(mapped), shape).toBe(Object.getPrototypeOf(reference));
      expect(roadFields(mapped), shape).toEqual(roadFields(reference));
      // httpStatus: the Response's status where the road had one; else what the default preset reads.
      if (raw instanceof Response) expect(mapped.httpStatus).toBe(raw.status);
      else {
        const cause = defaults.isSandboxSdkError(raw) ? raw.cause : raw;
        expect(mapped.httpStatus).toBe(defaults.fromGrpcStatus(cause).httpStatus);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The testing kit
// ---------------------------------------------------------------------------------------------

checkCatalogue<MappingContext>({
  name: "Modal",
  catalogue: modal.modal,
  exports: MODAL_EXPORTS,
  contextFor: () => ({ operation: "getSandbox", sandboxId: "sb-1" }),
});
