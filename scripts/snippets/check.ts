/**
 * The TypeScript blocks of the documentation (`README.md` and every `docs/**\/*.md`), type-checked
 * the way a user's editor checks them: against the BUILT package (`dist/*.d.ts`, found through
 * package.json's `exports`, every subpath), under the project's strict compiler options.
 * test/docs.test.ts runs one test per block; `npx tsx scripts/snippets/check.ts` prints the same
 * diagnostics (after building `dist` when it is missing or stale).
 *
 * A block compiles as a module of its own (an `.mts` file, so top-level `await` works), with only
 * what it plainly assumes. It says what that is in an HTML comment right before it, which the
 * rendered Markdown does not show:
 *
 *     <!-- snippet: assumes rawClient: SandboxClient; sandboxId: string; sleep(ms: number): Promise<void> -->
 *
 * The comment may span lines; its items are separated by `;` and each is one of
 *
 * - `name: Type` — a value the snippet uses (`declare const name: Type`);
 * - `name(params): Result` — a function it calls (`declare function ...`);
 * - `import ...` — an import it relies on, such as one an earlier block of the page made;
 * - `type Name` — a type of the snippet vocabulary (below) the snippet names.
 *
 * Types in the items may be the package's, Node's, or the snippet vocabulary's
 * (scripts/snippets/vocabulary.ts: the generated clients, service definitions and loggers a reader's
 * project has). Only the vocabulary names a comment mentions are imported into its snippet. A name
 * the comment assumes but the snippet never uses is reported, so that comments do not rot.
 * Blocks of any other language (`sh`, `json`, `console`, `js`, `mermaid`) are not checked.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { ensureBuilt } from "../fresh-dist.js";

/** One TypeScript block of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the root, with `/` separators (`README.md`, `docs/modal.md`). */
  file: string;
  /** The 1-based line of the opening fence. */
  line: number;
  /** How many columns the fence is indented (inside a list item); its content lines are cut as much. */
  indent: number;
  /** The block's text, without its fences. */
  code: string;
  /** The items of its `<!-- snippet: assumes ... -->` comment, in order. */
  assumptions: string[];
  /** The 1-based line where that comment starts, when there is one. */
  commentLine: number | undefined;
  /** What is wrong with the comment itself (an unknown directive), found before compiling. */
  problems: string[];
}

/** A `<!-- snippet: ... -->` comment that no TypeScript block follows. */
export interface StrayComment {
  file: string;
  line: number;
  /** What follows the comment instead. */
  found: string;
}

const TYPESCRIPT = new Set(["ts", "typescript"]);
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const COMMENT = /^\s{0,3}<!--\s*snippet:/;

/**
 * The Markdown pages whose snippets are checked: `README.md` and every `.md` file under `docs/`,
 * however deep, except the API reference TypeDoc writes (typedoc.json's `out`), which is generated.
 * Paths are relative to `root`, sorted.
 */
export function markdownFiles(root: string): string[] {
  const pages: string[] = [];
  const generated = typedocOut(root);
  const walk = (dir: string): void => {
    if (!existsSync(dir) || (generated !== undefined && resolve(dir) === generated)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) pages.push(relative(root, path).split(sep).join("/"));
    }
  };
  walk(join(root, "docs"));
  return [...(existsSync(join(root, "README.md")) ? ["README.md"] : []), ...pages.sort()];
}

function typedocOut(root: string): string | undefined {
  const config = join(root, "typedoc.json");
  if (!existsSync(config)) return undefined;
  const out: unknown = JSON.parse(readFileSync(config, "utf8")).out;
  return typeof out === "string" ? resolve(root, out) : undefined;
}

/**
 * The TypeScript blocks of one Markdown text, with the assumptions their comments declare, and
 * the snippet comments that are not followed by a TypeScript block (a typo in a fence's language,
 * a comment left behind when its block moved).
 */
