// A TypeDoc plugin: a Mermaid class diagram in the README or in a TSDoc comment is drawn, when the
// docs are built, as a tree of text, so the API reference shows the hierarchy and not Mermaid source.
// Nothing is loaded at view time: Mermaid's own renderer runs only in a browser (it measures text in
// a DOM), and TypeDoc's Mermaid plugins fetch it from a CDN, which a page read offline cannot reach.
// The class diagrams here are inheritance trees, which a text tree shows whole: readable in any
// browser, searchable, copyable, and the same drawing SPEC.md uses for Modal's classes.
//
// A Mermaid block this cannot draw (another kind of diagram, a class body, a relation other than
// inheritance) fails the docs, rather than reaching the page as raw Mermaid.
import { Converter, ReflectionKind } from "typedoc";

const HEADER = /^classDiagram\s*$/;
const IGNORED = /^(direction\s+\w+|%%.*)$/;
const CLASS = /^class\s+([\w$]+)\s*$/;
// `Parent <|-- Child` (extends) and `Parent <|.. Child : label` (realises), either way round.
const EDGE = /^([\w$]+)\s+(<\|--|<\|\.\.|--\|>|\.\.\|>)\s+([\w$]+)\s*(?::\s*(.*))?$/;

/**
 * The rows of the text tree of a Mermaid `classDiagram` made of inheritance: each class under its
 * parent, as `{ branch, name, notes }` (`branch` is the drawing before the name, `"│   ├── "`), a
 * dotted (realisation) edge noted on the class in the edge's own words (`also instanceof
 * ValidationError`). Siblings keep the order they first appear in. Throws an Error naming what it
 * cannot draw.
 */
export function classTree(source) {
  const lines = source.split("\n").map((line) => line.trim());
  const header = lines.findIndex((line) => line !== "" && !line.startsWith("%%"));
  if (header === -1 || !HEADER.test(lines[header])) {
    throw new Error(`only class diagrams can be drawn, not "${lines[header] ?? ""}"`);
  }
  /** Classes in order of first appearance. */
  const classes = new Set();
  const parentOf = new Map();
  const childrenOf = new Map();
  const notes = new Map();
  for (const [index, line] of lines.entries()) {
    if (index <= header || line === "" || IGNORED.test(line)) continue;
    const declared = CLASS.exec(line);
    if (declared) {
      classes.add(declared[1]);
      continue;
    }
    const edge = EDGE.exec(line);
    if (edge === null) throw new Error(`cannot draw line ${index + 1} of the diagram: "${line}"`);
    const [, left, arrow, right, label] = edge;
    const [parent, child] = arrow.startsWith("<") ? [left, right] : [right, left];
    classes.add(parent);
    classes.add(child);
    if (arrow.includes("..")) {
      notes.set(child, [...(notes.get(child) ?? []), `${label?.trim() || "also"} ${parent}`]);
      continue;
    }
    if (parentOf.get(child) === parent) continue; // the same edge again
    if (parentOf.has(child)) {
      throw new Error(`${child} extends both ${parentOf.get(child)} and ${parent}: not a tree`);
    }
    parentOf.set(child, parent);
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), child]);
  }
  const rows = [];
  const draw = (name, branch, inner) => {
    rows.push({ branch, name, notes: notes.get(name) ?? [] });
    const children = childrenOf.get(name) ?? [];
    children.forEach((child, i) => {
      const last = i === children.length - 1;
      draw(child, `${inner}${last ? "└── " : "├── "}`, `${inner}${last ? "    " : "│   "}`);
    });
  };
  for (const name of classes) if (!parentOf.has(name)) draw(name, "", "");
  const drawn = new Set(rows.map((row) => row.name));
  const cycle = [...classes].filter((name) => !drawn.has(name));
  if (cycle.length > 0) throw new Error(`${cycle.join(", ")} inherit in a cycle`);
  return rows;
}

/** The tree as plain text, one class a line. */
export function classTreeText(source) {
  return classTree(source)
    .map(({ branch, name, notes }) => `${branch}${name}${notes.length > 0 ? `  (${notes.join("; ")})` : ""}`)
    .join("\n");
}

const MERMAID = /^```mermaid[^\n]*\n([\s\S]*?)\n?```$/;

/** The module a reflection belongs to (itself for a module), or undefined for the project. */
function moduleOf(reflection) {
  let current = reflection;
  while (current !== undefined && !current.kindOf(ReflectionKind.Module)) current = current.parent;
  return current;
}

/**
 * The display parts that draw the tree: a `<pre>` block (HTML, which TypeDoc's Markdown passes
 * through) whose class names link to their pages, as `{@link}` tags do. A name is looked up among
 * the documented classes, first in the module of the comment that holds the diagram (two presets may
 * both have a `SandboxTimeoutError`) — for the README or a project document, which belong to no
 * module, the module of the tree's root class, when only one module has a class of that name — then
 * in the first entry point's; a name found nowhere stays text.
 */
function treeParts(rows, project, given) {
  const classes = project.getReflectionsByKind(ReflectionKind.Class);
  const main = project.getChildrenByKind(ReflectionKind.Module)[0];
  const named = (name) => classes.filter((reflection) => reflection.name === name);
  const roots = rows.length > 0 ? named(rows[0].name) : [];
  const home = given ?? (roots.length === 1 ? moduleOf(roots[0]) : undefined);
  const find = (name) => {
    const candidates = named(name);
    return (
      candidates.find((reflection) => home !== undefined && moduleOf(reflection) === home) ??
      candidates.find((reflection) => moduleOf(reflection) === main) ??
      candidates[0]
    );
  };
  const parts = [{ kind: "text", text: '<pre class="class-tree"><code>' }];
  for (const { branch, name, notes } of rows) {
    const target = find(name);
    parts.push({ kind: "text", text: branch });
    parts.push(
      target ? { kind: "inline-tag", tag: "@link", text: name, target } : { kind: "text", text: name },
    );
    parts.push({ kind: "text", text: `${notes.length > 0 ? `  (${notes.join("; ")})` : ""}\n` });
  }
  parts.push({ kind: "text", text: "</code></pre>" });
  return parts;
}

/** Redraws every Mermaid block of `parts` (a comment's or the README's display parts) in place. */
function redraw(parts, owner, project, logger) {
  if (parts === undefined) return;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i];
    const block = part.kind === "code" ? MERMAID.exec(part.text) : null;
    if (block === null) continue;
    try {
      parts.splice(i, 1, ...treeParts(classTree(block[1]), project, owner && moduleOf(owner)));
    } catch (error) {
      const where = owner ? owner.getFriendlyFullName() : "README";
      logger.error(`${where}: a Mermaid block the docs cannot draw offline: ${error.message}`);
    }
  }
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const { project } = context;
    redraw(project.readme, undefined, project, app.logger);
    for (const reflection of [project, ...Object.values(project.reflections)]) {
      const owner = reflection === project ? undefined : reflection;
      redraw(reflection.comment?.summary, owner, project, app.logger);
      for (const tag of reflection.comment?.blockTags ?? []) redraw(tag.content, owner, project, app.logger);
      redraw(reflection.content, owner, project, app.logger); // a project document's text
    }
  });
}
