#!/usr/bin/env node
// Fuzzes the BUILT package (dist/index.js) the way production will meet it, on every road in:
//
// - binary: mutations of the golden vectors, random bytes and random base64 text, through
//   parseStatusDetails and fromGrpcStatus (as a grpc-js ServiceError or a protobuf-ts RpcError);
// - JSON: AIP-193 bodies, proto3 `google.rpc.Status` JSON and Connect error bodies (unary and
//   end-stream), generated with random details (every google.rpc type, field names in lowerCamel or
//   snake_case, wrong types, odd Durations and int64s, unknown types), and mutations of the JSON golden
//   vectors (structure and text), deep nesting and huge strings, through parseStatusJson (as text
//   and as the parsed object) and fromGrpcStatus (the parsed body);
// - fetch: random `Response`s (gRPC-web in headers or in a trailer frame, `-text`, Connect streams,
//   JSON bodies, HTML from a proxy, bodies that fail mid-read, bodies larger than the limit, locked
//   bodies) and Response-like fakes, through fromResponse;
// - anything at all: random values and hostile objects (throwing proxies, revoked proxies, throwing
//   getters) through every function above;
// - the JSON and fetch roads' round-three hardening (its own block): REST error bodies (alone, in an
//   array, after a byte-order mark, on a Response), unknown details that are hostile objects (the
//   result must serialise), protobuf-ts's record metadata, HTTP-dates and hints at the Duration
//   limit, and the testing kit's JSON writers (dist/testing.js: only its documented errors);
// - presets, catalogues and client results (round four, its own block): REST bodies, axios-shaped
//   errors (a stream, a Buffer or a throwing getter as `response.data`, a `status` that is no
//   integer, 10^5-string `message` arrays, no response), openapi-fetch results and message objects
//   with throwing getters, through the default preset's, Modal's (dist/modal.js) and an SDK's own
//   catalogue's `fromGrpcStatus` and `isRetryable`, each input within a time bound.
//
// None may ever throw or reject (SPEC §4, §5, §13); every fromGrpcStatus and fromResponse result must
// be a SandboxSdkError, carrying the transport's code where the input states one plainly; fromResponse
// must settle, and read no more of a body than maxBodyBytes (give or take a few chunks in flight).
// A function the build does not export yet is skipped, and the report says so. Deterministic: the same
// --seed and --count, against a build exporting the same functions, give the same inputs.
//
//   tsx scripts/fuzz.mjs [--count N] [--seed S]     (npm run fuzz, which builds first)
//
// Run through tsx: the hostile values come from the tests' own helper, test/support/hostile.ts.
// Prints the count, inputs/s, the inputs per kind and per target, the slowest single synchronous
// input (its time may include a GC pause, so it is re-run: the best of five says whether the input
// itself is slow) and the number of throws; exits 1 on any throw or bad result, 2 on bad usage.
import { existsSync, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const DEFAULT_SEED = 0x5eed_2024;
const DEFAULT_COUNT = 1_000_000;
const STATUS_DETAILS_KEY = "grpc-status-details-bin";
const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];
/** Connect's spelling of each code (`canceled` with one l). */
const CONNECT_NAMES = CODE_NAMES.map((name) => (name === "CANCELLED" ? "canceled" : name.toLowerCase()));
/** google.rpc.Code's HTTP mapping, which AIP-193 bodies carry as `error.code`. */
const HTTP_OF_CODE = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];
/** What gRPC makes of a bare HTTP status (SPEC §13, fromResponse's "anything else"). */
const CODE_OF_BARE_HTTP = { 400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14 };
/** How long a batch of fromResponse calls may take to settle before the stragglers count as hung. */
const SETTLE_TIMEOUT_MS = 10_000;
const RESPONSE_BATCH = 64;

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

function usage(message) {
  console.error(`fuzz: ${message}\nusage: tsx scripts/fuzz.mjs [--count N] [--seed S]`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = { seed: DEFAULT_SEED, count: DEFAULT_COUNT };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    if (flag !== "--seed" && flag !== "--count") usage(`unknown argument '${argv[i]}'`);
    const text = inline ?? argv[++i];
    // Number() reads decimal and 0x hex alike.
    const value = Number(text);
    if (text === undefined || text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
      usage(`${flag} needs a non-negative integer, got '${text}'`);
    }
    if (flag === "--seed") options.seed = value >>> 0;
    else options.count = value;
  }
  return options;
}

const { seed, count } = parseArguments(process.argv.slice(2));

const distPath = fileURLToPath(new URL("../dist/index.js", import.meta.url));
if (!existsSync(distPath)) usage("dist/index.js is missing: run `npm run build` first");
const api = await import(distPath);
const { fromGrpcStatus, isSandboxSdkError, parseStatusDetails } = api;
const parseStatusJson = typeof api.parseStatusJson === "function" ? api.parseStatusJson : undefined;
const fromResponse = typeof api.fromResponse === "function" ? api.fromResponse : undefined;

let hostileHelpers;
try {
  hostileHelpers = await import("../test/support/hostile.ts");
} catch (error) {
  usage(
    `cannot load test/support/hostile.ts (${error?.code ?? error}): run this script through tsx ` +
      "(npm run fuzz, or npx tsx scripts/fuzz.mjs)",
  );
}
const { boom, throwingProxy } = hostileHelpers;

const fixture = (name) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const GOLDEN = JSON.parse(readFileSync(fixture("status-details.json"), "utf8"))
  .vectors.filter((v) => v.hex !== "")
  .map((v) => Uint8Array.from(Buffer.from(v.hex, "hex")));

/**
 * The JSON golden vectors (the reference Python runtime's JSON of the binary ones) seed the JSON
 * mutations: the repository's copy, else the shared one beside the project; without either, the JSON
 * inputs are generated only.
 */
const jsonVectorsPath = [
  fixture("status-json.json"),
  fileURLToPath(new URL("../../shared/vectors/status-json.json", import.meta.url)),
].find((path) => existsSync(path));
const JSON_VECTORS =
  jsonVectorsPath === undefined ? [] : JSON.parse(readFileSync(jsonVectorsPath, "utf8")).vectors;
const JSON_SEEDS = JSON_VECTORS.flatMap((v) =>
  ["status", "aip193", "connect"]
    .filter((form) => v[form] !== undefined)
    .map((form) => JSON.stringify(v[form])),
);
/** Connect details as the reference runtime wrote them: `{ type, value }` with real detail bytes. */
const CONNECT_DETAIL_SEEDS = JSON_VECTORS.flatMap((v) => v.connect?.details ?? []);

// ---------------------------------------------------------------------------------------------
// A seeded generator: sfc32, seeded through splitmix32 (fast, and good enough to fuzz with)
// ---------------------------------------------------------------------------------------------