export function extractSnippets(file: string, text: string): { snippets: Snippet[]; strays: StrayComment[] } {
  const lines = text.split(/\r?\n/);
  const snippets: Snippet[] = [];
  const strays: StrayComment[] = [];
  /** The comment read last, waiting for its block. */
  let pending: { line: number; body: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    if (COMMENT.test(text)) {
      if (pending) strays.push({ file, line: pending.line, found: "another snippet comment" });
      const start = i;
      let body = text.slice(text.indexOf("snippet:") + "snippet:".length);
      while (!body.includes("-->") && i + 1 < lines.length) body += `\n${lines[++i]}`;
      pending = { line: start + 1, body: body.slice(0, body.lastIndexOf("-->")).trim() };
      continue;
    }
    const fence = FENCE.exec(text);
    if (fence === null) {
      if (pending && text.trim() !== "") {
        strays.push({ file, line: pending.line, found: `line ${i + 1}: ${text.trim().slice(0, 40)}` });
        pending = undefined;
      }
      continue;
    }
    const [, indentText = "", marker = "", info = ""] = fence;
    const opening = i;
    const body: string[] = [];
    // A closing fence: the same character, at least as long, nothing after it (CommonMark).
    const closing = new RegExp(`^\\s*${marker[0]}{${marker.length},}\\s*$`);
    while (i + 1 < lines.length && !closing.test(lines[i + 1] ?? "")) {
      const line = lines[++i] ?? "";
      body.push(line.slice(Math.min(indentText.length, line.length - line.trimStart().length)));
    }
    i++;
    const language = info.toLowerCase();
    if (!TYPESCRIPT.has(language)) {
      if (pending) strays.push({ file, line: pending.line, found: `a \`${language || "plain"}\` block` });
      pending = undefined;
      continue;
    }
    const { assumptions, problems } = pending ? readComment(pending.body) : { assumptions: [], problems: [] };
    snippets.push({
      file,
      line: opening + 1,
      indent: indentText.length,
      code: body.join("\n"),
      assumptions,
      commentLine: pending?.line,
      problems,
    });
    pending = undefined;
  }
  if (pending) strays.push({ file, line: pending.line, found: "the end of the file" });
  return { snippets, strays };
}

/** `assumes a: A; b(): B` → its items; anything but `assumes` is a problem. */
function readComment(body: string): { assumptions: string[]; problems: string[] } {
  const match = /^assumes\b([\s\S]*)$/.exec(body);
  if (match === null) {
    return {
      assumptions: [],
      problems: [`unknown snippet directive "${body.split(/\s/)[0]}" (expected "snippet: assumes ...")`],
    };
  }
  return { assumptions: splitItems(match[1] ?? ""), problems: [] };
}

/** Splits at the `;` that are outside brackets, so `{ a: string; b: number }` stays one item. */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(" || char === "[" || char === "{") depth++;
    if (char === ")" || char === "]" || char === "}") depth--;
    if (char === ";" && depth === 0) {
      items.push(current);
      current = "";
    } else current += char;
  }
  items.push(current);
  return items.map((item) => item.replace(/\s+/g, " ").trim()).filter((item) => item !== "");
}

const IDENTIFIER = /[A-Za-z_$][\w$]*/g;
const VOCABULARY = "scripts/snippets/vocabulary.ts";

/** The names scripts/snippets/vocabulary.ts exports. */
function vocabularyNames(root: string): Set<string> {
  const path = join(root, VOCABULARY);
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest);
  const names = new Set<string>();
  for (const statement of source.statements) {
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const element of statement.exportClause.elements) names.add(element.name.text);
    } else if (
      ts.canHaveModifiers(statement) &&
      ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword) &&
      "name" in statement &&
      statement.name !== undefined &&
      ts.isIdentifier(statement.name as ts.Node)
    ) {
      names.add((statement.name as ts.Identifier).text);
    }
  }
  return names;
}

/** The names a module's top level binds: imports and declarations. */
function topLevelNames(code: string): Set<string> {
  const source = ts.createSourceFile("snippet.mts", code, ts.ScriptTarget.Latest);
  const names = new Set<string>();
  const bind = (name: ts.BindingName | undefined): void => {
    if (name === undefined) return;
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings))
        for (const element of bindings.elements) names.add(element.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bind(declaration.name);
    } else if (
      "name" in statement &&
      statement.name !== undefined &&
      ts.isIdentifier(statement.name as ts.Node)
    ) {
      names.add((statement.name as ts.Identifier).text);
    }
  }
  return names;
}

