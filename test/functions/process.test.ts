import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCommand, parseExceptionFromStderr } from "../../src/functions/process.js";
import {
  type ProcessResult,
  SandboxError,
  SandboxExecutionError,
} from "../../src/presets/cwsandbox/errors.js";

const TRACEBACK = [
  "Traceback (most recent call last):",
  '  File "/sandbox/run.py", line 12, in <module>',
  "    result = main()",
  '  File "/sandbox/run.py", line 8, in main',
  '    return int("abc")',
  "ValueError: invalid literal for int() with base 10: 'abc'",
  "",
].join("\n");

describe("parseExceptionFromStderr", () => {
  it("reads the type and message from the last line of a Python traceback", () => {
    expect(parseExceptionFromStderr(TRACEBACK)).toStrictEqual({
      exceptionType: "ValueError",
      exceptionMessage: "invalid literal for int() with base 10: 'abc'",
    });
  });

  it.each([
    ["a dotted name", "mypkg.errors.QuotaError: over quota", "mypkg.errors.QuotaError", "over quota"],
    ["a name ending in Exception", "CustomException: nope", "CustomException", "nope"],
    ["the bare Exception", "Exception: plain", "Exception", "plain"],
    ["the bare Error", "Error: plain", "Error", "plain"],
    ["an empty message", "ValueError: ", "ValueError", ""],
  ])("accepts %s", (_label, line, exceptionType, exceptionMessage) => {
    expect(parseExceptionFromStderr(line)).toStrictEqual({ exceptionType, exceptionMessage });
  });

  it("splits at the first ': ', so the message keeps later ones", () => {
    expect(parseExceptionFromStderr("KeyError: 'a: b': c")).toStrictEqual({
      exceptionType: "KeyError",
      exceptionMessage: "'a: b': c",
    });
  });

  it.each([
    ["a name that ends in neither Error nor Exception", "KeyboardInterrupt: stopped"],
    ["a warning", "UserWarning: deprecated"],
    ["a prefix before the name (the name is everything before the first ': ')", "oops: ValueError: x"],
    ["no space after the colon", "ValueError:boom"],
    ["no name before the colon", ": Error"],
    ["the traceback header", "Traceback (most recent call last):"],
    ["a name lowercased at the end", "Valueerror: x"],
  ])("ignores %s", (_label, line) => {
    expect(parseExceptionFromStderr(line)).toStrictEqual({});
  });

  it.each([
    ["spaces", "    ValueError: inside a frame"],
    ["a tab", "\tValueError: inside a frame"],
  ])("ignores a line indented with %s", (_label, line) => {
    expect(parseExceptionFromStderr(line)).toStrictEqual({});
  });

  it("gives nothing for empty stderr", () => {
    expect(parseExceptionFromStderr("")).toStrictEqual({});
    expect(parseExceptionFromStderr("\n\n")).toStrictEqual({});
  });

  it("sets only the message from EXCEPTION:", () => {
    expect(parseExceptionFromStderr("EXCEPTION:division by zero")).toStrictEqual({
      exceptionMessage: "division by zero",
    });
  });

  it("keeps everything after EXCEPTION: but the surrounding white space, colons included", () => {
    expect(parseExceptionFromStderr("EXCEPTION: a: b ")).toStrictEqual({ exceptionMessage: "a: b" });
    expect(parseExceptionFromStderr("EXCEPTION: boom")).toStrictEqual({ exceptionMessage: "boom" });
    expect(parseExceptionFromStderr("EXCEPTION:\t boom \t")).toStrictEqual({ exceptionMessage: "boom" });
  });

  it("trims the type and the message of RESULT_SERIALIZATION_ERROR:", () => {
    expect(parseExceptionFromStderr("RESULT_SERIALIZATION_ERROR: TypeError : x ")).toStrictEqual({
      exceptionType: "TypeError",
      exceptionMessage: "return value is not JSON-serializable: x",
    });
  });

  it("reads a type or a message of white space only as empty", () => {
    expect(parseExceptionFromStderr("RESULT_SERIALIZATION_ERROR:  :  ")).toStrictEqual({
      exceptionMessage: "return value is not JSON-serializable",
    });
    expect(parseExceptionFromStderr("EXCEPTION:   ")).toStrictEqual({ exceptionMessage: "" });
    expect(parseExceptionFromStderr("ValueError:  ")).toStrictEqual({
      exceptionType: "ValueError",
      exceptionMessage: "",
    });
  });

  it("trims the message of a traceback line, and judges its name trimmed", () => {
    expect(parseExceptionFromStderr("ValueError:   spaced out  ")).toStrictEqual({
      exceptionType: "ValueError",
      exceptionMessage: "spaced out",
    });
    expect(parseExceptionFromStderr("ValueError\u00a0: x")).toStrictEqual({
      exceptionType: "ValueError",
      exceptionMessage: "x",
    });
  });

  it("gives types and messages without surrounding white space, whatever the padding", () => {
    const padding = fc
      .array(fc.constantFrom(" ", "\t", "\u00a0", "\u2003", "\ufeff", "\v", "\f"), { maxLength: 4 })
      .map((parts) => parts.join(""));
    // Text with no line break and no colon, so it stays one field of one line.
    const text = fc.string({ unit: fc.constantFrom("a", "b", " ", "\t", "é", ".", "-"), minLength: 1 });
    fc.assert(
      fc.property(padding, padding, text, text, (before, after, type, message) => {
        const padded = (value: string) => `${before}${value}${after}`;
        expect(parseExceptionFromStderr(`EXCEPTION:${padded(message)}`).exceptionMessage).toBe(
          message.trim(),
        );
        const serialization = parseExceptionFromStderr(
          `RESULT_SERIALIZATION_ERROR:${padded(type)}:${padded(message)}`,
        );
        expect(serialization.exceptionType).toBe(type.trim() === "" ? undefined : type.trim());
        expect(serialization.exceptionMessage).toBe(
          message.trim() === ""
            ? "return value is not JSON-serializable"
            : `return value is not JSON-serializable: ${message.trim()}`,
        );
        const traceback = parseExceptionFromStderr(`OSError: ${padded(message)}`);
        expect(traceback).toStrictEqual({ exceptionType: "OSError", exceptionMessage: message.trim() });
      }),
    );
  });

  it("never reports a type or a message with surrounding white space, on any stderr", () => {
    // Text rich in what matters here: white space, colons, and the ends of exception names.
    const text = fc.string({ unit: fc.constantFrom(" ", "\t", "\u00a0", ":", ": ", "a", "Error", "\r") });
    const line = fc.oneof(
      text,
      fc
        .tuple(fc.constantFrom("EXCEPTION:", "RESULT_SERIALIZATION_ERROR:", "ValueError:", "X Error"), text)
        .map(([head, tail]) => head + tail),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const { exceptionType, exceptionMessage } = parseExceptionFromStderr(lines.join("\n"));
        if (exceptionType !== undefined) expect(exceptionType).toBe(exceptionType.trim());
        if (exceptionMessage !== undefined) expect(exceptionMessage).toBe(exceptionMessage.trim());
      }),
    );
  });

  it("reads RESULT_SERIALIZATION_ERROR:<Type>:<msg> as a return value JSON cannot carry", () => {
    const stderr = "RESULT_SERIALIZATION_ERROR:TypeError:Object of type set is not JSON serializable";
    expect(parseExceptionFromStderr(stderr)).toStrictEqual({
      exceptionType: "TypeError",
      exceptionMessage: "return value is not JSON-serializable: Object of type set is not JSON serializable",
    });
  });

  it("keeps colons in the RESULT_SERIALIZATION_ERROR message", () => {
    expect(parseExceptionFromStderr("RESULT_SERIALIZATION_ERROR:TypeError:a: b:c")).toStrictEqual({
      exceptionType: "TypeError",
      exceptionMessage: "return value is not JSON-serializable: a: b:c",
    });
  });

  it.each([
    ["an empty message", "RESULT_SERIALIZATION_ERROR:T:"],
    ["no message at all", "RESULT_SERIALIZATION_ERROR:T"],
  ])("leaves the suffix off the RESULT_SERIALIZATION_ERROR message for %s", (_label, stderr) => {
    expect(parseExceptionFromStderr(stderr)).toStrictEqual({
      exceptionType: "T",
      exceptionMessage: "return value is not JSON-serializable",
    });
  });

  it("lets a later traceback line overwrite an earlier one", () => {
    const stderr = `${TRACEBACK}\nDuring handling of the above exception, another exception occurred:\n\nRuntimeError: wrapped\n`;
    expect(parseExceptionFromStderr(stderr)).toStrictEqual({
      exceptionType: "RuntimeError",
      exceptionMessage: "wrapped",
    });
  });

  it("lets a later EXCEPTION: replace the message but keep the earlier type", () => {
    expect(parseExceptionFromStderr(`${TRACEBACK}EXCEPTION:from the runner\n`)).toStrictEqual({
      exceptionType: "ValueError",
      exceptionMessage: "from the runner",
    });
  });

  it("reads an empty <Type> as no type, and drops the type an earlier line set", () => {
    expect(parseExceptionFromStderr("RESULT_SERIALIZATION_ERROR::why")).toStrictEqual({
      exceptionMessage: "return value is not JSON-serializable: why",
    });
    expect(
      parseExceptionFromStderr("ValueError: x\nRESULT_SERIALIZATION_ERROR::why").exceptionType,
    ).toBeUndefined();
  });

  it("lets a later traceback line overwrite EXCEPTION: and RESULT_SERIALIZATION_ERROR:", () => {
    const stderr = "RESULT_SERIALIZATION_ERROR:TypeError:set\nEXCEPTION:first\nOSError: last\n";
    expect(parseExceptionFromStderr(stderr)).toStrictEqual({
      exceptionType: "OSError",
      exceptionMessage: "last",
    });
  });

  it("lets a later RESULT_SERIALIZATION_ERROR: overwrite a traceback line", () => {
    expect(parseExceptionFromStderr("ValueError: x\nRESULT_SERIALIZATION_ERROR:TypeError:y")).toStrictEqual({
      exceptionType: "TypeError",
      exceptionMessage: "return value is not JSON-serializable: y",
    });
  });

  it("reads CRLF line endings without keeping the carriage return", () => {
    const stderr = TRACEBACK.replaceAll("\n", "\r\n");
    expect(parseExceptionFromStderr(stderr)).toStrictEqual({
      exceptionType: "ValueError",
      exceptionMessage: "invalid literal for int() with base 10: 'abc'",
    });
    expect(parseExceptionFromStderr("EXCEPTION:boom\r\n")).toStrictEqual({ exceptionMessage: "boom" });
    expect(parseExceptionFromStderr("ValueError: no newline at the end\r")).toStrictEqual({
      exceptionType: "ValueError",
      exceptionMessage: "no newline at the end",
    });
  });

  // No clock here (the machine is shared): linear work takes well under a second, while quadratic or
  // backtracking code on these inputs would not end within the test's timeout.
  it("reads a multi-megabyte hostile stderr in bounded time", () => {
    const inputs = [
      // One 8 MB line of separators.
      ": ".repeat(4_000_000),
      // A million near-misses: names that almost end in Error.
      "AErro: x\n".repeat(1_000_000),
      // A million short matching lines: only the last one counts.
      `${"ValueError: v\n".repeat(999_999)}OSError: last`,
      // Carriage returns and empty lines.
      "\r\n".repeat(3_000_000),
      // A huge marker payload.
      `RESULT_SERIALIZATION_ERROR:${"T".repeat(4_000_000)}:${":".repeat(4_000_000)}`,
      // White space to trim, millions of characters of it, on both sides.
      `EXCEPTION:${" ".repeat(4_000_000)}x${"\t".repeat(4_000_000)}`,
      `ValueError:${" ".repeat(4_000_000)}x${" ".repeat(4_000_000)}`,
    ];
    // Strings cut to 80 characters: a failure then prints a short diff, not megabytes of one.
    const results = inputs.map((stderr) =>
      JSON.stringify(parseExceptionFromStderr(stderr), (_key, value) =>
        typeof value === "string" && value.length > 80 ? `${value.slice(0, 80)}… (${value.length})` : value,
      ),
    );
    expect(results[0]).toBe("{}");
    expect(results[1]).toBe("{}");
    expect(results[2]).toBe('{"exceptionType":"OSError","exceptionMessage":"last"}');
    expect(results[3]).toBe("{}");
    expect(results[4]).toBe(
      `{"exceptionType":"${"T".repeat(80)}… (4000000)","exceptionMessage":"return value is not JSON-serializable: ${":".repeat(41)}… (4000039)"}`,
    );
    expect(results[5]).toBe('{"exceptionMessage":"x"}');
    expect(results[6]).toBe('{"exceptionType":"ValueError","exceptionMessage":"x"}');
  });
});

