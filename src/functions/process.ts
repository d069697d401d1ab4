/**
 * Reading what a process run in the sandbox left behind: the exception a function reported on
 * stderr, and a command line as a person would type it.
 */

/** What a process run in the sandbox produced. */
export interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** The command and its arguments. */
  readonly command: readonly string[];
  /** The raw bytes of stdout, when the SDK kept them. */
  readonly stdoutBytes?: Uint8Array;
  /** The raw bytes of stderr, when the SDK kept them. */
  readonly stderrBytes?: Uint8Array;
}

/** What {@link parseExceptionFromStderr} found. */
export interface ParsedException {
  /** The exception's type, such as `ValueError` or `mypkg.CustomError`. */
  exceptionType?: string;
  /** The exception's message. */
  exceptionMessage?: string;
}

const SERIALIZATION_MARKER = "RESULT_SERIALIZATION_ERROR:";
const EXCEPTION_MARKER = "EXCEPTION:";

/**
 * Finds the exception a sandboxed function reported on stderr. Every line is read, and a later
 * match overwrites an earlier one:
 *
 * - `RESULT_SERIALIZATION_ERROR:<Type>:<msg>` sets the type, and the message
 *   `return value is not JSON-serializable: <msg>` (without `: <msg>` when it is empty);
 * - `EXCEPTION:<msg>` sets only the message;
 * - an unindented `<Name>: <msg>` whose `<Name>` (everything before the first `": "`) ends in
 *   `Error` or `Exception` sets both — the last line of a Python traceback.
 *
 * Types and messages are trimmed of surrounding white space (`EXCEPTION: boom` gives `boom`); a
 * type that is empty once trimmed is no type.
 *
 * Linear in the size of `stderr`: no regular expression, so no backtracking on hostile input.
 */
export function parseExceptionFromStderr(stderr: string): ParsedException {
  const found: ParsedException = {};
  let start = 0;
  while (start <= stderr.length) {
    let end = stderr.indexOf("\n", start);
    if (end === -1) end = stderr.length;
    readLine(stderr.slice(start, stderr.charCodeAt(end - 1) === 13 ? end - 1 : end), found);
    start = end + 1;
  }
  return found;
}

function readLine(line: string, found: ParsedException): void {
  // trim() is a linear scan, no regular expression: it keeps the bound on hostile input.
  if (line.startsWith(SERIALIZATION_MARKER)) {
    const rest = line.slice(SERIALIZATION_MARKER.length);
    const colon = rest.indexOf(":");
    const type = (colon === -1 ? rest : rest.slice(0, colon)).trim();
    const message = colon === -1 ? "" : rest.slice(colon + 1).trim();
    if (type === "") delete found.exceptionType;
    else found.exceptionType = type;
    found.exceptionMessage =
      message === ""
        ? "return value is not JSON-serializable"
        : `return value is not JSON-serializable: ${message}`;
    return;
  }
  if (line.startsWith(EXCEPTION_MARKER)) {
    found.exceptionMessage = line.slice(EXCEPTION_MARKER.length).trim();
    return;
  }
  const first = line.charCodeAt(0);
  if (first === 32 || first === 9) return; // indented: a traceback frame, not the exception line
  const separator = line.indexOf(": ");
  if (separator <= 0) return;
  // The name is judged trimmed, as it is reported: `ValueError : x` names a ValueError.
  const name = line.slice(0, separator).trim();
  if (name.endsWith("Error") || name.endsWith("Exception")) {
    found.exceptionType = name;
    found.exceptionMessage = line.slice(separator + 2).trim();
  }
}

/** Characters a POSIX shell reads literally outside quotes. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * A command line as a person would type it into a POSIX shell: arguments joined with spaces, each
 * single-quoted where the shell would otherwise split or expand it.
 */
export function formatCommand(command: readonly string[]): string {
  return command
    .map((argument) => (SHELL_SAFE.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}
