/**
 * The checks every catalogue passes, for both shipped presets (and any other spec): its rows can all
 * be reached, it names only classes the entry exports under their names, and every class it can
 * produce round-trips through the testing kit — `toServiceError` (grpc-js), `toStatusJson` and
 * `toResponse` — back to the same class and fields.
 */
import { describe, expect, it } from "vitest";
import {
  type CatalogueContext,
  type CatalogueSpec,
  type ErrorClass,
  GrpcCode,
  type Mapping,
  type Row,
  type SandboxSdkError,
} from "../../src/index.js";
import { toResponse, toServiceError, toStatusJson } from "../../src/testing/index.js";
import { entriesOf, levelsOf, producibleClassesOf } from "./catalogue.js";

/** What the checks need of a preset: its catalogue, and the module that exports its classes. */
export interface PresetUnderTest<C extends CatalogueContext> {
  readonly name: string;
  readonly catalogue: Mapping<SandboxSdkError, C> & {
    fromResponse(response: Response, context?: C): Promise<SandboxSdkError>;
  };
  readonly exports: Readonly<Record<string, unknown>>;
  /** The context an error of `cls`, produced in `scope`, was mapped with. */
  readonly contextFor: (scope: string | undefined, cls: ErrorClass) => C;
  /**
   * Name the catalogue to the kit (`{ catalogue }`): for classes declared without `defineErrorClass`,
   * whose preset the kit cannot tell.
   */
  readonly nameCatalogueToKit?: boolean;
}

/** Where a class is produced: the scope, and the reason when only a reason gives it. */
interface Producer {
  readonly scope: string | undefined;
  readonly reason: string | undefined;
}

/**
 * Whether a status a server can send (a code other than OK, no trusted reason) can reach the root of
 * `scope` (the spec's default scope when `undefined`): some code that no row of the scope or of the
 * top level decides for good. Modal's table names a class for every code, so its root is only what
 * the caller's abort and input with no code give, which no wire can carry.
 */
function rootReachable<C extends CatalogueContext>(
  spec: CatalogueSpec<SandboxSdkError, C>,
  scope: string | undefined,
): boolean {
  const named = scope ?? spec.defaultScope;
  const scoped = named === undefined ? undefined : spec.scopes?.[named];
  const levels = scoped === undefined ? [spec] : [scoped, spec];
  return Object.keys(GrpcCode).some(
    (code) =>
      code !== "OK" &&
      !levels.some((rows) =>
        entriesOf((rows.codes as Record<string, Row<C>> | undefined)?.[code]).some(
          (entry) => !entry.conditional,
        ),
      ),
  );
}

/** Every class the spec produces, with the scope (and, for a class only a reason gives, the reason). */
export function producersOf<C extends CatalogueContext>(spec: CatalogueSpec<SandboxSdkError, C>) {
  const found = new Map<ErrorClass, Producer>();
  for (const { scope, rows } of levelsOf(spec)) {
    const byCode = [rows.codes, rows.httpStatuses] as (Record<string, Row<C>> | undefined)[];
    for (const table of byCode) {
      for (const row of Object.values(table ?? {})) {
        for (const entry of entriesOf(row))
          if (!found.has(entry.cls)) found.set(entry.cls, { scope, reason: undefined });
      }
    }
    const root = rows.root ?? (scope === undefined ? spec.root : undefined);
    if (root !== undefined && !found.has(root) && rootReachable(spec, scope)) {
      found.set(root, { scope, reason: undefined });
    }
  }
  for (const { scope, rows } of levelsOf(spec)) {
    for (const [reason, row] of Object.entries((rows.reasons ?? {}) as Record<string, Row<C>>)) {
      for (const entry of entriesOf(row)) if (!found.has(entry.cls)) found.set(entry.cls, { scope, reason });
    }
  }
  return [...found];
}

/** The fields a round trip must bring back unchanged. */
function fieldsOf(error: SandboxSdkError) {
  return {
    name: error.name,
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    requestId: error.requestId,
    operation: error.operation,
    sandboxId: error.sandboxId,
    retryable: error.retryable,
  };
}

export function checkCatalogue<C extends CatalogueContext>(preset: PresetUnderTest<C>): void {
  const spec = preset.catalogue.spec;
  describe(`the ${preset.name} catalogue`, () => {
    it("ends each row's list with its only entry that always applies, so every entry can be reached", () => {
      for (const { scope, rows } of levelsOf(spec)) {
        const tables = [rows.reasons, rows.codes, rows.httpStatuses] as (
          | Record<string, Row<C>>
          | undefined
        )[];
        for (const table of tables) {
          for (const [key, row] of Object.entries(table ?? {})) {
            const entries = entriesOf(row);
            const always = entries.findIndex((entry) => !entry.conditional);
            if (always !== -1) expect(always, `${scope ?? "top"} ${key}`).toBe(entries.length - 1);
          }
        }
      }
    });

    it("names only classes its entry exports, under their names", () => {
      for (const name of producibleClassesOf(spec)) {
        const cls = preset.exports[name] as { prototype?: { name?: string } } | undefined;
        expect(cls?.prototype?.name, name).toBe(name);
      }
    });

    const producers = producersOf(spec);
    it.each(
      producers.map(([cls, producer]) => [cls.prototype.name, producer.scope, cls, producer.reason] as const),
    )(
      "%s (scope %s) round-trips through toServiceError, toStatusJson and toResponse",
      async (_name, scope, cls, reason) => {
        const context = preset.contextFor(scope, cls);
        // A class only a reason gives carries that reason, from a trusted domain, as a mapped one does.
        const sent = reason === undefined ? {} : { reason, domain: spec.trustedDomains?.[0] };
        const error = new cls("it failed", {
          ...context,
          ...sent,
          retryDelay: 250,
          requestId: "req-1",
        } as never);
        const expected = fieldsOf(error);
        const kit = preset.nameCatalogueToKit ? { catalogue: preset.catalogue } : {};
        const viaGrpc = preset.catalogue.fromGrpcStatus(toServiceError(error, kit), context);
        expect(fieldsOf(viaGrpc)).toEqual(expected);
        for (const form of ["aip193", "connect"] as const) {
          const viaJson = preset.catalogue.fromGrpcStatus(toStatusJson(error, { form, ...kit }), context);
          expect(fieldsOf(viaJson), form).toEqual(expected);
        }
        for (const protocol of ["aip193", "connect", "grpc-web"] as const) {
          const viaResponse = await preset.catalogue.fromResponse(
            toResponse(error, { protocol, ...kit }),
            context,
          );
          expect(fieldsOf(viaResponse), protocol).toEqual(expected);
        }
      },
    );
  });
}