function splitmix32(state) {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function sfc32(seed32) {
  const init = splitmix32(seed32);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

const next = sfc32(seed);
/** An integer in [0, n). */
const below = (n) => (n <= 1 ? 0 : next() % n);
const chance = (p) => next() < p * 4294967296;
const pick = (list) => list[below(list.length)];

// ---------------------------------------------------------------------------------------------
// Bytes: the binary road
// ---------------------------------------------------------------------------------------------

/** Bytes that stress a protobuf reader: varint edges, group tags, wire types 6 and 7. */
const NASTY = [0x00, 0x01, 0x07, 0x08, 0x0a, 0x0b, 0x0c, 0x0f, 0x12, 0x1a, 0x7f, 0x80, 0xff, 0xfe];

function randomBytes(maxLength) {
  const length = below(maxLength + 1);
  const bytes = new Uint8Array(length);
  const nasty = chance(0.3);
  for (let i = 0; i < length; i++) bytes[i] = nasty && chance(0.5) ? pick(NASTY) : next() & 0xff;
  return bytes;
}

function varint(value) {
  const out = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** One mutation of a byte string: flip, truncate, insert, delete, overwrite, splice, or a bad length. */
function mutateOnce(bytes) {
  const at = below(bytes.length + 1);
  switch (below(8)) {
    case 0: {
      if (bytes.length === 0) return bytes;
      const copy = bytes.slice();
      copy[at % bytes.length] ^= 1 << below(8);
      return copy;
    }
    case 1:
      return bytes.slice(0, at);
    case 2:
      return concat(bytes.subarray(0, at), randomBytes(8), bytes.subarray(at));
    case 3: {
      const end = Math.min(bytes.length, at + 1 + below(16));
      return concat(bytes.subarray(0, at), bytes.subarray(end));
    }
    case 4: {
      if (bytes.length === 0) return bytes;
      const copy = bytes.slice();
      copy[at % bytes.length] = pick(NASTY);
      return copy;
    }
    case 5: {
      // Splice a piece of another vector in: realistic structure in unrealistic places.
      const other = pick(GOLDEN);
      const from = below(other.length);
      return concat(bytes.subarray(0, at), other.subarray(from, from + 1 + below(64)), bytes.subarray(at));
    }
    case 6: {
      // A length-delimited field claiming a huge or off-by-one length.
      const length = pick([0x7fffffff, 0xffffffff, bytes.length - at + 1, 2 ** 35]);
      const header = Uint8Array.from([pick([0x12, 0x1a, 0x0a]), ...varint(length)]);
      return concat(bytes.subarray(0, at), header, bytes.subarray(at));
    }
    default: {
      // Deep nesting: a run of group starts or of nested delimited fields.
      const depth = 1 + below(300);
      const nest = new Uint8Array(depth * 2);
      for (let i = 0; i < depth; i++) {
        nest[2 * i] = chance(0.5) ? 0x1b : 0x1a; // field 3: start group, or delimited
        nest[2 * i + 1] = 0x7f;
      }
      return concat(bytes.subarray(0, at), nest, bytes.subarray(at));
    }
  }
}

function mutatedVector() {
  let bytes = pick(GOLDEN);
  const rounds = 1 + below(6);
  for (let i = 0; i < rounds; i++) bytes = mutateOnce(bytes);
  return bytes;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=";

function randomBase64() {
  if (chance(0.6)) {
    const text = Buffer.from(chance(0.5) ? mutatedVector() : randomBytes(200)).toString(
      chance(0.5) ? "base64" : "base64url",
    );
    return chance(0.5) ? text.replace(/=+$/, "") : text;
  }
  const length = below(300);
  let text = "";
  for (let i = 0; i < length; i++)
    text += chance(0.97) ? BASE64[below(BASE64.length)] : String.fromCharCode(below(0x3000));
  return text;
}

// ---------------------------------------------------------------------------------------------
// Hostile values
// ---------------------------------------------------------------------------------------------

function revokedProxy() {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Values a careless reader of transport errors trips over. */
const HOSTILE = [
  () => throwingProxy(),
  () => throwingProxy(() => undefined),
  () => revokedProxy(),
  () => ({
    get code() {
      return boom();
    },
    get details() {
      return boom();
    },
    get message() {
      return boom();
    },
    get metadata() {
      return boom();
    },
    get meta() {
      return boom();
    },
    get error() {
      return boom();
    },
  }),
  () => ({ code: 14, metadata: { get: boom } }),
  () => ({ code: 14, metadata: throwingProxy() }),
  () => ({ code: 14, metadata: { get: () => throwingProxy([]) } }),
  () => ({ code: 14, metadata: { get: () => [null, {}, 42, Symbol("x"), revokedProxy(), mutatedVector()] } }),
  () => ({ code: "UNAVAILABLE", meta: { [STATUS_DETAILS_KEY]: throwingProxy() } }),
  () => ({ code: "UNAVAILABLE", meta: throwingProxy() }),
  () => ({ code: throwingProxy(), details: throwingProxy(), message: throwingProxy() }),
  () => ({ code: { valueOf: boom, toString: boom }, details: { toString: boom } }),
  () => Object.defineProperty(Object.create(throwingProxy()), "code", { value: 5 }),
  () => {
    const cyclic = { code: 5, details: "cyclic" };
    cyclic.self = cyclic;
    cyclic.cause = cyclic;
    cyclic.metadata = cyclic;
    return cyclic;
  },
  () => {
    // Claims this package's brands, through a proxy that throws.
    const fake = Object.create(null);
    fake[Symbol.for("sandbox-sdk-errors.brands")] = throwingProxy([]);
    return fake;
  },
  // JSON-shaped, hostile inside.
  () => ({ error: throwingProxy() }),
  () => ({ error: { code: 404, status: "NOT_FOUND", message: "m", details: throwingProxy([]) } }),
  () => ({
    code: "not_found",
    message: "m",
    details: [throwingProxy(), { type: throwingProxy(), value: "" }],
  }),
  () => ({
    code: 5,
    details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", metadata: throwingProxy() }],
  }),
  () => {
    const cyclic = { code: 5, message: "cyclic", details: [] };
    cyclic.details.push({ "@type": "type.googleapis.com/acme.Cyclic", self: cyclic, list: cyclic.details });
    cyclic.error = cyclic;
    return cyclic;
  },
];

function randomValue(depth = 0) {
  switch (below(depth > 2 ? 7 : 10)) {
    case 0:
      return undefined;
    case 1:
      return null;
    case 2:
      return pick([0, -1, 5, 16, 17, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, 1.5, -0]);
    case 3:
      return pick([
        "",
        "NOT_FOUND",
        "unavailable",
        "canceled",
        "garbage",
        randomBase64(),
        "{",
        '{"error":{}}',
      ]);
    case 4:
      return chance(0.5);
    case 5:
      return randomBytes(64);
    case 6:
      return BigInt(next());
    case 7:
      return Array.from({ length: below(4) }, () => randomValue(depth + 1));
    case 8: {
      const object = chance(0.2) ? Object.create(null) : {};
      const keys = ["code", "details", "message", "metadata", "meta", "cause", "get", "__proto__", "error"];
      // defineProperty: an own "__proto__" key, and no setter of a hostile prototype to call.
      for (let i = below(5); i > 0; i--) {
        Object.defineProperty(object, pick(keys), {
          value: randomValue(depth + 1),
          enumerable: true,
          configurable: true,
        });
      }
      return object;
    }
    default:
      return pick(HOSTILE)();
  }
}

// ---------------------------------------------------------------------------------------------
// JSON: error bodies, generated and mutated
// ---------------------------------------------------------------------------------------------

const STRING = "string";
const MAP = "map";
const DURATION = "duration";
const INT64 = "int64";
const STRINGS = "strings";
/** Every google.rpc detail type, as its proto3 JSON carries it; `[schema]` is a repeated message. */
const DETAIL_SCHEMAS = {
  ErrorInfo: { reason: STRING, domain: STRING, metadata: MAP },
  RetryInfo: { retryDelay: DURATION },
  DebugInfo: { stackEntries: STRINGS, detail: STRING },
  QuotaFailure: {
    violations: [
      {
        subject: STRING,
        description: STRING,
        apiService: STRING,
        quotaMetric: STRING,
        quotaId: STRING,
        quotaDimensions: MAP,
        quotaValue: INT64,
        futureQuotaValue: INT64,
      },
    ],
  },
  PreconditionFailure: { violations: [{ type: STRING, subject: STRING, description: STRING }] },
  BadRequest: {
    fieldViolations: [
      {
        field: STRING,
        description: STRING,
        reason: STRING,
        localizedMessage: { locale: STRING, message: STRING },
      },
    ],
  },
  RequestInfo: { requestId: STRING, servingData: STRING },
  ResourceInfo: { resourceType: STRING, resourceName: STRING, owner: STRING, description: STRING },
  Help: { links: [{ description: STRING, url: STRING }] },
  LocalizedMessage: { locale: STRING, message: STRING },
};
const DETAIL_TYPES = Object.keys(DETAIL_SCHEMAS);

const snakeCase = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Set per body: one string of the body may be huge (a quarter to two MiB). */
let hugeBudget = 0;

const ODD_STRINGS = [
  "",
  "a",
  "sb-123",
  "cwsandbox.com",
  "CWSANDBOX_SANDBOX_NOT_FOUND",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "\u0000\u001b[31m\u009b\u202e",
  "\ud800",
  "\udc00\ud800",
  "😀".repeat(8),
  "x".repeat(1000),
  "%E2%82",
  "1.5s",
  "NaN",
];

function randomString() {
  if (hugeBudget > 0 && chance(0.3)) {
    hugeBudget--;
    return pick(["x", "é", "😀", "\\", '"']).repeat(256 * 1024 * (1 + below(8)));
  }
  if (chance(0.5)) return pick(ODD_STRINGS);
  const length = below(24);
  let text = "";
  for (let i = 0; i < length; i++)
    text += String.fromCharCode(chance(0.9) ? 0x20 + below(0x5f) : below(0x10000));
  return text;
}

function randomDuration() {
  return pick([
    "1.500s",
    "0s",
    "7s",
    "-1.5s",
    "0.000000001s",
    "315576000000s",
    "315576000001s",
    "1.5",
    "s",
    "1e3s",
    "1.0000000001s",
    "+1s",
    " 1s",
    "-0s",
    "99999999999999999999s",
    "1.s",
    ".5s",
    `${below(1000)}.${below(1000)}s`,
    1.5,
    { seconds: 1, nanos: 500_000_000 },
    { seconds: "1", nanos: -1 },
  ]);
}

function randomInt64() {
  return pick([
    0,
    1,
    -1,
    "0",
    "42",
    "-42",
    "9007199254740993",
    "18446744073709551615",
    "-9223372036854775808",
    "1e5",
    "abc",
    1.5,
    2 ** 63,
    Number.MAX_SAFE_INTEGER,
    below(1e6),
  ]);
}

/** Any JSON value, nested at most `depth` more levels. */
function randomJson(depth = 2) {
  switch (below(depth > 0 ? 8 : 6)) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return pick([0, -0, 1, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 2, 404, 5, 16, 17]);
    case 3:
    case 4:
      return randomString();
    case 5:
      return pick([{}, []]);
    case 6:
      return Array.from({ length: below(4) }, () => randomJson(depth - 1));
    default: {
      const object = {};
      for (let i = below(4); i > 0; i--) object[randomString().slice(0, 12)] = randomJson(depth - 1);
      return object;
    }
  }
}

/** A value of `kind` in proto3 JSON, sometimes of the wrong type. */
function jsonOf(kind) {
  if (chance(0.06)) return randomJson(1);
  if (kind === STRING) return randomString();
  if (kind === DURATION) return randomDuration();
  if (kind === INT64) return randomInt64();
  if (kind === STRINGS)
    return Array.from({ length: below(4) }, () => (chance(0.95) ? randomString() : randomJson(0)));
  if (kind === MAP) {
    const map = {};
    for (let i = below(5); i > 0; i--)
      map[randomString().slice(0, 16)] = chance(0.95) ? randomString() : randomJson(0);
    return map;
  }
  if (Array.isArray(kind)) return Array.from({ length: below(4) }, () => jsonOf(kind[0]));
  return messageOf(kind);
}

/** A message of `schema`: fields in lowerCamel or as in the .proto, some left out, some unknown. */
function messageOf(schema) {
  const message = {};
  const snake = chance(0.2);
  for (const [field, kind] of Object.entries(schema)) {
    if (chance(0.15)) continue;
    message[snake || chance(0.05) ? snakeCase(field) : field] = jsonOf(kind);
  }
  if (chance(0.05)) message[randomString().slice(0, 12) || "extra"] = randomJson(1);
  return message;
}

function randomTypeName() {
  return chance(0.9)
    ? `google.rpc.${pick(DETAIL_TYPES)}`
    : pick(["acme.v1.ErrorInfo", "google.rpc.Nope", "", "."]);
}

/** A detail in proto3 JSON (an `Any` with its `@type`), as AIP-193 and Status bodies carry them. */
function randomJsonDetail() {
  const type = pick(DETAIL_TYPES);
  const detail = messageOf(DETAIL_SCHEMAS[type]);
  const name = chance(0.95) ? `google.rpc.${type}` : randomTypeName();
  const prefix = pick(["type.googleapis.com/", "type.googleapis.com/", "example.com/x/", "", "/"]);
  if (chance(0.97)) return { "@type": `${prefix}${name}`, ...detail };
  return { "@type": randomJson(0), ...detail };
}

/** A detail as Connect writes it: `{ type, value: <base64 of the detail's bytes>, debug? }`. */
function randomConnectDetail() {
  let detail;
  if (CONNECT_DETAIL_SEEDS.length > 0 && chance(0.5)) {
    // A deep copy: mutations must never reach the seed (nor make a cycle through it).
    detail = structuredClone(pick(CONNECT_DETAIL_SEEDS));
    if (chance(0.3)) detail.type = randomTypeName();
    if (chance(0.3)) detail.value = detail.value.replace(/=+$/, "");
  } else {
    const bytes = chance(0.5) ? mutatedVector() : randomBytes(64);
    detail = {
      type: randomTypeName(),
      value: Buffer.from(bytes).toString(chance(0.8) ? "base64" : "base64url"),
    };
  }
  if (chance(0.05)) detail.value = randomJson(0);
  if (chance(0.05)) detail.type = randomJson(0);
  if (chance(0.2)) detail.debug = randomJson(2);
  return detail;
}

/**
 * A well-formed error body of one of the three shapes, with a code 1–16 it states plainly (so the
 * result must carry it); its details are random and may be of the wrong types.
 */
function cleanBody() {
  const code = 1 + below(16);
  const message = chance(0.9) ? randomString() : undefined;
  const details = [];
  switch (below(4)) {
    case 0: {
      for (let i = below(4); i > 0; i--) details.push(randomJsonDetail());
      const error = { code: HTTP_OF_CODE[code], message, status: CODE_NAMES[code] };
      if (details.length > 0 || chance(0.5)) error.details = details;
      return { kind: "AIP-193 body", body: { error }, code };
    }
    case 1: {
      for (let i = below(4); i > 0; i--) details.push(randomJsonDetail());
      const status = { code, message };
      if (details.length > 0 || chance(0.5)) status.details = details;
      return { kind: "Status JSON", body: status, code };
    }
    case 2: {
      for (let i = below(4); i > 0; i--) details.push(randomConnectDetail());
      const error = { code: CONNECT_NAMES[code], message };
      if (details.length > 0 || chance(0.5)) error.details = details;
      return { kind: "Connect body", body: error, code };
    }
    default: {
      for (let i = below(4); i > 0; i--) details.push(randomConnectDetail());
      const error = { code: CONNECT_NAMES[code], message, details };
      const metadata = { "x-request-id": ["r-1"], [randomString().slice(0, 8) || "k"]: [randomString()] };
      return { kind: "Connect end-stream", body: { error, metadata }, code };
    }
  }
}

/** Every container of `value` (objects and arrays), for mutations to pick from. */
function containers(value, out = [], depth = 0) {
  if (value === null || typeof value !== "object" || depth > 8) return out;
  out.push(value);
  for (const child of Object.values(value)) containers(child, out, depth + 1);
  return out;
}

/** One structural mutation of a parsed body: a key dropped, retyped, wrapped, renamed or added. */
function mutateJsonOnce(root) {
  const target = pick(containers(root));
  if (target === undefined) return randomJson(2);
  const keys = Object.keys(target);
  const key = keys.length > 0 && chance(0.85) ? pick(keys) : Array.isArray(target) ? target.length : "extra";
  switch (below(7)) {
    case 0:
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete target[key];
      break;
    case 1:
      target[key] = randomJson(2);
      break;
    case 2:
      target[key] = [target[key]];
      break;
    case 3:
      target[key] = pick([null, "", 0, {}, [], true, "NOT_FOUND", "not_found", 5, 404, "5"]);
      break;
    case 4:
      // An own "__proto__" (JSON.parse makes one too), or a key a careless reader trusts. (An
      // array's own keys would not survive JSON.stringify: it gets one more element instead.)
      if (Array.isArray(target)) {
        target.push(randomJson(1));
        break;
      }
      Object.defineProperty(
        target,
        pick(["__proto__", "constructor", "toString", "@type", "type", "value"]),
        {
          value: randomJson(1),
          enumerable: true,
          configurable: true,
          writable: true,
        },
      );
      break;
    case 5:
      if (!Array.isArray(target) && keys.length > 0) {
        const value = target[key];
        delete target[key];
        target[
          pick([snakeCase(String(key)), String(key).toUpperCase(), `${String(key)} `, "error", "details"])
        ] = value;
      }
      break;
    default:
      target[key] = pick([randomJsonDetail, randomConnectDetail, () => cleanBody().body])();
  }
  return root;
}

/** One mutation of JSON text: cut, a byte flipped, junk inserted, or a value made extreme. */
function mutateTextOnce(text) {
  const at = below(text.length + 1);
  switch (below(7)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return `${text.slice(0, at)}${pick(['"', "{", "[", "]", "}", ",", ":", "\\", "\\u", "\\ud800", "\u0000", "\ufeff"])}${text.slice(at)}`;
    case 2:
      return `${text.slice(0, at)}${String.fromCharCode(below(0x80))}${text.slice(at + 1)}`;
    case 3:
      return text.replace(
        /-?\d+(\.\d+)?/,
        pick(["1e999", "-1e999", "123456789012345678901234567890", "-0", "0.1e-400"]),
      );
    case 4:
      return text.replace(/"code":/, '"code":"x","code":');
    case 5:
      return pick(["\ufeff", " \n\t", "", ")]}'\n"]) + text + pick(["", " ", "\n", "garbage", "}"]);
    default:
      return text.replace(
        /"details":\[/,
        '"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","__proto__":{"x":1}},',
      );
  }
}

/** Deep nesting as text: JSON.stringify would overflow the stack on it, so it is written by hand. */
function deepText(depth) {
  return chance(0.5)
    ? `${"[".repeat(depth)}${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}
const DEEP_MARK = "\u0000deep\u0000";

/**
 * The next JSON input: `{ kind, text, body, code? }`, where `body` is the parsed text (undefined when
 * the text is not JSON) and `code` is set only for an unmutated clean body.
 */
function makeJsonInput() {
  hugeBudget = chance(0.001) ? 1 : 0;
  let kind;
  let body;
  let code;
  if (JSON_SEEDS.length > 0 && chance(0.35)) {
    kind = "mutated JSON vector";
    body = JSON.parse(pick(JSON_SEEDS));
    for (let i = 1 + below(4); i > 0; i--) body = mutateJsonOnce(body);
  } else {
    ({ kind, body, code } = cleanBody());
    if (chance(0.4)) {
      kind = `mutated ${kind}`;
      code = undefined;
      for (let i = 1 + below(3); i > 0; i--) body = mutateJsonOnce(body);
    }
  }
  // Deep nesting, somewhere a value may be: Connect's debug, a detail, a metadata value.
  const deep = chance(0.005);
  if (deep) {
    const target = pick(containers(body));
    if (target !== undefined) target[Array.isArray(target) ? target.length : "debug"] = DEEP_MARK;
  }
  let text = JSON.stringify(body);
  if (deep) {
    kind = `${kind}, deep`;
    text = text.replace(JSON.stringify(DEEP_MARK), () => deepText(1 + below(chance(0.2) ? 50_000 : 2000)));
  }
  if (chance(0.15)) {
    kind = `${kind}, text mutated`;
    code = undefined;
    for (let i = 1 + below(3); i > 0; i--) text = mutateTextOnce(text);
  }
  if (hugeBudget === 0 && text.length > 256 * 1024) kind = `${kind}, huge string`;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { kind, text, body, code };
}

// ---------------------------------------------------------------------------------------------
// fetch: random Responses
// ---------------------------------------------------------------------------------------------

const CONTENT_TYPES = [
  "application/grpc-web",
  "application/grpc-web+proto",
  "application/grpc-web-text",
  "application/grpc-web-text+proto",
  "application/grpc",
  "application/json",
  "application/json; charset=utf-8",
  "application/connect+json",
  "application/connect+proto",
  "text/html",
  "text/plain",
  "APPLICATION/GRPC-WEB+PROTO ; charset=x",
  "",
];
const STATUS_TEXT = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  502: "Bad Gateway",
  503: "Service Unavailable",
};
const utf8 = new TextEncoder();

function percentEncoded() {
  return pick([
    "",
    "boom",
    "sandbox%20not%20found",
    "%E2%82%AC",
    "%E2%28%A1",
    "%",
    "%zz",
    "%25",
    "a%0Ab",
    "%FF%FE",
  ]);
}

function grpcStatusValue() {
  return pick([String(1 + below(16)), "0", "17", "-1", "5x", " 5", "", "NOT_FOUND", "99999999999"]);
}

/** A header value a `Headers` accepts: Latin-1, no CR, LF or NUL. */
function headerSafe(text) {
  return text.replace(/[^\x20-\x7e\x80-\xff\t]/g, "?");
}

/** A frame's five-byte header: flags, then the payload's length (big-endian). */
function frameHeader(flags, length) {
  return Uint8Array.from([
    flags,
    length >>> 24,
    (length >>> 16) & 0xff,
    (length >>> 8) & 0xff,
    length & 0xff,
  ]);
}

/** gRPC-web frames: message frames, then (usually) a trailer frame, sometimes damaged. */
function grpcWebFrames() {
  const frames = [];
  for (let i = below(3); i > 0; i--) {
    const payload = randomBytes(32);
    frames.push(frameHeader(0, payload.length), payload);
  }
  if (chance(0.9)) {
    const lines = [];
    if (chance(0.9))
      lines.push(
        `${pick(["grpc-status", "Grpc-Status", "GRPC-STATUS"])}:${pick(["", " "])}${grpcStatusValue()}`,
      );
    if (chance(0.7)) lines.push(`grpc-message: ${percentEncoded()}`);
    if (chance(0.6)) lines.push(`${STATUS_DETAILS_KEY}: ${randomBase64()}`);
    if (chance(0.2)) lines.push(`grpc-retry-pushback-ms: ${pick(["100", "-1", "x"])}`);
    if (chance(0.1)) lines.push(pick(["no colon here", ":", "x-bin: \u00ff"]));
    const payload = utf8.encode(lines.join(pick(["\r\n", "\n", "\r\n\r\n"])) + pick(["\r\n", ""]));
    const length = chance(0.9)
      ? payload.length
      : pick([0, payload.length + 1, 0x7fffffff, payload.length - 1]);
    frames.push(frameHeader(pick([0x80, 0x80, 0x80, 0x81, 0x82, 0xff]), length), payload);
  }
  let bytes = concat(...frames);
  if (chance(0.2)) bytes = mutateOnce(bytes);
  return bytes;
}

/** Connect streaming frames ending (usually) with an end-stream message holding an error. */
function connectFrames() {
  const frames = [];
  for (let i = below(2); i > 0; i--) {
    const payload = utf8.encode(JSON.stringify(randomJson(1)) ?? "null");
    frames.push(frameHeader(0, payload.length), payload);
  }
  const { text } = makeJsonInput();
  const payload = utf8.encode(chance(0.8) ? `{"error":${text}}` : text);
  frames.push(frameHeader(pick([0x02, 0x02, 0x03, 0x00]), payload.length), payload);
  return concat(...frames);
}

/** -text: base64, sometimes as several separately padded chunks, sometimes broken. */
function asGrpcWebText(bytes) {
  const cut = below(bytes.length + 1);
  const text = chance(0.5)
    ? Buffer.from(bytes).toString("base64")
    : Buffer.from(bytes.subarray(0, cut)).toString("base64") +
      Buffer.from(bytes.subarray(cut)).toString("base64");
  return utf8.encode(
    chance(0.9) ? text : text.slice(0, below(text.length + 1)) + pick(["", "!", "\n", "===="]),
  );
}

/**
 * A stream of `bytes` in random chunks that may fail mid-read, or (with `endless`) a body that never
 * ends; `pulled` counts the bytes handed out, for the maxBodyBytes check.
 */
function streamOf(bytes, { endless = false, fail = false } = {}) {
  const state = { pulled: 0, cancelled: false, chunk: 0 };
  let offset = 0;
  const chunkSize = endless ? 64 * 1024 : 1 + below(Math.max(1, bytes.length));
  state.chunk = chunkSize;
  const stream = new ReadableStream({
    pull(controller) {
      if (endless) {
        // A guard for this fuzzer, not the library: an endless body ends after 4 MiB (four times the
        // default limit, so reading past that limit still shows), which keeps a larger limit cheap.
        if (state.pulled >= 4 * 1024 * 1024) return controller.close();
        state.pulled += chunkSize;
        return controller.enqueue(new Uint8Array(chunkSize));
      }
      if (fail && offset >= bytes.length / 2) return controller.error(new Error("connection reset"));
      if (offset >= bytes.length) return controller.close();
      const chunk = bytes.slice(offset, offset + chunkSize);
      offset += chunk.length;
      state.pulled += chunk.length;
      controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

/**
 * fromResponse's contexts; `hostile` ones may cost the mapping its code, never its promise. A
 * `maxBodyBytes` that is not a positive finite number is the caller's error: `fromResponse` rejects
 * with a RangeError (its one rejection, SPEC §13), which `rangeError` expects.
 */
const isByteLimit = (limit) => typeof limit === "number" && limit > 0 && Number.isFinite(limit);
const RESPONSE_CONTEXTS = [
  () => ({ context: undefined }),
  () => ({ context: {} }),
  () => {
    const maxBodyBytes = pick([
      0,
      1,
      5,
      10,
      1024,
      64 * 1024,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
    ]);
    return { context: { maxBodyBytes }, rangeError: !isByteLimit(maxBodyBytes) };
  },
  () => ({ context: { scope: "discovery", runnerId: "r" } }),
  () => ({ context: { signal: AbortSignal.abort(new Error("gave up")) } }),
  () => ({ context: { signal: throwingProxy() }, hostile: true }),
  () => ({
    context: { maxBodyBytes: throwingProxy(), signal: { addEventListener: boom, aborted: true } },
    hostile: true,
    rangeError: true,
  }),
  () => ({ context: throwingProxy(), hostile: true }),
];

/** Response-like values and outright junk: fromResponse must still resolve to an error. */
const FAKE_RESPONSES = [
  () => throwingProxy(),
  () => revokedProxy(),
  () => ({ ok: false, status: 503, headers: throwingProxy(), body: null }),
  () => ({ ok: false, status: 404, statusText: "Not Found", headers: new Headers(), body: throwingProxy() }),
  () => ({
    ok: false,
    status: 500,
    headers: { get: boom, has: boom },
    text: () => Promise.reject(new Error("x")),
  }),
  () => ({ ok: false, status: 502, headers: new Headers(), body: { getReader: boom } }),
  () => ({
    ok: false,
    status: 502,
    headers: new Headers({ "content-type": "application/grpc-web" }),
    body: {
      getReader: () => ({ read: () => Promise.reject(new Error("x")), cancel: boom, releaseLock: boom }),
    },
  }),
  () => ({
    ok: false,
    status: 503,
    headers: new Headers({ "content-type": "application/json" }),
    body: {
      getReader: () => ({
        read: () => Promise.resolve({ done: false, value: "not bytes" }),
        cancel: () => Promise.reject(new Error("x")),
      }),
    },
  }),
  () => ({ status: "404", ok: "no", headers: null, body: "text" }),
  // Thenables, on purpose: a reader that awaits what it was given runs their `then`.
  () => ({ then: boom }),
  () => ({ then: (resolve) => resolve(new Response("", { status: 404 })) }),
  () => randomValue(),
];

/**
 * The next fetch input: `{ kind, make(), code?, limit?, stream? }`. `make` builds the Response at
 * call time (a Response's body can be read once). `code` is set where the response states a code
 * plainly: a trailers-only gRPC-web response, or a bare HTTP error without a body to read.
 */
function makeResponseInput() {
  const { context, hostile = false, rangeError = false } = pick(RESPONSE_CONTEXTS)();
  const limit = hostile ? undefined : context?.maxBodyBytes;
  // The most a read may take: the limit, or 1 MiB for no limit (or one that is no size).
  const maxBody = typeof limit === "number" && limit >= 0 ? limit : 1024 * 1024;
  if (chance(0.08)) {
    const maker = below(FAKE_RESPONSES.length);
    return { kind: `fake response #${maker}`, value: FAKE_RESPONSES[maker](), context, rangeError };
  }
  const status = chance(0.8)
    ? pick([200, 200, 400, 401, 403, 404, 409, 429, 499, 500, 502, 503, 504])
    : 200 + below(400);
  // A Response with one of these statuses may not have a body.
  const nullBody = status === 204 || status === 205 || status === 304;
  const contentType = pick(CONTENT_TYPES);
  const headers = new Headers();
  if (contentType !== "" || chance(0.5)) headers.set("content-type", contentType);
  const grpcLike = contentType.toLowerCase().startsWith("application/grpc");
  let code;
  if (grpcLike ? chance(0.6) : chance(0.1)) {
    const value = grpcStatusValue();
    headers.set("grpc-status", value);
    if (chance(0.7)) headers.set("grpc-message", percentEncoded());
    if (chance(0.5)) headers.set(STATUS_DETAILS_KEY, headerSafe(randomBase64()));
    if (/^(?:[1-9]|1[0-6])$/.test(value) && grpcLike && status === 200) code = Number(value);
  }
  // The headers' status stands only when no trailer frame can overrule it.
  for (const [name, values] of [
    ["grpc-retry-pushback-ms", ["0", "250", "-5", "1e3", "x"]],
    ["retry-after-ms", ["100", "-1", "abc"]],
    ["retry-after", ["3", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 2100 23:59:59 GMT", "soon", "-1"]],
  ]) {
    if (chance(0.1)) headers.set(name, pick(values));
  }

  let bodyKind;
  let bytes;
  const lower = contentType.toLowerCase();
  const roll = below(10);
  if (roll < 4 && lower.startsWith("application/grpc-web-text")) {
    bodyKind = "grpc-web-text frames";
    bytes = asGrpcWebText(grpcWebFrames());
  } else if (roll < 4 && grpcLike) {
    bodyKind = "grpc-web frames";
    bytes = grpcWebFrames();
  } else if (roll < 4 && lower.startsWith("application/connect+")) {
    bodyKind = "connect frames";
    bytes = connectFrames();
  } else if (roll < 7) {
    bodyKind = "JSON body";
    bytes = utf8.encode(makeJsonInput().text);
  } else if (roll < 8) {
    bodyKind = "HTML";
    bytes = utf8.encode(
      pick(["<html><body>502 Bad Gateway</body></html>", "<!doctype html>", "upstream connect error"]),
    );
  } else if (roll < 9) {
    bodyKind = "random bytes";
    bytes = randomBytes(256);
  } else {
    bodyKind = "empty";
    bytes = new Uint8Array(0);
  }
  if (nullBody) {
    bodyKind = "no body";
    bytes = new Uint8Array(0);
  }
  if (bodyKind !== "empty" && bodyKind !== "no body") code = undefined;
  // A bare HTTP error: no gRPC status anywhere, no JSON, nothing but the HTTP status to go by.
  if (
    code === undefined &&
    !grpcLike &&
    !lower.startsWith("application/connect+") &&
    !headers.has("grpc-status") &&
    status >= 400 &&
    (bodyKind === "HTML" || bodyKind === "empty" || bodyKind === "no body")
  ) {
    code = CODE_OF_BARE_HTTP[status] ?? 2;
  }
  const shape = nullBody ? 9 : below(10);
  const endless = shape === 0 && chance(0.1);
  const fail = shape === 1;
  const locked = shape === 2 && chance(0.3);
  const init = { status, statusText: STATUS_TEXT[status] ?? "", headers };
  let kind = `response ${status} ${contentType || "(no type)"}, ${bodyKind}`;
  if (endless) kind += ", endless body";
  if (fail) kind += ", fails mid-read";
  if (locked) kind += ", body locked";
  const input = { kind, bytes, context, maxBody, rangeError, code: locked || hostile ? undefined : code };
  input.make = () => {
    if (shape < 3 && !locked) {
      const { stream, state } = streamOf(bytes, { endless, fail });
      input.stream = state;
      return new Response(stream, init);
    }
    if (nullBody) return new Response(null, init);
    const response = new Response(chance(0.5) ? bytes : bytes.buffer.slice(0), init);
    // Someone else holds the reader: the body cannot be read at all.
    if (locked) response.body?.getReader();
    return response;
  };
  return input;
}

// ---------------------------------------------------------------------------------------------
// The JSON and fetch roads, hardened (round three): REST error bodies, arrays and byte-order marks
// on the JSON road; unknown details that are hostile objects; protobuf-ts's record metadata; HTTP
// dates and out-of-range hints; the kit's JSON writers. Its inputs have road "roads", run by
// runRoadsInput below (REST responses go to the fetch batch as road "response").
// ---------------------------------------------------------------------------------------------

let kit;
const kitPath = fileURLToPath(new URL("../dist/testing.js", import.meta.url));
if (existsSync(kitPath)) {
  try {
    kit = await import(kitPath);
  } catch {
    kit = undefined;
  }
}

/** google-gax's HTTP → gRPC table (rpcCodeFromHttpStatusCode), which REST bodies are read through. */
const GAX_CODE_OF_HTTP = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  409: 10,
  416: 11,
  429: 8,
  499: 1,
  501: 12,
  503: 14,
  504: 4,
};
function gaxCodeOf(status) {
  if (GAX_CODE_OF_HTTP[status] !== undefined) return GAX_CODE_OF_HTTP[status];
  if (status >= 200 && status < 300) return 0;
  if (status >= 400 && status < 500) return 9;
  if (status >= 500 && status < 600) return 13;
  return 2;
}
/** The largest hint a Duration holds, in ms (SPEC §13: larger is invalid). */
const MAX_HINT_MS = 315_576_000_000 * 1000;
const HTTP_STATUSES = [400, 401, 403, 404, 409, 416, 418, 422, 429, 499, 500, 501, 502, 503, 504, 507];
/** The most of a body's text or bytes the roads read (SPEC §13: fromResponse's default maxBodyBytes). */
const MAX_BODY_TEXT = 1_048_576;

/** A message as REST APIs send it: a string, a list of them (NestJS), or something of the wrong type. */
function restMessage() {
  switch (below(6)) {
    case 0:
      return Array.from({ length: below(5) }, randomString);
    case 1:
      return chance(0.01) ? Array.from({ length: 100_000 }, (_, i) => `m${i}`) : [randomString(), 1, null];
    case 2:
      return pick([42, true, { text: "x" }, null]);
    default:
      return randomString();
  }
}

/** A REST error body (E2B, NestJS/Daytona, Spring), clean or with its status fields gone wrong. */
function restBody() {
  const status = chance(0.9) ? pick(HTTP_STATUSES) : 100 + below(500);
  const message = restMessage();
  switch (below(5)) {
    case 0:
      return { kind: "REST body (E2B)", body: { code: status, message }, status };
    case 1: {
      const body = { statusCode: status, error: "Error", message };
      if (chance(0.5)) body.code = pick(["Not Found", "5", "not_found", 999, 5.5]);
      if (chance(0.3)) body.errorCode = "SANDBOX_NOT_FOUND";
      return { kind: "REST body (NestJS)", body, status };
    }
    case 2:
      return { kind: "REST body (status)", body: { status, message, path: "/x" }, status };
    case 3: {
      // A statusCode that is no HTTP status: read as if absent (a Connect code beside it still counts).
      const body = { statusCode: pick(["404", 404.5, 99, 600, -1, null, [404]]), message };
      if (chance(0.5)) body.code = pick(["not_found", "unavailable"]);
      return { kind: "REST body, bad statusCode", body, status: undefined };
    }
    default: {
      const body = { code: status, message, details: chance(0.5) ? [randomJsonDetail()] : { x: 1 } };
      return { kind: "google-gax fallback body", body, status };
    }
  }
}

/** An unknown detail that is a hostile object: throwing getters, cycles, deep or wide nesting, bigints. */
function hostileDetail() {
  const detail = {
    "@type": pick(["acme.v1.X", "type.googleapis.com/acme.v1.Y", "type.googleapis.com/google.rpc.ErrorInfo"]),
  };
  switch (below(6)) {
    case 0:
      Object.defineProperty(detail, "boom", { get: boom, enumerable: true });
      break;
    case 1:
      detail.self = detail;
      detail.list = [detail, { back: detail }];
      break;
    case 2: {
      let deep = 0;
      for (let i = below(chance(0.1) ? 100_000 : 200); i > 0; i--) deep = chance(0.5) ? [deep] : { deep };
      detail.deep = deep;
      break;
    }
    case 3:
      for (let i = below(chance(0.05) ? 50_000 : 100); i > 0; i--) detail[`k${i}`] = i;
      break;
    case 4:
      detail.n = 7n;
      detail.f = () => 1;
      detail.nan = [Number.NaN, undefined];
      break;
    default:
      detail.proxy = pick(HOSTILE)();
  }
  return detail;
}

/** An HTTP-date in one of RFC 9110's forms, its fields in or out of range, maybe mutated. */
const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n) => String(n).padStart(2, "0");
function httpDate() {
  const year = chance(0.8) ? 1990 + below(80) : below(10_000);
  const month = below(12);
  const day = chance(0.9) ? 1 + below(28) : below(33);
  const [h, m, sec] = chance(0.9) ? [below(24), below(60), below(61)] : [below(26), below(62), below(63)];
  // Days 29–31 are valid in some months only: those are not checked either way.
  const inRange = h < 24 && m < 60 && sec <= 60 && day >= 1 && day <= 31;
  const valid = !inRange ? false : day <= 28 ? true : undefined;
  const time = `${two(h)}:${two(m)}:${two(sec)}`;
  let text;
  switch (below(3)) {
    case 0:
      text = `${pick(DAY_NAMES)}, ${two(day)} ${MONTH_NAMES[month]} ${String(year).padStart(4, "0")} ${time} GMT`;
      break;
    case 1:
      text = `${pick(LONG_DAY_NAMES)}, ${two(day)}-${MONTH_NAMES[month]}-${two(year % 100)} ${time} GMT`;
      break;
    default:
      text = `${pick(DAY_NAMES)} ${MONTH_NAMES[month]} ${String(day).padStart(2, " ")} ${time} ${String(year).padStart(4, "0")}`;
  }
  if (chance(0.3)) return { text: mutateTextOnce(text), valid: undefined };
  return { text, valid };
}

/** A Retry-After (or pushback) value: a date, digits around the Duration limit, or junk. */
function hintValue() {
  switch (below(4)) {
    case 0:
    case 1: {
      const { text, valid } = httpDate();
      return {
        name: "retry-after",
        text,
        expected: valid === true ? "date" : valid === false ? "none" : "any",
      };
    }
    case 2: {
      const seconds =
        pick([0, 1, 315_576_000_000, 315_576_000_001, 10 ** 15, 10 ** 20]) + (chance(0.5) ? 0 : below(3));
      const text = chance(0.2) ? `00${seconds}` : String(seconds);
      const ms = Number(text) * 1000;
      return { name: "retry-after", text, expected: ms <= MAX_HINT_MS ? ms : "none" };
    }
    default: {
      const name = pick(["grpc-retry-pushback-ms", "retry-after-ms"]);
      const text = pick([
        "-1",
        "1.5",
        "",
        "9".repeat(25),
        String(MAX_HINT_MS),
        String(MAX_HINT_MS + 1),
        randomString(),
      ]);
      // Header values are read trimmed.
      const trimmed = text.trim();
      const ms =
        /^\d+$/.test(trimmed) && trimmed.length <= 32 && text.length <= 64 ? Number(trimmed) : Number.NaN;
      return { name, text, expected: ms <= MAX_HINT_MS ? ms : "none" };
    }
  }
}

/** The next input of this block (road "roads", or "response" for a REST body on a real Response). */
function makeRoadsInput() {
  const roll = below(100);
  if (roll < 30) {
    const { kind, body, status } = restBody();
    const code = status === undefined ? undefined : gaxCodeOf(status);
    const wrap = below(4);
    if (wrap === 0)
      return { road: "roads", kind: `${kind}, in an array`, json: [body, { x: 1 }], error: body, code };
    if (wrap === 1)
      return {
        road: "roads",
        kind: `${kind}, BOM text`,
        json: `\uFEFF${JSON.stringify(body)}`,
        error: body,
        code,
      };
    if (wrap === 2 && fromResponse !== undefined) {
      const init = { status: 400 + below(200), headers: { "content-type": "application/json" } };
      const text = JSON.stringify(body);
      // The status the body names decides its code: checked where that status is a failure's (4xx,
      // 5xx); a body that names none, or a 2xx, takes the response's own status instead. A body past
      // the read limit is cut there, and is no JSON: unchecked.
      const readable = utf8.encode(text).length <= MAX_BODY_TEXT;
      const checked = readable && status !== undefined && status >= 400 && status < 600 ? code : undefined;
      return {
        road: "response",
        kind: `response, ${kind}`,
        make: () => new Response(text, init),
        code: checked,
        context: undefined,
      };
    }
    return { road: "roads", kind, json: chance(0.5) ? JSON.stringify(body) : body, error: body, code };
  }
  if (roll < 50) {
    const details = [hostileDetail(), ...(chance(0.5) ? [randomJsonDetail()] : [])];
    const body = chance(0.5)
      ? { code: 5, message: "m", details }
      : { error: { code: 404, status: "NOT_FOUND", details } };
    return {
      road: "roads",
      kind: "unknown detail that is a hostile object",
      json: body,
      error: body,
      code: 5,
      serialise: true,
      details,
    };
  }
  if (roll < 65) {
    const bytes = chance(0.7) ? pick(GOLDEN) : mutatedVector();
    const text = Buffer.from(bytes).toString(chance(0.5) ? "base64" : "base64url");
    const value = chance(0.5) ? text : [randomBase64(), text];
    const key = chance(0.8) ? STATUS_DETAILS_KEY : "Grpc-Status-Details-Bin";
    return {
      road: "roads",
      kind: "protobuf-ts record metadata",
      record: { "content-type": "application/grpc", [key]: value },
      bytes,
      value,
    };
  }
  if (roll < 85) {
    const hint = hintValue();
    return { road: "roads", kind: `hint ${hint.name}`, hint };
  }
  const details = [hostileDetail()];
  return { road: "roads", kind: "kit: an Unknown detail's json", details };
}

/** Runs one input of this block; records everything, throws nothing. */
function runRoadsInput(input) {
  if (input.json !== undefined && parseStatusJson !== undefined) {
    const parsed = call("parseStatusJson", input, () => parseStatusJson(input.json));
    if (input.code !== undefined) {
      TARGETS.parseStatusJson.codeChecks++;
      if (parsed?.code !== input.code)
        bad(
          "parseStatusJson",
          input,
          "parseStatusJson lost the code",
          `code ${parsed?.code}, expected ${input.code}`,
        );
    }
    if (input.serialise && parsed !== undefined) {
      try {
        JSON.stringify(parsed);
      } catch (error) {
        bad("parseStatusJson", input, "parseStatusJson kept what JSON cannot write", error);
      }
    }
  }
  if (input.error !== undefined) {
    const result = call("fromGrpcStatus", input, () => fromGrpcStatus(input.error));
    if (result !== undefined) {
      checkMapped("fromGrpcStatus", input, result);
      if (input.serialise) {
        try {
          JSON.stringify(result);
        } catch (error) {
          bad("fromGrpcStatus", input, "an error from fromGrpcStatus does not serialise", error);
        }
      }
    }
  }
  if (input.record !== undefined) {
    const fromRecord = call("parseStatusDetails", input, () => parseStatusDetails(input.record));
    // The record's trailer reads exactly as its value(s) read on their own.
    const direct = parseStatusDetails(input.value);
    if (fromRecord?.code !== direct?.code || fromRecord?.reason !== direct?.reason)
      bad(
        "parseStatusDetails",
        input,
        "a record's trailer read unlike its value",
        `code ${fromRecord?.code}, the value alone says ${direct?.code}`,
      );
  }
  if (input.hint !== undefined) {
    const { name, text, expected } = input.hint;
    const error = { code: 14, details: "later", metadata: { get: (key) => (key === name ? [text] : []) } };
    const result = call("fromGrpcStatus", input, () => fromGrpcStatus(error));
    const delay = result?.retryDelay;
    const show = `${name}: ${JSON.stringify(text)} gave ${delay}, expected ${expected}`;
    if (delay !== undefined && !(delay >= 0 && delay <= MAX_HINT_MS))
      bad("fromGrpcStatus", input, "a hint out of range", show);
    else if (expected === "none" && delay !== undefined)
      bad("fromGrpcStatus", input, "an invalid hint was read", show);
    else if (expected === "date" && delay === undefined)
      bad("fromGrpcStatus", input, "a valid HTTP-date was not read", show);
    else if (typeof expected === "number" && delay !== expected)
      bad("fromGrpcStatus", input, "a hint read wrong", show);
  }
  if (input.kind.startsWith("kit:") && kit !== undefined) {
    const unknown = {
      type: "Unknown",
      typeUrl: "type.googleapis.com/acme.v1.X",
      value: new Uint8Array(0),
      json: input.details[0],
    };
    for (const [name, run] of [
      [
        "toStatusJson",
        () =>
          JSON.stringify(
            kit.toStatusJson({ code: 5, details: [unknown] }, { form: pick(["aip193", "connect"]) }),
          ),
      ],
      [
        "toResponse",
        () =>
          kit.toResponse(
            { code: 5, details: [unknown] },
            { protocol: pick(["aip193", "connect", "grpc-web"]) },
          ),
      ],
    ]) {
      TARGETS.kit.calls++;
      try {
        const written = run();
        if (typeof written === "string") parseStatusJson?.(written);
      } catch (error) {
        // The kit's documented refusals name the function; anything else is a failure.
        const documented =
          (error instanceof TypeError || error instanceof RangeError) &&
          (String(error.message).startsWith(`${name}: `) ||
            String(error.message).startsWith("encodeStatus: "));
        if (!documented) threw("kit", input, error);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Presets, catalogues and client results (round four): every input of this block goes through the
// default preset's, Modal's (dist/modal.js) and an SDK's own catalogue's (`defineCatalogue`, with
// rules that throw) `fromGrpcStatus` and `isRetryable`: REST error bodies; axios-shaped errors
// (`response.data` a stream, a Buffer, an ArrayBuffer, huge text or a getter that throws; `status`
// not an integer; `message` arrays of 10^5 strings; no response at all); openapi-fetch results;
// `google.rpc.Status` message objects (google-protobuf's getters, protobuf-es's fields) whose getters
// throw. Each result must be its catalogue's error, serialise, and carry the code the input states
// plainly; no input may take longer than its time bound (the best of three runs, so a GC pause or
// a JIT tier-up does not count). Its inputs have road "presets", run by runPresetsInput below.
// ---------------------------------------------------------------------------------------------

/**
 * The longest one input of this block may take through all six calls (the best of three runs):
 * PRESETS_BOUND_MS, plus PRESETS_PER_ELEMENT_MS for each element of a large input (a `details`
 * list of 10^4 `Any`s is decoded, linearly, in tens of milliseconds per call) and
 * PRESETS_PER_KIB_MS for each KiB of a body's JSON (a body near the 1 MiB read limit is parsed in
 * about as long as `JSON.parse` takes, ~15 ms per call). A step that is quadratic in the input
 * overshoots this by orders of magnitude.
 */
const PRESETS_BOUND_MS = 100;
const PRESETS_PER_ELEMENT_MS = 0.2;
const PRESETS_PER_KIB_MS = 0.5;

let modalApi;
const modalPath = fileURLToPath(new URL("../dist/modal.js", import.meta.url));
if (existsSync(modalPath)) {
  try {
    modalApi = await import(modalPath);
  } catch {
    modalApi = undefined;
  }
}

/**
 * An SDK's own catalogue, as an SDK author writes one (SPEC §17), with every kind of row — and
 * rules and a message function that throw now and then, which must count as `false` and the
 * default message.
 */
function userCatalogue() {
  const { SandboxSdkError, defineCatalogue } = api;
  if (typeof defineCatalogue !== "function") return undefined;
  class AcmeError extends SandboxSdkError {}
  class AcmeNotFoundError extends AcmeError {}
  class AcmeBusyError extends AcmeError {
    get retryable() {
      return true;
    }
  }
  class AcmeConnectionError extends AcmeError {
    get retryable() {
      return true;
    }
  }
  class AcmeTimeoutError extends AcmeError {}
  class AcmeFileError extends AcmeError {}
  // Every third call throws: from a counter of its own, so the inputs stay those of the seed.
  let calls = 0;
  const sometimesThrows = (answer) => (failure) => {
    if (++calls % 3 === 0) boom();
    return answer(failure);
  };
  const catalogue = defineCatalogue({
    root: AcmeError,
    trustedDomains: ["acme.dev"],
    reasons: { ACME_BUSY: AcmeBusyError, SANDBOX_NOT_FOUND: AcmeNotFoundError },
    codes: {
      NOT_FOUND: AcmeNotFoundError,
      UNAVAILABLE: [
        { when: sometimesThrows((f) => String(f.rawMessage).includes("busy")), then: AcmeBusyError },
      ],
      RESOURCE_EXHAUSTED: AcmeBusyError,
    },
    httpStatuses: {
      404: AcmeNotFoundError,
      429: AcmeBusyError,
      "5xx": [{ when: sometimesThrows((f) => f.headers.get("retry-after") !== null), then: AcmeBusyError }],
    },
    scopes: { files: { root: AcmeFileError, httpStatuses: { 404: AcmeFileError } } },
    network: AcmeConnectionError,
    timeout: AcmeTimeoutError,
    reasonFields: ["error_code", "errorCode", "code"],
    message: sometimesThrows(
      ({ operation, rawMessage, codeName }) => `${operation}: ${rawMessage ?? codeName}`,
    ),
  });
  return { catalogue, root: AcmeError };
}
const acme = userCatalogue();

/** The three catalogues of this block: name, fromGrpcStatus, isRetryable, the root every result must be. */
const PRESETS = [
  ["default", fromGrpcStatus, api.isRetryable, api.SandboxSdkError],
  ...(modalApi === undefined
    ? []
    : [["modal", modalApi.fromGrpcStatus, modalApi.isRetryable, modalApi.ModalError]]),
  ...(acme === undefined
    ? []
    : [["catalogue", acme.catalogue.fromGrpcStatus, acme.catalogue.isRetryable, acme.root]]),
];

/** `message` as NestJS sends a validation failure: 10^5 strings (rarely: each costs milliseconds). */
const hugeMessages = () => Array.from({ length: 100_000 }, (_, i) => `property p${i} should not exist`);

/** A kind of another block's as one family of this block's tally (which splits kinds at ", "). */
const oneKind = (kind) => kind.replaceAll(", ", " · ");

/** A REST body, sometimes with a message array of 10^5 strings; `kib`, the size of its JSON. */
function presetRestBody() {
  const made = restBody();
  if (chance(0.003)) made.body.message = hugeMessages();
  made.kib = JSON.stringify(made.body).length / 1024;
  return made;
}

/** Node's codes for a request that never got a response (axios: no `response`). */
const NETWORK_CODES = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "ERR_NETWORK",
];

/** A value that is no HTTP status, as a careless proxy or client might hand one over. */
const ODD_STATUSES = [404.5, "404", Number.NaN, Number.POSITIVE_INFINITY, -1, null, 1e300, 2 ** 53, 0];

/**
 * An axios response's `data`: what axios parsed, or could not, or a hostile object; and how the
 * mapping must read it: `"json"` (the body decides the code), `"bare"` (the status line does: no
 * body, one past 1 MiB, a stream it must not read, a getter that throws) or `undefined` (unchecked).
 */
function axiosData(body) {
  const text = JSON.stringify(body);
  const within = (length) => (length <= MAX_BODY_TEXT ? "json" : "bare");
  switch (below(10)) {
    case 0:
      return { data: body, read: "json", as: "parsed" };
    case 1:
      return { data: text, read: within(text.length), as: "text" };
    case 2: {
      const buffer = Buffer.from(text);
      return { data: buffer, read: within(buffer.length), as: "Buffer" };
    }
    case 3: {
      const bytes = utf8.encode(text);
      return {
        data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
        read: within(bytes.length),
        as: "ArrayBuffer",
      };
    }
    case 4:
      // axios' `responseType: "stream"`: a Node Readable the mapping must not read.
      return { data: Readable.from([text]), read: "bare", as: "stream" };
    case 5:
      return { data: { pipe: boom, on: boom }, read: "bare", as: "stream-like" };
    case 6:
      return { data: undefined, read: "bare", as: "no data" };
    case 7:
      return chance(0.01)
        ? { data: `${text}${" ".repeat(MAX_BODY_TEXT)}`, read: "bare", as: "text past 1 MiB" }
        : { data: randomString(), read: undefined, as: "random text" };
    case 8:
      return { data: pick(HOSTILE)(), read: undefined, as: "hostile" };
    default:
      return { data: undefined, read: "bare", throwing: true, as: "throwing getter" };
  }
}

/** An axios-shaped error (`isAxiosError: true`), with or without a response, clean or hostile. */
function axiosError() {
  if (chance(0.3)) {
    // No response: a network failure, the SDK's own timeout, or the caller's cancel.
    const roll = below(4);
    if (roll === 0)
      return {
        kind: "axios · canceled",
        error: Object.assign(new Error("canceled"), {
          name: "CanceledError",
          code: "ERR_CANCELED",
          isAxiosError: true,
        }),
        code: "none",
      };
    if (roll === 1)
      return {
        kind: "axios · timeout",
        error: Object.assign(new Error("timeout of 50ms exceeded"), {
          code: pick(["ECONNABORTED", "ETIMEDOUT"]),
          isAxiosError: true,
        }),
        code: undefined,
      };
    const code = pick(NETWORK_CODES);
    return {
      kind: "axios · no response",
      error: Object.assign(new Error(`connect ${code} 127.0.0.1:1`), {
        code,
        isAxiosError: true,
        response: chance(0.2) ? null : undefined,
      }),
      code: 14,
    };
  }
  const { kind, body, status: bodyStatus, kib } = presetRestBody();
  const integer = chance(0.8);
  const status = integer ? pick(HTTP_STATUSES) : pick(ODD_STATUSES);
  const { data, read, throwing, as } = axiosData(body);
  const response = {
    status,
    statusText: pick(["", "Not Found", 42, undefined]),
    headers: pick([
      () => undefined,
      () => ({ "retry-after": "3", "content-type": "application/json" }),
      () => new Headers({ "retry-after-ms": "250" }),
      () => throwingProxy(),
      () => ({ get: boom }),
    ])(),
  };
  if (throwing) Object.defineProperty(response, "data", { get: boom, enumerable: true });
  else response.data = data;
  const error = Object.assign(new Error(`Request failed with status code ${status}`), {
    isAxiosError: true,
    code: "ERR_BAD_RESPONSE",
    response,
  });
  const hostileResponse = chance(0.05);
  if (hostileResponse) Object.defineProperty(error, "response", { get: boom });
  // The code the input states plainly: the body's HTTP status through google-gax's table when the
  // body was handed over readable, or the response's status as gRPC maps a bare one when it was not.
  let code;
  if (integer && !hostileResponse) {
    if (read === "json" && bodyStatus !== undefined && bodyStatus >= 400 && bodyStatus < 600)
      code = gaxCodeOf(bodyStatus);
    else if (read === "bare") code = CODE_OF_BARE_HTTP[status] ?? 2;
  }
  return {
    kind: `axios · ${integer ? "response" : "odd status"} · ${as} · ${oneKind(kind)}`,
    error,
    code,
    kib,
  };
}

/** An openapi-fetch result: `{ error, response }`, the body already parsed into `error`. */
function openapiFetchResult() {
  const { kind, body, status: bodyStatus, kib } = presetRestBody();
  const real = chance(0.7);
  const status = 400 + below(200);
  const headers = chance(0.5) ? { "retry-after": String(below(10)) } : {};
  const response = real
    ? new Response(null, { status, headers })
    : {
        status: pick([status, ...ODD_STATUSES]),
        statusText: "x",
        ok: pick([false, "no", undefined]),
        headers: pick([throwingProxy(), { get: boom }, new Headers(headers)]),
      };
  const roll = below(5);
  const error =
    roll === 0 ? undefined : roll === 1 ? pick(["Bad Gateway", "", 42]) : roll === 2 ? pick(HOSTILE)() : body;
  let code;
  if (real) {
    if (roll >= 3 && bodyStatus !== undefined && bodyStatus >= 400 && bodyStatus < 600)
      code = gaxCodeOf(bodyStatus);
    // No body, or one that is no JSON (a string, a number): the status line alone.
    else if (roll <= 1) code = CODE_OF_BARE_HTTP[status] ?? 2;
  }
  return {
    kind: `openapi-fetch result · ${real ? "Response" : "fake response"} · ${oneKind(kind)}`,
    error: { error, response },
    code,
    kib,
  };
}

/** One `google.protobuf.Any` of a message object: real detail bytes, or hostile. */
function anyOf(style) {
  const typeUrl = pick([
    "type.googleapis.com/google.rpc.ErrorInfo",
    "type.googleapis.com/google.rpc.RetryInfo",
    "type.googleapis.com/acme.v1.X",
    "",
  ]);
  const value = chance(0.7) ? mutatedVector() : pick([null, "AAAA", [1, 2], throwingProxy()]);
  if (style === "google-protobuf") {
    return chance(0.8)
      ? { getTypeUrl: () => typeUrl, getValue_asU8: () => value }
      : { getTypeUrl: boom, getValue_asU8: chance(0.5) ? boom : () => value };
  }
  if (chance(0.8)) return { typeUrl, value };
  return Object.defineProperties({}, { typeUrl: { get: boom, enumerable: true }, value: { get: boom } });
}

/** A `google.rpc.Status` held as a message object, some of its getters throwing. */
function messageObject() {
  const code = 1 + below(16);
  const message = randomString();
  const count = chance(0.002) ? 10_000 : below(4);
  if (chance(0.5)) {
    const details = Array.from({ length: count }, () => anyOf("google-protobuf"));
    const hostile = chance(0.4);
    const status = {
      getCode: hostile && chance(0.3) ? boom : () => code,
      getMessage: hostile && chance(0.3) ? boom : () => message,
      getDetailsList:
        hostile && chance(0.3) ? boom : () => (hostile && chance(0.3) ? throwingProxy([]) : details),
    };
    return {
      kind: `message object (google-protobuf${hostile ? " · hostile" : ""})`,
      error: status,
      code: hostile ? undefined : code,
      size: count,
    };
  }
  const details = Array.from({ length: Math.max(count, 1) }, () => anyOf("protobuf-es"));
  const status = { code, message, details };
  const hostile = chance(0.4);
  if (hostile) {
    const field = pick(["code", "message", "details"]);
    Object.defineProperty(status, field, { get: boom, enumerable: true });
  }
  return {
    kind: `message object (protobuf-es${hostile ? " · hostile" : ""})`,
    error: status,
    code: undefined,
    size: details.length,
  };
}

/** Contexts, some hostile: a scope of the user catalogue's, getters that throw. */
const PRESET_CONTEXTS = [
  () => undefined,
  () => ({ operation: "getSandbox", sandboxId: "sbx-1" }),
  () => ({ scope: "files", operation: "readFile" }),
  () => ({ scope: "discovery", runnerId: "r" }),
  () => Object.defineProperty({}, "operation", { get: boom, enumerable: true }),
  () => throwingProxy(),
];

/** The next input of this block. */
function makePresetsInput() {
  const roll = below(100);
  let made;
  if (roll < 25) {
    const { kind, body, status, kib } = presetRestBody();
    made = {
      kind: `preset: ${oneKind(kind)}`,
      error: body,
      code: status === undefined ? undefined : gaxCodeOf(status),
      kib,
    };
  } else if (roll < 60) {
    made = axiosError();
    made.kind = `preset: ${made.kind}`;
  } else if (roll < 80) {
    made = openapiFetchResult();
    made.kind = `preset: ${made.kind}`;
  } else {
    made = messageObject();
    made.kind = `preset: ${made.kind}`;
  }
  // A hostile context must not cost the code either.
  const context = pick(PRESET_CONTEXTS)();
  return { road: "presets", ...made, context };
}

/** The six calls of one input; returns nothing, records everything. */
function presetCalls(input) {
  for (const [name, map, retryable, root] of PRESETS) {
    const target = `${name} fromGrpcStatus`;
    const result = call(target, input, () => map(input.error, input.context));
    if (result !== undefined) {
      if (!(result instanceof root)) {
        bad(target, input, `${target} returned an error of another catalogue`, String(result?.name));
      } else if (input.code !== undefined) {
        // "none": the caller's abort, which carries no code.
        TARGETS[target].codeChecks++;
        const expected = input.code === "none" ? undefined : input.code;
        if (result.grpcCode !== expected)
          bad(target, input, `${target} lost the code`, `grpcCode ${result.grpcCode}, expected ${expected}`);
      }
      try {
        JSON.stringify(result);
      } catch (error) {
        bad(target, input, `an error from ${target} does not serialise`, error);
      }
    }
    const judged = call("isRetryable", input, () => retryable(input.error));
    if (judged !== undefined && typeof judged !== "boolean")
      bad("isRetryable", input, "isRetryable answered no boolean", String(judged));
  }
}

/** Runs one input of this block, timed; an input over the bound is run again, and its best counts. */
function runPresetsInput(input) {
  const t0 = process.hrtime.bigint();
  presetCalls(input);
  const first = Number(process.hrtime.bigint() - t0) / 1e6;
  presetsTime.count++;
  if (first > presetsTime.slowestMs) {
    presetsTime.slowestMs = first;
    presetsTime.slowest = input.kind;
  }
  const bound =
    PRESETS_BOUND_MS + (input.size ?? 0) * PRESETS_PER_ELEMENT_MS + (input.kib ?? 0) * PRESETS_PER_KIB_MS;
  if (first <= bound) return;
  let best = first;
  for (let i = 0; i < 2 && best > bound; i++) {
    const t1 = process.hrtime.bigint();
    for (const [, map, retryable] of PRESETS) {
      try {
        map(input.error, input.context);
        retryable(input.error);
      } catch {
        // Counted above already.
      }
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t1) / 1e6);
  }
  if (best > bound) {
    badResults++;
    presetsTime.over++;
    record("over its time bound", input, `${best.toFixed(1)} ms, the best of three runs; bound ${bound} ms`);
  }
}

/** This block's timing: inputs run, the slowest first run, and the inputs over the bound. */
const presetsTime = { count: 0, slowestMs: 0, slowest: undefined, over: 0 };

// ---------------------------------------------------------------------------------------------
// One input: what it is, how to show it, and the calls made with it
// ---------------------------------------------------------------------------------------------

function wrapAsGrpcJs(bytes) {
  const code = below(17);
  const metadata = { get: (key) => (key === STATUS_DETAILS_KEY ? [bytes] : []) };
  return { code, error: { code, details: chance(0.5) ? "boom" : "", message: `${code} X: boom`, metadata } };
}

function wrapAsProtobufTs(text) {
  const code = below(17);
  return { code, error: { code: CODE_NAMES[code], message: "failed", meta: { [STATUS_DETAILS_KEY]: text } } };
}

const CONTEXTS = [
  undefined,
  {},
  { scope: "discovery", runnerId: "r" },
  { scope: "general" },
  { fileSystemSnapshotId: "fss", trustedDomains: ["acme.example"] },
];

/**
 * Makes the next input: `{ kind, road, ... }`. Roads: "binary" (parseStatusDetails, fromGrpcStatus),
 * "json" (parseStatusJson, fromGrpcStatus), "any" (all three), "response" (fromResponse).
 */
function makeInput() {
  // A tenth of the inputs exercise the presets and client results of round four, a tenth the JSON
  // and fetch roads' round-three hardening (each its own block).
  if (chance(0.1)) return makePresetsInput();
  if (chance(0.1)) return makeRoadsInput();
  // Without fromResponse in the build, its share of the inputs goes to the others.
  const roll = below(fromResponse === undefined ? 92 : 100);
  if (roll < 30) {
    const bytes = mutatedVector();
    return {
      kind: "mutated vector",
      road: "binary",
      bytes,
      parseInput: bytes,
      ...wrapAsGrpcJs(bytes),
      context: pick(CONTEXTS),
    };
  }
  if (roll < 38) {
    const bytes = randomBytes(chance(0.9) ? 256 : 4096);
    return {
      kind: "random bytes",
      road: "binary",
      bytes,
      parseInput: bytes,
      ...wrapAsGrpcJs(bytes),
      context: pick(CONTEXTS),
    };
  }
  if (roll < 48) {
    const text = randomBase64();
    return {
      kind: "base64 text",
      road: "binary",
      text,
      parseInput: text,
      ...wrapAsProtobufTs(text),
      context: pick(CONTEXTS),
    };
  }
  if (roll < 78) {
    const { kind, text, body, code } = makeJsonInput();
    // parseStatusJson reads text and parsed bodies alike; fromGrpcStatus reads parsed bodies.
    const asText = body === undefined || chance(0.5);
    return {
      kind,
      road: "json",
      text,
      parseInput: asText ? text : body,
      error: body ?? text,
      // A build without parseStatusJson has no JSON road yet: fromGrpcStatus cannot know the code.
      code: parseStatusJson === undefined ? undefined : code,
      context: pick(CONTEXTS),
    };
  }
  if (roll < 86) {
    // Anything at all as the thrown value: no code to check.
    const value = randomValue();
    return {
      kind: "random value",
      road: "any",
      parseInput: value,
      error: value,
      code: undefined,
      context: pick(CONTEXTS),
    };
  }
  if (roll < 90) {
    const maker = below(HOSTILE.length);
    const value = HOSTILE[maker]();
    return {
      kind: `hostile object #${maker}`,
      road: "any",
      parseInput: value,
      error: value,
      code: undefined,
      context: undefined,
    };
  }
  if (roll < 92) {
    // A hostile context around a good transport error: the code must still come through.
    const bytes = pick(GOLDEN);
    const maker = below(HOSTILE.length);
    return {
      kind: `hostile context #${maker}`,
      road: "binary",
      bytes,
      parseInput: bytes,
      ...wrapAsGrpcJs(bytes),
      context: HOSTILE[maker](),
    };
  }
  return { road: "response", ...makeResponseInput() };
}

function show(input) {
  if (input.bytes !== undefined) {
    const hex = Buffer.from(input.bytes.subarray(0, 32)).toString("hex");
    return `${input.kind}, ${input.bytes.length} bytes: ${hex}${input.bytes.length > 32 ? "…" : ""}`;
  }
  if (input.text !== undefined) {
    return `${input.kind}, ${input.text.length} chars: ${JSON.stringify(input.text.slice(0, 80))}`;
  }
  return input.kind;
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const TARGETS = {
  parseStatusDetails: { available: true },
  parseStatusJson: { available: parseStatusJson !== undefined },
  fromGrpcStatus: { available: true },
  fromResponse: { available: fromResponse !== undefined },
  kit: { available: kit !== undefined },
  "default fromGrpcStatus": { available: true },
  "modal fromGrpcStatus": { available: modalApi !== undefined },
  "catalogue fromGrpcStatus": { available: acme !== undefined },
  isRetryable: { available: typeof api.isRetryable === "function" },
};
for (const target of Object.values(TARGETS))
  Object.assign(target, { calls: 0, throws: 0, bad: 0, codeChecks: 0 });

let throws = 0;
let badResults = 0;
/** One example per kind of failure (what failed, on which kind of input), with a count. */
const failures = new Map();
/** Inputs per family of kind, and JSON inputs per thing done to them (deep, huge, text mutated). */
const kinds = new Map();
const jsonFlags = new Map();
let slowestNs = 0n;
let slowest;

function record(what, input, detail) {
  const key = `${what}: ${input.kind}`;
  const seen = failures.get(key);
  if (seen !== undefined) seen.count++;
  else
    failures.set(key, {
      count: 1,
      example: `${show(input)}\n      ${String(detail).split("\n").slice(0, 4).join("\n      ")}`,
    });
}

function threw(target, input, error) {
  throws++;
  TARGETS[target].throws++;
  let detail;
  try {
    detail = error?.stack ?? String(error);
  } catch {
    detail = "(an unprintable throw)";
  }
  record(`${target} threw`, input, detail);
}

function bad(target, input, what, detail) {
  badResults++;
  TARGETS[target].bad++;
  record(what, input, detail);
}

/** Checks a result of fromGrpcStatus or fromResponse: an error of ours, with the plainly stated code. */
function checkMapped(target, input, result) {
  if (!isSandboxSdkError(result)) {
    let shown;
    try {
      shown = String(result);
    } catch {
      shown = typeof result;
    }
    bad(target, input, `${target} returned something else`, shown);
  } else if (input.code !== undefined) {
    TARGETS[target].codeChecks++;
    if (result.grpcCode !== input.code) {
      bad(target, input, `${target} lost the code`, `grpcCode ${result.grpcCode}, expected ${input.code}`);
    }
  }
}

function call(target, input, run) {
  TARGETS[target].calls++;
  try {
    return run();
  } catch (error) {
    threw(target, input, error);
    return undefined;
  }
}

/** The synchronous targets of one input; returns nothing, records everything. */
function runSync(input) {
  if (input.road === "binary" || input.road === "any") {
    call("parseStatusDetails", input, () => parseStatusDetails(input.parseInput));
  }
  if ((input.road === "json" || input.road === "any") && parseStatusJson !== undefined) {
    const parsed = call("parseStatusJson", input, () => parseStatusJson(input.parseInput));
    if (input.road === "json" && input.code !== undefined) TARGETS.parseStatusJson.codeChecks++;
    if (input.road === "json" && input.code !== undefined && parsed?.code !== input.code) {
      bad(
        "parseStatusJson",
        input,
        "parseStatusJson lost the code",
        `code ${parsed?.code}, expected ${input.code}`,
      );
    }
  }
  const result = call("fromGrpcStatus", input, () => fromGrpcStatus(input.error, input.context));
  if (result !== undefined) checkMapped("fromGrpcStatus", input, result);
}

/**
 * Unhandled rejections (a promise the library dropped, which then rejected) are failures, not
 * crashes; they are told apart only by the phase they happened in.
 */
let phase = { kind: "synchronous calls" };
process.on("unhandledRejection", (reason) => {
  badResults++;
  record("unhandled rejection", phase, reason?.stack ?? String(reason));
});

/** Runs a batch of fetch inputs concurrently; stragglers past SETTLE_TIMEOUT_MS count as hung. */
async function runResponses(batch) {
  phase = { kind: "a batch of fromResponse calls" };
  const pending = new Set(batch);
  const settled = batch.map(async (input) => {
    TARGETS.fromResponse.calls++;
    let promise;
    try {
      promise = fromResponse("make" in input ? input.make() : input.value, input.context);
    } catch (error) {
      pending.delete(input);
      threw("fromResponse", input, error);
      return;
    }
    try {
      const result = await promise;
      if (input.rangeError) {
        bad(
          "fromResponse",
          input,
          "fromResponse took a maxBodyBytes that is no positive finite number",
          "resolved",
        );
      }
      checkMapped("fromResponse", input, result);
      const { stream, maxBody } = input;
      if (stream !== undefined && stream.pulled > maxBody + 3 * stream.chunk) {
        bad(
          "fromResponse",
          input,
          "fromResponse read past maxBodyBytes",
          `${stream.pulled} bytes pulled, limit ${maxBody}`,
        );
      }
    } catch (error) {
      // The one rejection fromResponse has: a maxBodyBytes that is no positive finite number.
      if (!(input.rangeError && error instanceof RangeError)) threw("fromResponse", input, error);
    }
    pending.delete(input);
  });
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, SETTLE_TIMEOUT_MS);
  });
  await Promise.race([Promise.all(settled), timeout]);
  clearTimeout(timer);
  for (const input of pending)
    bad("fromResponse", input, "fromResponse did not settle", `within ${SETTLE_TIMEOUT_MS} ms`);
  phase = { kind: "synchronous calls" };
}

const skipped = Object.entries(TARGETS)
  .filter(([, target]) => !target.available)
  .map(([name]) => name);
console.log(
  `fuzz: seed ${seed} (0x${seed.toString(16)}), ${count} inputs against dist/index.js` +
    (jsonVectorsPath === undefined ? "; no JSON vectors found: JSON inputs are generated only" : ""),
);
for (const name of skipped)
  console.log(`  ${name}: not built yet: skipped (dist/index.js does not export it)`);

const started = process.hrtime.bigint();
let responses = [];
for (let i = 0; i < count; i++) {
  const input = makeInput();
  // Tallied by what the input is (`hostile object #3` and `response 404 text/html, HTML` by their
  // family), with what was done to JSON inputs (`, deep`) counted on its own.
  const [family, ...flags] = input.kind
    .replace(/ #\d+$/, "")
    .replace(/^response .*/, "response")
    .split(", ");
  kinds.set(family, (kinds.get(family) ?? 0) + 1);
  for (const flag of flags) jsonFlags.set(flag, (jsonFlags.get(flag) ?? 0) + 1);
  if (input.road === "response") {
    responses.push(input);
    if (responses.length === RESPONSE_BATCH) {
      await runResponses(responses);
      responses = [];
    }
    continue;
  }
  const t0 = process.hrtime.bigint();
  if (input.road === "roads") runRoadsInput(input);
  else if (input.road === "presets") runPresetsInput(input);
  else runSync(input);
  const elapsed = process.hrtime.bigint() - t0;
  if (elapsed > slowestNs) {
    slowestNs = elapsed;
    slowest = input;
  }
}
if (responses.length > 0) await runResponses(responses);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

/**
 * The slowest input again, a few times: a one-off (a GC pause, a JIT tier-up) re-runs fast, an input
 * that is slow to decode does not.
 */
function rerun(input) {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    try {
      if (input.road === "presets") {
        for (const [, map, retryable] of PRESETS) {
          map(input.error, input.context);
          retryable(input.error);
        }
      } else {
        if (input.road !== "json") parseStatusDetails(input.parseInput);
        if (input.road !== "binary") parseStatusJson?.(input.parseInput);
        fromGrpcStatus(input.error, input.context);
      }
    } catch {
      // Counted above already.
    }
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best;
}

const ms = (ns) => `${(Number(ns) / 1e6).toFixed(3)} ms`;
const rows = [
  ["inputs", String(count)],
  ["elapsed", `${seconds.toFixed(1)} s`],
  ["inputs/s", String(Math.round(count / seconds))],
  [
    "slowest",
    slowest === undefined ? "-" : `${ms(slowestNs)}, ${ms(rerun(slowest))} re-run (${show(slowest)})`,
  ],
  ["throws", String(throws)],
  ["bad results", String(badResults)],
];
for (const [label, value] of rows) console.log(`  ${label.padEnd(12)}${value}`);

// "code checks": the calls whose input states its code plainly, so the result had to carry it.
console.log("\nper target:             calls   throws  bad results  code checks");
for (const [name, { available, calls, throws: thrown, bad: wrong, codeChecks }] of Object.entries(TARGETS)) {
  if (!available) console.log(`  ${name.padEnd(20)} not built yet: skipped`);
  else
    console.log(
      `  ${name.padEnd(20)}${String(calls).padStart(8)}${String(thrown).padStart(9)}${String(wrong).padStart(13)}${String(codeChecks).padStart(13)}`,
    );
}
console.log("\ninputs by kind:");
for (const [kind, times] of [...kinds].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${String(times).padStart(8)}  ${kind}`);
}
console.log(
  `\npresets block: ${presetsTime.count} inputs through ${PRESETS.map(([name]) => name).join(", ")}; ` +
    `slowest first run ${presetsTime.slowestMs.toFixed(1)} ms (${presetsTime.slowest ?? "-"}); ` +
    `${presetsTime.over} over the bound (${PRESETS_BOUND_MS} ms + ${PRESETS_PER_ELEMENT_MS} ms per element, ` +
    `${PRESETS_PER_KIB_MS} ms per KiB of body)`,
);
const flagged = [...jsonFlags].map(([flag, times]) => `${times} ${flag}`).join(", ");
if (flagged !== "") console.log(`  (JSON inputs among these: ${flagged})`);
if (failures.size > 0) {
  console.log(`\nfailures by kind (reproduce with --seed ${seed} --count ${count}):`);
  for (const [key, { count: times, example }] of failures)
    console.log(`  ${times} × ${key}\n    e.g. ${example}`);
}
process.exitCode = throws === 0 && badResults === 0 ? 0 : 1;

// =============================================================================================
// The CLI (dist/cli.js): its renderer on hostile shapes, in text and --json
// =============================================================================================
//
// runCli, imported from the built bin, is given the shapes that once broke it (SPEC §11): an
// ErrorInfo with one very long key beside many short ones, details kept as sent holding null where
// an object was expected, nesting tens of thousands of levels deep, a long string in a mixed array,
// a value inside a log line with terminal colours and control bytes (as an argument and on stdin,
// also as a JSON array), QuotaFailures of empty violations (the largest output per input byte by
// design), JSON bodies of the JSON road above and mutated golden vectors (hex, base64, raw stdin),
// each under a random --preset and --scope. Every input runs as text and as --json. None may throw;
// the exit status is 0, or 2 with one line on stderr; nothing unsafe reaches the output raw; --json
// output parses; and the output stays bounded by the input:
//
//   output chars ≤ CLI_OUTPUT_PER_INPUT × input chars (or bytes, on stdin) + CLI_OUTPUT_CONSTANT
//
// (128: an empty QuotaFailure violation is 2 bytes and prints 8 fields on 9 lines, ~233 chars; the
// constant covers the fixed text). A shape made of one long string must print it at most twice in
// text (the status's message and the error's), thrice with --json (the error's rawMessage too), so
// there the bound is 2 (3) × input + the constant. A value in a
// coloured log line must decode exactly as the bare value does. Its inputs come after the other
// targets', from the same generator: deterministic for a --seed and --count.

const CLI_SHARE = 200; // one CLI input for every 200 inputs of the run above
const CLI_OUTPUT_PER_INPUT = 128;
const CLI_OUTPUT_CONSTANT = 16 * 1024;
const cliPath = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const cliModule = existsSync(cliPath) ? await import(cliPath) : undefined;
const runCli = typeof cliModule?.runCli === "function" ? cliModule.runCli : undefined;
const CLI_PRESETS = Object.keys(cliModule?.PRESETS ?? { cwsandbox: 0 });
const CLI_SCOPES = ["sandbox", "discovery", "general"];
const GOLDEN_OK = JSON.parse(readFileSync(fixture("status-details.json"), "utf8"))
  .vectors.filter((v) => v.expect.ok && v.hex !== "")
  .map((v) => Buffer.from(v.hex, "hex"));

const CLI_BIDI = [
  0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
];

/**
 * The first character the output must not carry raw (C0 controls but the line feed, DEL, C1
 * controls, bidi controls, line and paragraph separators), as U+XXXX; undefined when there is none.
 */
function rawUnsafe(text) {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (
      (code < 0x20 && code !== 0x0a) ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      CLI_BIDI.includes(code)
    ) {
      return `U+${code.toString(16).padStart(4, "0")}`;
    }
  }
  return undefined;
}

const utf8Bytes = (text) => new TextEncoder().encode(text);
/** A protobuf field: tag, then a varint or a length-delimited payload. */
const pbVarint = (field, value) => Uint8Array.from([field << 3, ...varint(value)]);
const pbBytes = (field, payload) =>
  concat(Uint8Array.from([(field << 3) | 2, ...varint(payload.length)]), payload);
const pbAny = (type, payload) =>
  concat(pbBytes(1, utf8Bytes(`type.googleapis.com/google.rpc.${type}`)), pbBytes(2, payload));
const pbStatus = (code, message, details) =>
  concat(pbVarint(1, code), pbBytes(2, utf8Bytes(message)), ...details.map((d) => pbBytes(3, d)));
/** A size from 1 to 2^bits, log-uniform: mostly small, now and then large. */
const logSize = (bits) => 2 ** below(bits + 1) + below(2 ** below(bits + 1));

/** A status (bytes) as the CLI may be given it: hex or base64 as an argument, or raw bytes on stdin. */
function cliBytesInput(kind, bytes) {
  switch (below(3)) {
    case 0:
      return { kind: `${kind}, hex`, args: [Buffer.from(bytes).toString("hex")] };
    case 1:
      return { kind: `${kind}, base64`, args: [Buffer.from(bytes).toString("base64")] };
    default:
      return { kind: `${kind}, raw stdin`, args: ["-"], stdin: bytes };
  }
}

/** JSON text as the CLI may be given it: an argument, or stdin. */
function cliTextInput(kind, text) {
  return chance(0.5)
    ? { kind: `${kind}, argument`, args: [text] }
    : { kind: `${kind}, stdin`, args: ["-"], stdin: utf8Bytes(text) };
}

/** An ErrorInfo with one long metadata key beside many short ones. */
function wideMetadata() {
  const long = "K".repeat(logSize(17));
  const count = logSize(12);
  if (chance(0.3)) {
    const metadata = { [long]: "v" };
    for (let i = 0; i < count; i++) metadata[`k${i}`] = "v";
    const detail = {
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "R",
      domain: "d",
      metadata,
    };
    return cliTextInput("wide metadata, JSON", JSON.stringify({ code: 5, message: "m", details: [detail] }));
  }
  const entries = [pbBytes(3, concat(pbBytes(1, utf8Bytes(long)), pbBytes(2, utf8Bytes("v"))))];
  for (let i = 0; i < count; i++)
    entries.push(pbBytes(3, concat(pbBytes(1, utf8Bytes(`k${i}`)), pbBytes(2, utf8Bytes("v")))));
  const info = concat(pbBytes(1, utf8Bytes("R")), pbBytes(2, utf8Bytes("d")), ...entries);
  return cliBytesInput("wide metadata", pbStatus(5, "m", [pbAny("ErrorInfo", info)]));
}

/** Details kept as sent, with null (and other non-objects) where a reader expects an object. */
function keptWithNulls() {
  hugeBudget = 0;
  const details = [];
  for (let i = 1 + below(4); i > 0; i--) {
    const pieces = [
      null,
      [null],
      [[null]],
      [1, null],
      { metadata: null },
      { a: [1, null, { b: null }] },
      "s",
      5,
      {},
    ];
    const detail = pick([
      () => pick(pieces),
      () => ({
        "@type": "type.example.com/acme.Thing",
        ...{ [randomString().slice(0, 8) || "k"]: pick(pieces) },
      }),
      () => ({
        "@type": `type.googleapis.com/google.rpc.${pick(DETAIL_TYPES)}`,
        [pick(["metadata", "violations", "links", "fieldViolations", "stackEntries"])]: pick(pieces),
      }),
      () => randomJson(3),
    ])();
    details.push(detail);
  }
  return cliTextInput("kept as sent, nulls", JSON.stringify({ code: 1 + below(16), message: "m", details }));
}

/** A detail kept as sent, nested up to 32 768 levels deep (arrays, objects, or both in turn). */
function deeplyNested() {
  const depth = logSize(14);
  const kind = below(3);
  const open = kind === 0 ? "[" : kind === 1 ? '{"a":' : '[{"a":';
  const close = kind === 0 ? "]" : kind === 1 ? "}" : "}]";
  const levels = kind === 2 ? Math.ceil(depth / 2) : depth;
  const deep = `${open.repeat(levels)}${pick(["1", "null", '"x"', "[]", "{}"])}${close.repeat(levels)}`;
  const text = chance(0.5)
    ? `{"code":5,"message":"deep","details":[{"@type":"type.example.com/acme.Deep","a":${deep}}]}`
    : `{"code":5,"message":"deep","details":[${deep},{"@type":"type.example.com/acme.Wide","list":[1,${deep},"s"]}]}`;
  return cliTextInput(`nested ${depth} deep`, text);
}

/** A long string in a mixed array of a detail kept as sent, or as the message. */
function longString() {
  const long = pick(["x", "é", "😀"]).repeat(logSize(18));
  if (chance(0.8)) {
    const text = JSON.stringify({
      code: 5,
      message: "long",
      details: [{ "@type": "type.example.com/acme.Long", list: [1, long, chance(0.5) ? null : true] }],
    });
    return { ...cliTextInput("long string in a mixed array", text), stringHeavy: true };
  }
  return { ...cliBytesInput("long message", pbStatus(5, long, [])), stringHeavy: true };
}

/** ANSI colours, OSC titles and stray control bytes, as a coloured log carries them. */
const DECORATIONS = [
  "\u001b[31m",
  "\u001b[0m",
  "\u001b[1;32m",
  "\u001b]0;title\u0007",
  "\u0007",
  "\u007f",
  "\u001b(B",
  "",
];

/** A golden vector's value inside a coloured log line: it must decode as the bare value does. */
function colouredLogLine() {
  const bytes = pick(GOLDEN_OK);
  const value = Buffer.from(bytes).toString(chance(0.5) ? "base64" : "hex");
  const key = pick(["grpc-status-details-bin", "Grpc-Status-Details-Bin", '"grpc-status-details-bin"']);
  const written = pick([`: ${value}`, `=${value}`, `:"${value}"`, `:["${value}"]`, `:[${value}]`]);
  const line = `${pick(DECORATIONS)}ERROR${pick(DECORATIONS)} rpc failed ${key}${written}${pick(DECORATIONS)} took=3ms${pick(DECORATIONS)}\n`;
  const input = cliTextInput("coloured log line", line);
  return { ...input, sameAs: [value] };
}

/** A QuotaFailure of empty violations: the most output per input byte, by design. */
function emptyViolations() {
  const count = logSize(10);
  const violations = new Uint8Array(2 * count);
  for (let i = 0; i < count; i++) violations[2 * i] = 0x0a; // field 1, length 0
  return cliBytesInput(
    `${count} empty quota violations`,
    pbStatus(8, "quota", [pbAny("QuotaFailure", violations)]),
  );
}

function makeCliInput() {
  const make = pick([
    wideMetadata,
    keptWithNulls,
    deeplyNested,
    longString,
    colouredLogLine,
    emptyViolations,
    () => {
      const { kind, text } = makeJsonInput();
      return cliTextInput(`JSON road: ${kind}`, text);
    },
    function mutatedVectorBytes() {
      return cliBytesInput("mutated vector", mutatedVector());
    },
  ]);
  const shape = make();
  const options = [];
  if (chance(0.5)) options.push("--preset", pick(CLI_PRESETS));
  if (chance(0.5)) options.push(`--scope=${pick(CLI_SCOPES)}`);
  const input = shape.stdin ?? shape.args[0];
  // Tallied by the shape's maker (the JSON road's by its own kinds, sizes left out).
  const family = make.name === "" ? shape.kind.replace(/, (argument|stdin)$/, "") : make.name;
  return { ...shape, shape: family, options, inputLength: input.length };
}

async function runCliOnce(args, stdin) {
  let stdout = "";
  let stderr = "";
  const status = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => stdin ?? new Uint8Array(0),
  });
  return { status, stdout, stderr };
}

const cliFailures = new Map();
/** Inputs and milliseconds per shape. */
const cliKinds = new Map();
let cliRuns = 0;
let cliFailed = 0;
let cliWorstRatio = 0;
let cliWorst;
let cliSlowestMs = 0;
let cliSlowest;

function cliFail(what, input, detail) {
  cliFailed++;
  const key = `${what}: ${input.kind.replace(/\d+/g, "N")}`;
  const seen = cliFailures.get(key);
  if (seen !== undefined) seen.count++;
  else {
    const shown = JSON.stringify(
      String(
        input.stdin !== undefined
          ? Buffer.from(input.stdin.subarray(0, 80)).toString("latin1")
          : input.args[0],
      ).slice(0, 80),
    );
    cliFailures.set(key, {
      count: 1,
      example: `${input.inputLength} chars: ${shown}\n      ${String(detail).split("\n").slice(0, 4).join("\n      ")}`,
    });
  }
}

/** Runs one input as text and as --json, and checks everything above; returns the text run. */
async function checkCli(input) {
  let textRun;
  for (const json of [false, true]) {
    const args = [
      "decode",
      ...(json ? ["--json"] : []),
      ...input.options,
      ...(input.args[0] === "-" ? ["-"] : ["--", input.args[0]]),
    ];
    cliRuns++;
    const t0 = process.hrtime.bigint();
    let run;
    try {
      run = await runCliOnce(args, input.stdin);
    } catch (error) {
      cliFail(`runCli threw${json ? " (--json)" : ""}`, input, error?.stack ?? String(error));
      continue;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms > cliSlowestMs) {
      cliSlowestMs = ms;
      cliSlowest = `${input.kind}${json ? ", --json" : ""}, ${input.inputLength} chars`;
    }
    if (!json) textRun = run;
    const mode = json ? " (--json)" : "";
    const { status, stdout, stderr } = run;
    if (status !== 0 && status !== 2) cliFail(`exit status ${status}${mode}`, input, stderr);
    if (status === 0 && stderr !== "") cliFail(`stderr on success${mode}`, input, stderr);
    if (status === 2 && !/^sandbox-sdk-errors: [^\n]*\n$/.test(stderr))
      cliFail(`not one line on stderr${mode}`, input, stderr.slice(0, 300));
    const output = stdout.length + stderr.length;
    // The worst ratio is reported for inputs of 1 KiB or more: below that the constant dominates.
    const ratio = output / input.inputLength;
    if (input.inputLength >= 1024 && ratio > cliWorstRatio) {
      cliWorstRatio = ratio;
      cliWorst = `${input.kind}${mode}: ${output} chars out for ${input.inputLength} in`;
    }
    if (output > CLI_OUTPUT_PER_INPUT * input.inputLength + CLI_OUTPUT_CONSTANT) {
      cliFail(
        `output past ${CLI_OUTPUT_PER_INPUT} × input + ${CLI_OUTPUT_CONSTANT}${mode}`,
        input,
        `${output} chars`,
      );
    }
    // Text prints one long string at most twice (the status's message and the mapped message);
    // --json a third time, as the mapped error's rawMessage, a field a program reads on its own.
    const copies = json ? 3 : 2;
    if (input.stringHeavy && output > copies * input.inputLength + CLI_OUTPUT_CONSTANT) {
      cliFail(
        `a long string printed more than ${json ? "thrice" : "twice"}${mode}`,
        input,
        `${output} chars`,
      );
    }
    const unsafe = rawUnsafe(stdout) ?? rawUnsafe(stderr);
    if (unsafe !== undefined) cliFail(`raw ${unsafe} in the output${mode}`, input, "");
    if (json && stdout !== "") {
      try {
        JSON.parse(stdout);
      } catch (error) {
        cliFail("--json output that does not parse", input, error?.message);
      }
    }
  }
  return textRun;
}

if (runCli === undefined) {
  console.log("\nCLI: dist/cli.js is missing or exports no runCli: skipped");
} else {
  const cliCount = Math.ceil(count / CLI_SHARE);
  const cliStarted = process.hrtime.bigint();
  for (let i = 0; i < cliCount; i++) {
    const input = makeCliInput();
    const t0 = process.hrtime.bigint();
    const textRun = await checkCli(input);
    if (input.sameAs !== undefined && textRun !== undefined) {
      const bare = await runCliOnce(["decode", ...input.options, "--", ...input.sameAs]);
      if (
        bare.status !== textRun.status ||
        bare.stdout !== textRun.stdout ||
        bare.stderr !== textRun.stderr
      ) {
        cliFail(
          "a coloured log line decodes unlike its bare value",
          input,
          `${bare.status} vs ${textRun.status}: ${textRun.stderr}`,
        );
      }
    }
    const tally = cliKinds.get(input.shape) ?? { inputs: 0, ms: 0 };
    tally.inputs++;
    tally.ms += Number(process.hrtime.bigint() - t0) / 1e6;
    cliKinds.set(input.shape, tally);
  }
  const cliSeconds = Number(process.hrtime.bigint() - cliStarted) / 1e9;
  console.log(
    `\nCLI (runCli of dist/cli.js): ${cliCount} inputs, ${cliRuns} runs (text and --json) in ${cliSeconds.toFixed(1)} s`,
  );
  console.log(
    `  bound       output ≤ ${CLI_OUTPUT_PER_INPUT} × input + ${CLI_OUTPUT_CONSTANT} chars (2 × input + ${CLI_OUTPUT_CONSTANT} for one long string, 3 × with --json)`,
  );
  console.log(`  worst ratio ${cliWorstRatio.toFixed(1)} out per in, inputs ≥ 1 KiB (${cliWorst ?? "-"})`);
  console.log(`  slowest     ${cliSlowestMs.toFixed(1)} ms (${cliSlowest ?? "-"})`);
  console.log(`  failures    ${cliFailed}`);
  console.log("  inputs by shape:");
  for (const [kind, { inputs, ms }] of [...cliKinds].sort((a, b) => b[1].inputs - a[1].inputs)) {
    console.log(`  ${String(inputs).padStart(8)}  ${kind} (${(ms / 1000).toFixed(1)} s)`);
  }
  if (cliFailures.size > 0) {
    console.log(`\nCLI failures by kind (reproduce with --seed ${seed} --count ${count}):`);
    for (const [key, { count: times, example }] of cliFailures)
      console.log(`  ${times} × ${key}\n    e.g. ${example}`);
    process.exitCode = 1;
  }
}
