/**
 * Stack capture control for V8. Building an error captures a stack trace, which costs more than
 * everything else `fromGrpcStatus` does; and a decoder that refuses a malformed value builds an error
 * to unwind with. Both turn capture off around their work and put it back once.
 */

/**
 * Turns off V8's stack capture until {@link restoreStackCapture} puts the returned limit back, so
 * that errors built in between record no frames and cost no stack walk. Returns `undefined` (and
 * changes nothing) where that is not possible or already done: another engine, a frozen `Error`, or
 * capture already suspended by a caller further up.
 */
export function suspendStackCapture(): number | undefined {
  const limit = Error.stackTraceLimit;
  if (typeof Error.captureStackTrace !== "function" || typeof limit !== "number") return undefined;
  try {
    // Not a number: V8 captures nothing at all, cheaper than a limit of 0 (an empty trace).
    (Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined;
    return limit;
  } catch {
    return undefined;
  }
}

/** Puts back the limit {@link suspendStackCapture} returned (nothing to do for `undefined`). */
export function restoreStackCapture(limit: number | undefined): void {
  if (limit !== undefined) Error.stackTraceLimit = limit;
}