/**
 * The one line put before a snippet's code: its imports and declarations. On one line, so that
 * every line of the snippet keeps its number (line N of the block is line N + 1 of the module), and
 * before the code, so that what it declares is declared before use.
 */
function prelude(
  snippet: Snippet,
  vocabulary: Set<string>,
  vocabularyPath: string,
): {
  line: string;
  problems: string[];
} {
  const problems: string[] = [];
  const statements: string[] = [];
  const wanted = new Set<string>();
  const own = topLevelNames(snippet.code);
  // What an import brings may serve the snippet or another assumption (`import type { Worker } ...;
  // worker: Worker`).
  const users = [snippet.code, ...snippet.assumptions.filter((item) => !item.startsWith("import "))].join(
    "\n",
  );
  for (const item of snippet.assumptions) {
    if (item.startsWith("import ")) {
      statements.push(item.endsWith(";") ? item : `${item};`);
      for (const name of topLevelNames(item)) if (!usedIn(users, name)) problems.push(unused(name, item));
      continue;
    }
    const type = /^type\s+([A-Za-z_$][\w$]*)$/.exec(item);
    const value = /^([A-Za-z_$][\w$]*)\s*([:(<])/.exec(item);
    if (type?.[1] !== undefined) {
      if (!vocabulary.has(type[1]))
        problems.push(`assumes "${item}", but ${VOCABULARY} exports no ${type[1]}`);
      else if (!usedIn(snippet.code, type[1])) problems.push(unused(type[1], item));
      wanted.add(type[1]);
    } else if (value?.[1] !== undefined) {
      statements.push(value[2] === ":" ? `declare const ${item};` : `declare function ${item};`);
      if (!usedIn(snippet.code, value[1])) problems.push(unused(value[1], item));
      for (const [name] of item.slice(value[1].length).matchAll(IDENTIFIER))
        if (vocabulary.has(name)) wanted.add(name);
    } else {
      problems.push(
        `cannot read the assumption "${item}": write "name: Type", "name(params): Result", "import ..." or "type Name"`,
      );
    }
  }
  const imported = [...wanted].filter((name) => !own.has(name)).sort();
  if (imported.length > 0)
    statements.unshift(`import type { ${imported.join(", ")} } from "${vocabularyPath}";`);
  // `export {}` makes even a block without imports a module, so that blocks never share names.
  return { line: `${statements.join(" ")} export {};`, problems };
}

function usedIn(code: string, name: string): boolean {
  return new RegExp(`(^|[^\\w$])${name.replace(/\$/g, "\\$")}($|[^\\w$])`).test(code);
}

const unused = (name: string, item: string): string =>
  `the snippet comment assumes ${name} ("${item}"), but the snippet never uses it: drop it from the comment`;

/** The compiler options of the project (tsconfig.json), as a user's strict project would have them. */
function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, "tsconfig.json");
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath);
  // tsconfig.json maps the package's own name to src/ for the tests; a user gets dist/ through
  // package.json's exports, and so do the snippets (TypeScript resolves a package's own name from
  // inside it, the way Node does).
  const { paths: _paths, baseUrl: _baseUrl, ...rest } = options;
  return { ...rest, noEmit: true };
}

/** Where a snippet is compiled: a module beside its Markdown file, never written to disk. */
const modulePath = (root: string, snippet: Snippet): string =>
  join(root, `${snippet.file}.L${snippet.line}.snippet.mts`);

/**
 * Type-checks every snippet in one program and gives, for each, its problems: the compiler's
 * diagnostics, with the Markdown file, line and column of each, and the comment's own problems.
 * An empty list means the snippet compiles.
 */
