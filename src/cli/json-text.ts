/**
 * JSON text for the CLI, written without recursion: `JSON.stringify` recurses once per level of
 * nesting and throws `RangeError: Maximum call stack size exceeded` a few thousand levels down, while
 * `JSON.parse` reads any depth — so a body that parses can hold a detail that `JSON.stringify`
 * cannot write back. This writer keeps its own stack, and indents only the first
 * {@link MAX_INDENTED_DEPTH} levels: indenting every level would make a body nested `d` levels deep
 * print `d²` spaces, output unbounded by the input.
 *
 * @packageDocumentation
 */

/**
 * How many levels of nesting are indented; deeper containers are written compact on one line. Deep
 * enough for every shape of the CLI's own documents (a field violation's `localizedMessage` sits six
 * levels down) and a few levels of a detail kept as sent.
 */
export const MAX_INDENTED_DEPTH = 12;

/**
 * A value still to be written (already through {@link jsonValue}), at its depth; a string is text to
 * copy as it is.
 */
type Task = string | { readonly value: unknown; readonly depth: number };

/** What `JSON.stringify` leaves out of an object and writes as `null` in an array. */
function isUnwritable(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/** A value as JSON sees it: its `toJSON()` when it has one, bytes as base64. */
function jsonValue(value: unknown, key: string): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "object" && value !== null) {
    const { toJSON } = value as { toJSON?: unknown };
    if (typeof toJSON === "function") return (toJSON as (key: string) => unknown).call(value, key);
  }
  return value;
}

function scalarText(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  // A bigint has no JSON form; its digits are the JSON number it stands for.
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  return "null";
}

/**
 * `value` as JSON text: the same text as `JSON.stringify(value, replacer, indent)` (with a replacer
 * that writes bytes as base64) for any value nested at most {@link MAX_INDENTED_DEPTH} levels, and
 * valid JSON of the same value at any depth. `indent` `""` writes it all on one line. The values
 * given are trees (what `JSON.parse` and the decoders make); a cycle is not looked for.
 */
export function jsonText(value: unknown, indent = ""): string {
  const out: string[] = [];
  const stack: Task[] = [{ value: jsonValue(value, ""), depth: 0 }];
  while (stack.length > 0) {
    const task = stack.pop() as Task;
    if (typeof task === "string") {
      out.push(task);
      continue;
    }
    const { depth, value: current } = task;
    if (current === null || typeof current !== "object") {
      out.push(scalarText(current));
      continue;
    }
    const indented = indent !== "" && depth < MAX_INDENTED_DEPTH;
    const inner = indented ? `\n${indent.repeat(depth + 1)}` : "";
    const outer = indented ? `\n${indent.repeat(depth)}` : "";
    // Children are pushed last first, so that they pop in order.
    if (Array.isArray(current)) {
      if (current.length === 0) {
        out.push("[]");
        continue;
      }
      out.push("[");
      stack.push(`${outer}]`);
      for (let index = current.length - 1; index >= 0; index--) {
        const element = jsonValue(current[index], String(index));
        stack.push({ value: isUnwritable(element) ? null : element, depth: depth + 1 });
        stack.push(index === 0 ? inner : `,${inner}`);
      }
      continue;
    }
    const object = current as Record<string, unknown>;
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(object)) {
      const entry = jsonValue(object[key], key);
      if (!isUnwritable(entry)) entries.push([key, entry]);
    }
    if (entries.length === 0) {
      out.push("{}");
      continue;
    }
    out.push("{");
    stack.push(`${outer}}`);
    const colon = indented ? ": " : ":";
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, entry] = entries[index] as [string, unknown];
      stack.push({ value: entry, depth: depth + 1 });
      stack.push(`${index === 0 ? "" : ","}${inner}${JSON.stringify(key)}${colon}`);
    }
  }
  return out.join("");
}