describe("formatCommand", () => {
  it("leaves arguments of shell-safe characters unquoted", () => {
    expect(
      formatCommand(["ls", "-la", "/tmp/a_b.c", "key=value", "user@host:path", "a,b", "50%", "+x"]),
    ).toBe("ls -la /tmp/a_b.c key=value user@host:path a,b 50% +x");
  });

  it.each([
    ["a space", ["echo", "a b"], "echo 'a b'"],
    ["an empty argument", ["printf", ""], "printf ''"],
    ["shell syntax", ["sh", "-c", "ls | wc -l > $OUT; echo *"], "sh -c 'ls | wc -l > $OUT; echo *'"],
    ["a tilde", ["cd", "~"], "cd '~'"],
    ["a newline", ["echo", "a\nb"], "echo 'a\nb'"],
    ["a non-ASCII letter", ["cat", "résumé.txt"], "cat 'résumé.txt'"],
    ["a double quote", ["echo", 'say "hi"'], `echo 'say "hi"'`],
  ])("quotes an argument with %s", (_label, command, expected) => {
    expect(formatCommand(command)).toBe(expected);
  });

  it("writes a single quote as '\\'' inside quotes", () => {
    expect(formatCommand(["python", "-c", "print('hi')"])).toBe(`python -c 'print('\\''hi'\\'')'`);
    expect(formatCommand(["echo", "'"])).toBe(`echo ''\\'''`);
  });

  it("gives an empty string for an empty command", () => {
    expect(formatCommand([])).toBe("");
  });
});

