/**
 * `defineCatalogue` (SPEC §17): an SDK's mapping rules, as data, turned into the functions that map
 * with them on every road — `fromGrpcStatus`, `fromResponse`, `withErrorMapping`,
 * `niceGrpcErrorMiddleware`, `isRetryable`. Both shipped presets are built with it. `defineMapping`
 * is its lean half (`fromGrpcStatus` and `isRetryable` alone), for bundles that pay only for what
 * they use.
 */
import { BRAND, presetOf } from "../core/brands.js";
import { isSandboxSdkError, type SandboxSdkError } from "../core/error.js";
import {
  type AdapterContext,
  type ErrorMappingContext,
  errorMiddleware,
  type NiceGrpcClientMiddleware,
  wrapClient,
} from "../edge/adapters.js";
import { callSite, type ResponseReadOptions, responseFailure, restack } from "../roads/response.js";
import { suspendStackCapture } from "../wire/stack.js";
import { type CompiledCatalogue, compileCatalogue } from "./compile.js";
import type { CatalogueContext, CatalogueSpec } from "./spec.js";
import { mapQuietly, mapSuspended } from "./walk.js";

/** Where a mapping keeps its compiled catalogue: `defineCatalogue(mapping)` reuses it. */
const COMPILED: unique symbol = Symbol("compiled catalogue");

/**
 * A catalogue's lean half, made by {@link defineMapping}: the mapping of one failure, and the retry
 * policy that follows from it.
 */
export interface Mapping<
  Root extends SandboxSdkError = SandboxSdkError,
  Context extends CatalogueContext = CatalogueContext,
> {
  /** The catalogue's name, as its spec gave it. */
  readonly name: string | undefined;
  /** The spec it was made from (as given). */
  readonly spec: CatalogueSpec<Root, Context>;
  /**
   * Maps whatever a transport threw (every road of SPEC §13) onto the catalogue's classes. Never
   * throws. An error of this package comes back as it is (even one of another catalogue); the
   * original is kept as `cause`; the stack starts at the caller.
   */
  fromGrpcStatus(error: unknown, context?: Context): Root;
  /**
   * Whether retrying the call that raised `error` may succeed: an error of this package's
   * `retryable` (its class's declaration); anything else, the `retryable` of what
   * {@link fromGrpcStatus} would make of it.
   */
  isRetryable(error: unknown): boolean;
  /** @internal */
  readonly [COMPILED]: CompiledCatalogue;
}

/** The context of a catalogue's `fromResponse`: the mapping's, and how the body is read. */
export type ResponseContext<Context extends CatalogueContext = CatalogueContext> = Context &
  ResponseReadOptions;

/** A catalogue, made by {@link defineCatalogue}: its mapping on every road, bound to its rules. */
export interface Catalogue<
  Root extends SandboxSdkError = SandboxSdkError,
  Context extends CatalogueContext = CatalogueContext,
> extends Mapping<Root, Context> {
  /**
   * Maps a `Response` that failed, for SDKs on `fetch` (gRPC-web, Connect, AIP-193 and REST bodies;
   * anything else by its HTTP status). Never rejects, but for an invalid `maxBodyBytes`. The stack
   * starts at the caller's `await`.
   */
  fromResponse(response: Response, context?: ResponseContext<Context>): Promise<Root>;
  /**
   * A client of the same type whose every method's failures arrive already mapped, with
   * `operation` = the method's name (grpc-js, protobuf-ts, connect-es and nice-grpc clients). The
   * caller's own abort is re-thrown as itself.
   */
  withErrorMapping<T extends object>(client: T, context?: ErrorMappingContext<Context & AdapterContext>): T;
  /**
   * A nice-grpc client middleware that keeps the trailers nice-grpc drops and maps the call's
   * failure. nice-grpc runs the middleware added last outermost: add it last, after any retry
   * middleware, so that it maps the final error.
   */
  niceGrpcErrorMiddleware(context?: ErrorMappingContext<Context & AdapterContext>): NiceGrpcClientMiddleware;
}

