/**
 * The errors of running a function in the sandbox that the SDK raises itself, before anything is
 * sent: never mapped from a failure, never retryable.
 */
import { defineErrorClass } from "../core/brands.js";
import { type ErrorOptionsOf, SandboxSdkError } from "../core/error.js";

/** A function to run in the sandbox cannot be run. Raised by SDK code, never mapped. */
export class FunctionError extends SandboxSdkError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "FunctionError");
}

/** An async function was given where a synchronous one is required (`assertSyncFunction`). */
export class AsyncFunctionError extends FunctionError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(this, "AsyncFunctionError");
}

/** Options of {@link FunctionSerializationError}. */
export type FunctionSerializationErrorOptions = ErrorOptionsOf<FunctionSerializationError>;

/**
 * A function's arguments (or result) cannot be carried faithfully by JSON (`assertSerializable`).
 * `path` names the first offending value.
 */
export class FunctionSerializationError extends FunctionError {
  static override readonly brand: string = /* @__PURE__ */ defineErrorClass(
    this,
    "FunctionSerializationError",
    { fields: { path: undefined } },
  );
  /** Where the offending value sits, e.g. `args[1].callback`. */
  declare readonly path: string | undefined;
  constructor(message?: string, options?: FunctionSerializationErrorOptions) {
    super(message, options);
  }
}