export function checkSnippets(root: string, snippets: Snippet[]): Map<Snippet, string[]> {
  const options = compilerOptions(root);
  const vocabulary = vocabularyNames(root);
  const modules = new Map<string, { snippet: Snippet; text: string }>();
  const results = new Map<Snippet, string[]>();
  for (const snippet of snippets) {
    const path = modulePath(root, snippet);
    const vocabularyImport = relative(dirname(path), join(root, VOCABULARY))
      .split(sep)
      .join("/")
      .replace(/\.ts$/, ".js");
    const { line, problems } = prelude(
      snippet,
      vocabulary,
      vocabularyImport.startsWith(".") ? vocabularyImport : `./${vocabularyImport}`,
    );
    modules.set(path, { snippet, text: `${line}\n${snippet.code}\n` });
    results.set(snippet, [...snippet.problems, ...problems]);
  }
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => modules.has(path) || fileExists.call(host, path);
  host.readFile = (path) => modules.get(path)?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, language, onError, create) => {
    const module = modules.get(path);
    return module
      ? ts.createSourceFile(path, module.text, language, true)
      : getSourceFile.call(host, path, language, onError, create);
  };
  const program = ts.createProgram([...modules.keys()], options, host);
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const [path, { snippet }] of modules) {
    const source = program.getSourceFile(path);
    const diagnostics = source
      ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      : [];
    results.get(snippet)?.push(...[...global, ...diagnostics].map((d) => describe(root, snippet, d)));
  }
  return results;
}

/** A diagnostic as `README.md:47:9 - error TS2339: ...`, at its place in the Markdown file. */
function describe(root: string, snippet: Snippet, diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n    ");
  const text = `${ts.DiagnosticCategory[diagnostic.category].toLowerCase()} TS${diagnostic.code}: ${message}`;
  const { file, start } = diagnostic;
  if (file === undefined || start === undefined) return text;
  const { line, character } = file.getLineAndCharacterOfPosition(start);
  if (file.fileName !== modulePath(root, snippet)) {
    return `${relative(root, file.fileName)}:${line + 1}:${character + 1} - ${text}`;
  }
  if (line === 0) {
    return `${snippet.file}:${snippet.commentLine ?? snippet.line} (the snippet comment's assumptions) - ${text}`;
  }
  return `${snippet.file}:${snippet.line + line}:${character + 1 + snippet.indent} - ${text}`;
}

/** Every snippet and stray comment of the documentation under `root`. */
export function collect(root: string): { snippets: Snippet[]; strays: StrayComment[] } {
  const snippets: Snippet[] = [];
  const strays: StrayComment[] = [];
  for (const file of markdownFiles(root)) {
    const found = extractSnippets(file, readFileSync(join(root, file), "utf8"));
    snippets.push(...found.snippets);
    strays.push(...found.strays);
  }
  return { snippets, strays };
}

/** `"./testing"` → `"sandbox-sdk-errors/testing"`, for every subpath of package.json's exports but `./package.json`. */
export function packageEntries(root: string): string[] {
  const { name, exports } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const subpaths =
    typeof exports === "object" && exports !== null && "." in exports ? Object.keys(exports) : ["."];
  return subpaths
    .filter((subpath) => !subpath.endsWith(".json") && !subpath.includes("*"))
    .map((subpath) => (subpath === "." ? name : `${name}/${subpath.slice(2)}`));
}

/**
 * The declaration file each of the package's entries resolves to from a snippet of `README.md`
 * (by the snippets' compiler options: the `import` condition, then `types`). It must be in `dist/`.
 */
export function resolveEntries(root: string): Map<string, string | undefined> {
  const options = compilerOptions(root);
  const from = join(root, "README.md.snippet.mts");
  return new Map(
    packageEntries(root).map((entry) => [
      entry,
      ts.resolveModuleName(entry, from, options, ts.sys).resolvedModule?.resolvedFileName,
    ]),
  );
}

/** `npx tsx scripts/snippets/check.ts`: every snippet's diagnostics; exit status 1 when any has one. */
function main(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  if (ensureBuilt(root) === "built") console.log("built dist/ (it was missing or older than src/)");
  const { snippets, strays } = collect(root);
  let failed = 0;
  for (const [snippet, problems] of checkSnippets(root, snippets)) {
    if (problems.length === 0) continue;
    failed++;
    console.log(`\n${snippet.file}:${snippet.line}\n  ${problems.join("\n  ")}`);
  }
  for (const stray of strays) {
    failed++;
    console.log(
      `\n${stray.file}:${stray.line}: a snippet comment followed by ${stray.found}, not a TypeScript block`,
    );
  }
  console.log(`\n${snippets.length} snippets, ${failed} with problems`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