describe("SandboxExecutionError.fromProcessResult", () => {
  const result = (overrides: Partial<ProcessResult> = {}): ProcessResult => ({
    stdout: "",
    stderr: TRACEBACK,
    exitCode: 1,
    command: ["python", "-c", "main()"],
    ...overrides,
  });

  it("names the command, shell-quoted, and the exit code", () => {
    const error = SandboxExecutionError.fromProcessResult(result());
    expect(error.message).toBe("Command 'python -c 'main()'' failed with exit code 1");
  });

  it("keeps the result and the exception parsed from stderr", () => {
    const processResult = result();
    const error = SandboxExecutionError.fromProcessResult(processResult);
    expect(error).toBeInstanceOf(SandboxExecutionError);
    expect(error).toBeInstanceOf(SandboxError);
    expect(error.name).toBe("SandboxExecutionError");
    expect(error.execResult).toBe(processResult);
    expect(error.exceptionType).toBe("ValueError");
    expect(error.exceptionMessage).toBe("invalid literal for int() with base 10: 'abc'");
    expect(error.retryable).toBe(false);
    expect(error.grpcCode).toBeUndefined();
  });

  it("reports a negative exit code (a signal) as it is", () => {
    const error = SandboxExecutionError.fromProcessResult(result({ exitCode: -9, stderr: "" }));
    expect(error.message).toBe("Command 'python -c 'main()'' failed with exit code -9");
    expect(error.exceptionType).toBeUndefined();
    expect(error.exceptionMessage).toBeUndefined();
  });

  it("names the function and the exception message when given a function name", () => {
    const error = SandboxExecutionError.fromProcessResult(result(), { functionName: "train" });
    expect(error.message).toBe(
      "Function 'train' execution failed in sandbox: invalid literal for int() with base 10: 'abc'",
    );
    expect(error.exceptionType).toBe("ValueError");
  });

  it("falls back to the whole stderr when no exception was found", () => {
    const error = SandboxExecutionError.fromProcessResult(
      result({ stderr: "Segmentation fault (core dumped)" }),
      {
        functionName: "train",
      },
    );
    expect(error.message).toBe(
      "Function 'train' execution failed in sandbox: Segmentation fault (core dumped)",
    );
    expect(error.exceptionType).toBeUndefined();
    expect(error.exceptionMessage).toBeUndefined();
  });

  it("falls back to stderr when the exception message is empty", () => {
    const error = SandboxExecutionError.fromProcessResult(result({ stderr: "EXCEPTION:\nkilled by OOM" }), {
      functionName: "train",
    });
    expect(error.exceptionMessage).toBe("");
    expect(error.message).toBe("Function 'train' execution failed in sandbox: EXCEPTION:\nkilled by OOM");
  });

  it("quotes only the last 8 KiB of a huge stderr, keeping all of it in execResult", () => {
    const stderr = `${"x".repeat(1_000_000)}\nSegfault at the end`;
    const error = SandboxExecutionError.fromProcessResult(result({ stderr }), { functionName: "train" });
    expect(error.message.endsWith("Segfault at the end")).toBe(true);
    expect(error.message.length).toBeLessThan(8 * 1024 + 100);
    expect(error.message).toContain("sandbox: …x");
    expect(error.execResult?.stderr).toBe(stderr);
  });

  it("reports a return value JSON cannot carry", () => {
    const stderr = "RESULT_SERIALIZATION_ERROR:TypeError:Object of type set is not JSON serializable\n";
    const error = SandboxExecutionError.fromProcessResult(result({ stderr }), { functionName: "collect" });
    expect(error.message).toBe(
      "Function 'collect' execution failed in sandbox: return value is not JSON-serializable: Object of type set is not JSON serializable",
    );
    expect(error.exceptionType).toBe("TypeError");
  });
});