/**
 * The lean half of {@link defineCatalogue}: a catalogue's `fromGrpcStatus` and `isRetryable` alone,
 * for a bundle that maps failures where it catches them and never needs `fromResponse` or the
 * adapters (they stay out of it). `defineCatalogue(mapping)` adds them later without compiling the
 * spec again.
 *
 * @throws TypeError - naming the bad entry of an invalid spec (see {@link defineCatalogue}).
 */
/* @__NO_SIDE_EFFECTS__ */
export function defineMapping<
  Root extends SandboxSdkError,
  Context extends CatalogueContext = CatalogueContext,
>(spec: CatalogueSpec<Root, Context>): Mapping<Root, Context> {
  const compiled = compileCatalogue(spec);
  nameClasses(compiled);
  function fromGrpcStatus(error: unknown, context?: Context): Root {
    if (isSandboxSdkError(error)) return error as Root;
    // The error is built with stack capture off, so it records no frames of ours and costs no stack
    // walk of its own; then one capture from the caller. (Here, not in a helper: every frame between
    // the caller and the capture is walked.)
    const limit = suspendStackCapture();
    const mapped = mapSuspended(compiled, undefined, error, context, limit);
    if (limit !== undefined) Error.captureStackTrace(mapped, fromGrpcStatus);
    return mapped as Root;
  }
  function isRetryable(error: unknown): boolean {
    return retryableOf(isSandboxSdkError(error) ? error : mapQuietly(compiled, error));
  }
  const mapping = Object.freeze({
    name: compiled.name,
    spec,
    fromGrpcStatus,
    isRetryable,
    [COMPILED]: compiled,
  });
  register(mapping as Mapping);
  return mapping;
}

/** The first mapping defined for each preset whose root class has a brand of its own, by preset. */
const BY_PRESET = new Map<string | undefined, Mapping>();

function register(mapping: Mapping): void {
  const root = mapping[COMPILED].root;
  if (!Object.hasOwn(root, BRAND)) return;
  const preset = presetOf(root.prototype);
  if (!BY_PRESET.has(preset)) BY_PRESET.set(preset, mapping);
}

/**
 * The catalogue `error` belongs to: the first one defined (and loaded) whose root is the root of the
 * error's preset — the default preset's for its classes, Modal's for Modal's (once
 * `sandbox-sdk-errors/modal` is loaded), an SDK's own for classes of a preset it declared with
 * `defineErrorClass`. `undefined` when none is loaded, or for a value that is not an error of this
 * package. The testing kit maps errors back with it.
 */
export function catalogueOf(error: unknown): Mapping | undefined {
  if (!isSandboxSdkError(error)) return undefined;
  return BY_PRESET.get(presetOf(error));
}

/** An error's `retryable`, read defensively (an error of another copy, a hostile getter). */
export function retryableOf(error: SandboxSdkError): boolean {
  try {
    return error.retryable === true;
  } catch {
    return false;
  }
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && COMPILED in value;
}

