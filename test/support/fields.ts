import type { SandboxSdkError } from "../../src/index.js";

/**
 * What a round trip must give back: the class, the message and every field but `cause` (the class's
 * own fields included, `undefined` where the class has none), as plain data for `toEqual`.
 */
export function fieldsOf(error: SandboxSdkError) {
  const own = error as unknown as Record<string, unknown>;
  return {
    name: error.name,
    message: error.message,
    reason: error.reason,
    domain: error.domain,
    metadata: { ...error.metadata },
    retryDelay: error.retryDelay,
    grpcCode: error.grpcCode,
    requestId: error.requestId,
    details: error.details,
    retryable: error.retryable,
    fieldViolations: own.fieldViolations,
    sandboxId: own.sandboxId,
    filepath: own.filepath,
    fileSystemSnapshotId: own.fileSystemSnapshotId,
    runnerId: own.runnerId,
    profileName: own.profileName,
  };
}
