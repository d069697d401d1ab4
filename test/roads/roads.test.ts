/**
 * SPEC §13: the same server failure gives the same error whichever road it took. Every failure of
 * the table (derived from the mapping catalogue: every class `fromGrpcStatus` can produce, in the
 * scope and context that produce it) is sent by a real loopback server over each road — grpc-js,
 * protobuf-ts, connect-es's three protocols, nice-grpc (with this package's middleware, and
 * nice-grpc-error-details' rich client), raw `fetch` over gRPC-web and Connect, and an HTTP/JSON
 * gateway's AIP-193 body — and mapped; each road must give what the grpc-js road gives: class,
 * message, reason, domain, metadata, retryDelay, fieldViolations, requestId, grpcCode, the known
 * details and the class's own fields. Only `cause` differs.
 *
 * Where a road cannot carry something, the road says so (`hintPlaces`, `carries`), and the
 * expectation for it is derived from that declaration, never loosened by hand: a retry hint is
 * expected exactly on the roads that carry the header or trailer it travels in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxSdkError } from "../../src/index.js";
import * as library from "../../src/index.js";
import { hintedDelay, producibleClasses, type RoadCase, roadCases } from "../support/roads/failures.js";
import { ROAD_NAMES, type Road, type RoadName, type Roads, startRoads } from "../support/roads/roads.js";
import type { Failure } from "../support/transports/script.js";

const CASES = roadCases();
/** The package's exports by name, to find a class the catalogue names. */
const EXPORTS: ReadonlyMap<string, unknown> = new Map(Object.entries(library));
const REFERENCE: RoadName = "grpc-js";
const OTHER_ROADS = ROAD_NAMES.filter((name) => name !== REFERENCE);

/** What §13 says must be equal, and the class's own fields (which come from the context or metadata). */
function fieldsOf(error: SandboxSdkError) {
  const own = error as unknown as Record<string, unknown>;
  return {
    name: error.name,
    message: error.message,
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    fieldViolations: own.fieldViolations,
    requestId: error.requestId,
    grpcCode: error.grpcCode,
    details: error.details.filter((detail) => detail.type !== "Unknown"),
    retryable: error.retryable,
    sandboxId: own.sandboxId,
    filepath: own.filepath,
    fileSystemSnapshotId: own.fileSystemSnapshotId,
    runnerId: own.runnerId,
    profileName: own.profileName,
  };
}

type Fields = ReturnType<typeof fieldsOf>;

let roads: Roads;

beforeAll(async () => {
  roads = await startRoads();
});
afterAll(async () => {
  await roads?.close();
});

function road(name: RoadName): Road {
  const found = roads.byName.get(name);
  if (found === undefined) throw new Error(`no road ${name}`);
  return found;
}

/** The grpc-js road's mapping of each failure, run once and shared by every road's test. */
const referenceRuns = new Map<Failure, Promise<{ mapped: SandboxSdkError; fields: Fields }>>();

function reference(failure: Failure, context: library.MappingContext) {
  let run = referenceRuns.get(failure);
  if (run === undefined) {
    run = road(REFERENCE)
      .run(failure, context)
      .then(({ mapped }) => ({ mapped, fields: fieldsOf(mapped) }));
    referenceRuns.set(failure, run);
  }
  return run;
}

/** What `name` must give for the case: the reference's answer for what the road carries. */
async function expectationFor(name: RoadName, roadCase: RoadCase) {
  const target = road(name);
  const carried = target.carries?.(roadCase.failure) ?? roadCase.failure;
  const { mapped, fields } = await reference(carried, roadCase.context);
  const expected: Fields = { ...fields };
  if (roadCase.hinted) expected.retryDelay = hintedDelay(roadCase.failure, target.hintPlaces);
  return { mapped, expected };
}

it("the table has a failure for every class the catalogue can produce", () => {
  const covered = new Set(CASES.map((roadCase) => roadCase.expectedClass));
  expect([...producibleClasses()].filter((name) => !covered.has(name))).toEqual([]);
});

describe.each(CASES)("$name", (roadCase) => {
  it(`${REFERENCE} gives the class the catalogue names, with the failure's fields`, async () => {
    const { mapped, fields } = await reference(roadCase.failure, roadCase.context);
    const expectedClass = EXPORTS.get(roadCase.expectedClass);
    expect(typeof expectedClass).toBe("function");
    expect(mapped).toBeInstanceOf(expectedClass as typeof library.SandboxSdkError);
    expect(mapped.name).toBe(roadCase.expectedClass);
    expect(fields.grpcCode).toBe(roadCase.failure.code);
    if (roadCase.hinted) {
      expect(fields.retryDelay).toBe(hintedDelay(roadCase.failure, road(REFERENCE).hintPlaces));
    }
  });

  it.each(OTHER_ROADS)(`%s gives what ${REFERENCE} gives`, async (name) => {
    const { mapped: referenceError, expected } = await expectationFor(name, roadCase);
    const run = await road(name).run(roadCase.failure, roadCase.context);
    const limitation = road(name).limitation;
    const note = `${name} delivered:\n${run.shape}${limitation ? `\n(declared limitation: ${limitation})` : ""}`;
    expect(Object.getPrototypeOf(run.mapped), note).toBe(Object.getPrototypeOf(referenceError));
    expect(fieldsOf(run.mapped), note).toEqual(expected);
    // Only `cause` differs: it is what the road delivered.
    if (run.raw instanceof library.SandboxSdkError) {
      // Mapped at the client's edge (the middleware): fromGrpcStatus gives it back as it is, its
      // cause the client's own error.
      expect(run.mapped, note).toBe(run.raw);
      expect(run.mapped.cause, note).toBeInstanceOf(Error);
      expect(run.mapped.cause, note).not.toBeInstanceOf(library.SandboxSdkError);
    } else {
      expect(run.mapped.cause, note).toBe(run.raw);
    }
  });
});