/**
 * Turns an SDK's mapping rules into the functions that map with them, on every road (SPEC §13) and
 * in every runtime (§14), with every field of §2; its errors work with `retry`, `otelAttributes`,
 * `toJSON` and the testing kit. What an SDK author writes instead of a hand-written `mapGrpcError`:
 *
 * ```ts
 * class AcmeError extends SandboxSdkError {}
 * class AcmeNotFoundError extends AcmeError {}
 * class AcmeBusyError extends AcmeError {
 *   override get retryable() {
 *     return true;
 *   }
 * }
 * const acme = defineCatalogue({
 *   root: AcmeError,
 *   trustedDomains: ["acme.dev"],
 *   reasons: { ACME_BUSY: AcmeBusyError },
 *   codes: { NOT_FOUND: AcmeNotFoundError },
 *   message: ({ operation, message }) => `${operation ?? "call"}: ${message}`,
 * });
 * ```
 *
 * The walk: a trusted reason's row (`reasons`), then the HTTP status's (`httpStatuses`, exact before
 * `"4xx"`/`"5xx"`), then the code's (`codes`), then `root`; at each step the context's scope's rows
 * (`scopes`) before the top level's. A row is a class, a rule `{ when, then, message? }`, or rules
 * tried in order, optionally ending with a class. A `when` or `message` that throws counts as false /
 * the default message (the server's message as sent, or the code's name when it is empty). The
 * caller's abort gives the scope's root, not retryable, with no `grpcCode`; a network failure is
 * UNAVAILABLE (or the `network` class); axios' request timeout the `timeout` class.
 *
 * A class without a name of its own (`class AcmeError extends SandboxSdkError {}`) is given its
 * JavaScript name, so its errors do not read as `SandboxSdkError` (call `defineErrorClass` for a
 * name that survives a minifier).
 *
 * @param spec - The rules, or a mapping made by {@link defineMapping}.
 * @throws TypeError - naming the bad entry: a class that does not extend `SandboxSdkError`, an unknown
 *   code name, a rule without `then`, an HTTP status key that is neither a status nor `"4xx"`/`"5xx"`,
 *   a field the spec does not have.
 */
/* @__NO_SIDE_EFFECTS__ */
export function defineCatalogue<
  Root extends SandboxSdkError,
  Context extends CatalogueContext = CatalogueContext,
>(spec: CatalogueSpec<Root, Context> | Mapping<Root, Context>): Catalogue<Root, Context> {
  const mapping = isMapping(spec)
    ? (spec as Mapping<Root, Context>)
    : defineMapping(spec as CatalogueSpec<Root, Context>);
  const compiled = mapping[COMPILED];
  const mapFailure = (error: unknown, context: Context & AdapterContext): SandboxSdkError =>
    mapping.fromGrpcStatus(error, context);
  function fromResponse(response: Response, context?: ResponseContext<Context>): Promise<Root> {
    return mapResponse(compiled, response, context, callSite(fromResponse)) as Promise<Root>;
  }
  return Object.freeze({
    name: mapping.name,
    spec: mapping.spec,
    fromGrpcStatus: mapping.fromGrpcStatus,
    isRetryable: mapping.isRetryable,
    fromResponse,
    withErrorMapping: <T extends object>(
      client: T,
      context?: ErrorMappingContext<Context & AdapterContext>,
    ): T => wrapClient(client, context, mapFailure),
    niceGrpcErrorMiddleware: (context?: ErrorMappingContext<Context & AdapterContext>) =>
      errorMiddleware(context, mapFailure),
    [COMPILED]: compiled,
  });
}

async function mapResponse(
  catalogue: CompiledCatalogue,
  response: Response,
  context: ResponseContext | undefined,
  site: ReturnType<typeof callSite>,
): Promise<SandboxSdkError> {
  const failure = await responseFailure(response, context);
  const error = mapSuspended(catalogue, failure, response, context, suspendStackCapture());
  restack(error, site);
  return error;
}

/** Gives each class of a user's catalogue that has no name of its own its JavaScript name. */
function nameClasses(catalogue: CompiledCatalogue): void {
  const classes = new Set([catalogue.root, catalogue.network, catalogue.timeout]);
  for (const rows of [catalogue.top, ...catalogue.scopes.values()]) {
    classes.add(rows.root);
    for (const entries of [
      ...rows.reasons.values(),
      ...rows.codes,
      ...rows.httpExact.values(),
      ...rows.httpClass,
    ]) {
      for (const entry of entries ?? []) classes.add(entry.then);
    }
  }
  for (const cls of classes) {
    if (cls === undefined || Object.hasOwn(cls.prototype, "name") || cls.name === "") continue;
    try {
      Object.defineProperty(cls.prototype, "name", { value: cls.name, writable: true, configurable: true });
    } catch {
      // A frozen class keeps the name it inherits.
    }
  }
}

export { COMPILED };
