// Every TypeScript block of README.md and docs/**/*.md compiles against the built package, with only
// what its `<!-- snippet: assumes ... -->` comment declares (scripts/snippets/check.ts says how).
// `dist` is built first when it is missing or older than src/ (npm test has built it already).
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { distIsFresh, ensureBuilt } from "../scripts/fresh-dist.js";
import {
  checkSnippets,
  collect,
  extractSnippets,
  markdownFiles,
  resolveEntries,
  type Snippet,
} from "../scripts/snippets/check.js";
// @ts-expect-error: a TypeDoc plugin, a plain ES module without declarations
import { classTree, classTreeText } from "../scripts/typedoc/mermaid-tree.mjs";
// @ts-expect-error: a TypeDoc plugin, a plain ES module without declarations
import { mismatches, moduleName, subpathOf } from "../scripts/typedoc/module-names.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const { snippets, strays } = collect(root);
let results: Map<Snippet, string[]>;

beforeAll(() => {
  ensureBuilt(root);
  results = checkSnippets(root, snippets);
}, 300_000);

describe("the documentation's TypeScript snippets", () => {
  it.each(snippets.map((snippet) => [`${snippet.file}:${snippet.line}`, snippet] as const))(
    "%s compiles against the built package",
    (_, snippet) => {
      const problems = results.get(snippet) ?? ["was not checked"];
      if (problems.length > 0) expect.fail(`\n${problems.join("\n")}`);
    },
  );

  it("have no snippet comment without a TypeScript block after it", () => {
    expect(strays.map((stray) => `${stray.file}:${stray.line}: followed by ${stray.found}`)).toEqual([]);
  });

  it("import every entry of package.json's exports from dist/, as a user's compiler finds them", () => {
    const entries = resolveEntries(root);
    expect([...entries.keys()]).toContain("sandbox-sdk-errors");
    expect([...entries.keys()]).toContain("sandbox-sdk-errors/testing");
    for (const [entry, file] of entries) {
      expect(file, entry).toBeDefined();
      expect(relative(root, file ?? "").split(sep)[0], `${entry} resolves to ${file}`).toBe("dist");
    }
  });
});

describe("the snippet checker", () => {
  const page = [
    "# A page", // 1
    "", // 2
    "<!-- snippet: assumes sandboxId: string; sleep(ms: number): Promise<void> -->", // 3
    "```ts", // 4
    'import { SandboxNotFoundError } from "sandbox-sdk-errors";', // 5
    "await sleep(1);", // 6
    "const error = new SandboxNotFoundError(sandboxId);", // 7
    "const wrong: number = error.message;", // 8
    "```", // 9
    "", // 10
    "```sh", // 11
    "npm test", // 12
    "```", // 13
    "", // 14
    "- in a list:", // 15
    "", // 16
    "  ~~~typescript", // 17
    "  const undeclared: string = sandboxId;", // 18
    "  ~~~", // 19
    "", // 20
    "<!-- snippet: assumes", // 21
    "  rawClient: SandboxClient;", // 22
    "  unused: string", // 23
    "-->", // 24
    "```ts", // 25
    'await rawClient.getSandbox({ sandboxId: "sb-1" });', // 26
    "```", // 27
    "", // 28
    "<!-- snippet: assumes x: number -->", // 29
    "```json", // 30
    "{}", // 31
    "```", // 32
    "", // 33
    "<!-- snippet: compiles -->", // 34
    "```ts", // 35
    "export {};", // 36
    "```", // 37
  ].join("\n");
  const file = "test/fixtures/snippets.md";
  const found = extractSnippets(file, page);
  let checked: Map<Snippet, string[]>;
  const problemsAt = (line: number): string[] =>
    checked.get(found.snippets.find((snippet) => snippet.line === line) as Snippet) ?? [];

  beforeAll(() => {
    checked = checkSnippets(root, found.snippets);
  }, 120_000);

  it("reads ts and typescript blocks, with ``` or ~~~ fences, indented or not, and no other language", () => {
    expect(found.snippets.map(({ line, indent, code }) => ({ line, indent, code }))).toEqual([
      {
        line: 4,
        indent: 0,
        code: [5, 6, 7, 8].map((n) => page.split("\n")[n - 1]).join("\n"),
      },
      { line: 17, indent: 2, code: "const undeclared: string = sandboxId;" },
      { line: 25, indent: 0, code: 'await rawClient.getSandbox({ sandboxId: "sb-1" });' },
      { line: 35, indent: 0, code: "export {};" },
    ]);
  });

  it("reads the assumptions of the comment right before a block, one line or several", () => {
    expect(found.snippets.map((snippet) => snippet.assumptions)).toEqual([
      ["sandboxId: string", "sleep(ms: number): Promise<void>"],
      [],
      ["rawClient: SandboxClient", "unused: string"],
      [],
    ]);
  });

  it("reports the compiler's diagnostics at their line and column in the Markdown file", () => {
    expect(problemsAt(4)).toEqual([
      `${file}:8:7 - error TS2322: Type 'string' is not assignable to type 'number'.`,
    ]);
    // Inside a list item the fence is indented: the column counts the indentation.
    expect(problemsAt(17)).toEqual([`${file}:18:30 - error TS2304: Cannot find name 'sandboxId'.`]);
  });

  it("declares only what a block's comment assumes, vocabulary types included", () => {
    // sandboxId and sleep are declared for the block at line 4 (no error at lines 6 and 7), not for
    // the one at line 17; SandboxClient comes from scripts/snippets/vocabulary.ts.
    expect(problemsAt(4).join("\n")).not.toMatch(/:[67]:/);
    expect(problemsAt(25)).toEqual([
      'the snippet comment assumes unused ("unused: string"), but the snippet never uses it: drop it from the comment',
    ]);
  });

  it("refuses an unknown directive, and a snippet comment that no TypeScript block follows", () => {
    expect(problemsAt(35)).toEqual([
      'unknown snippet directive "compiles" (expected "snippet: assumes ...")',
    ]);
    expect(found.strays).toEqual([{ file, line: 29, found: "a `json` block" }]);
  });
});

describe("the pages it reads, and the build it reads them against", () => {
  let temporary: string;
  beforeAll(() => {
    mkdirSync(join(root, "test", ".tmp"), { recursive: true });
    temporary = mkdtempSync(join(root, "test", ".tmp", "docs-"));
  });
  afterAll(() => rmSync(temporary, { recursive: true, force: true }));

  const write = (path: string, text = "", mtime?: number): void => {
    const absolute = join(temporary, path);
    mkdirSync(join(absolute, ".."), { recursive: true });
    writeFileSync(absolute, text);
    if (mtime !== undefined) utimesSync(absolute, mtime, mtime);
  };

  it("reads README.md and every page under docs/, however deep, but not TypeDoc's output", () => {
    write("README.md");
    write("docs/guide.md");
    write("docs/presets/modal/index.md");
    write("docs/presets/notes.txt");
    write("docs/api/generated.md");
    write("typedoc.json", JSON.stringify({ out: "docs/api" }));
    expect(markdownFiles(temporary)).toEqual(["README.md", "docs/guide.md", "docs/presets/modal/index.md"]);
  });

  it("rebuilds dist when a file package.json's exports name is missing or older than a source", () => {
    const exports = { ".": { types: "./dist/index.d.ts" }, "./modal": { types: "./dist/modal.d.ts" } };
    write("package.json", JSON.stringify({ name: "p", exports }), 1_000);
    write("src/index.ts", "", 1_000);
    write("src/presets/modal/index.ts", "", 1_000);
    write("dist/index.d.ts", "", 2_000);
    expect(distIsFresh(temporary)).toBe(false); // dist/modal.d.ts is missing
    write("dist/modal.d.ts", "", 2_000);
    expect(distIsFresh(temporary)).toBe(true);
    write("src/presets/modal/index.ts", "", 3_000);
    expect(distIsFresh(temporary)).toBe(false);
  });
});

describe("the API reference (TypeDoc)", () => {
  const page = [
    "```mermaid",
    "classDiagram",
    "  direction LR",
    "  %% a comment",
    "  Root <|-- B",
    "  Root <|-- A",
    "  B <|-- C",
    "  A <|.. C : also instanceof",
    "  Root <|-- A",
    "  D --|> B",
    "```",
  ];

  it("names each module after the import that reaches it: the package name and its exports subpath", () => {
    const named = (file: string) => moduleName("sandbox-sdk-errors", subpathOf(root, join(root, file)));
    expect(named("src/index.ts")).toBe("sandbox-sdk-errors");
    expect(named("src/testing/index.ts")).toBe("sandbox-sdk-errors/testing");
    expect(named("src/presets/modal/index.ts")).toBe("sandbox-sdk-errors/modal");
  });

  it("fails the docs when package.json exports a subpath no entry point documents, or the reverse", () => {
    const packageJson = { name: "p", exports: { ".": "./dist/index.js", "./modal": "./dist/modal.js" } };
    const entries = ["src/index.ts", "src/presets/modal/index.ts"].map((file) => join(root, file));
    expect(mismatches(root, packageJson, entries)).toEqual([]);
    expect(mismatches(root, packageJson, entries.slice(0, 1))).toEqual([
      'package.json exports "./modal", but typedoc.json\'s entryPoints document no src/.../modal/index.ts: add its entry file',
    ]);
    expect(mismatches(root, { ...packageJson, exports: { ".": "./dist/index.js" } }, entries)).toEqual([
      'src/presets/modal/index.ts is an entry point of typedoc.json, but package.json exports no "./modal"',
    ]);
  });

  it("draws a Mermaid class diagram as a text tree, realisations noted on the class, an edge drawn once", () => {
    expect(classTreeText(page.slice(1, -1).join("\n"))).toBe(
      ["Root", "├── B", "│   ├── C  (also instanceof A)", "│   └── D", "└── A"].join("\n"),
    );
  });

  it.each([
    ["flowchart LR\n  A --> B", 'only class diagrams can be drawn, not "flowchart LR"'],
    [
      "classDiagram\n  A <|-- B\n  class B {\n  +run()\n  }",
      'cannot draw line 3 of the diagram: "class B {"',
    ],
    ["classDiagram\n  A *-- B", 'cannot draw line 2 of the diagram: "A *-- B"'],
    ["classDiagram\n  A <|-- C\n  B <|-- C", "C extends both A and B: not a tree"],
    ["classDiagram\n  R <|-- S\n  A <|-- B\n  B <|-- A", "A, B inherit in a cycle"],
  ])("refuses what it cannot draw: %j", (source, message) => {
    expect(() => classTree(source)).toThrow(message);
  });

  it("builds module pages named after the package and each preset's page with its class tree, linked, with nothing fetched", () => {
    mkdirSync(join(root, "test", ".tmp"), { recursive: true });
    const out = mkdtempSync(join(root, "test", ".tmp", "typedoc-"));
    try {
      const run = spawnSync("npx", ["typedoc", "--logLevel", "Warn", "--out", out], {
        cwd: root,
        encoding: "utf8",
      });
      expect(`${run.stdout}${run.stderr}`).toBe("");
      expect(run.status).toBe(0);
      const title = (file: string) => /<title>([^<|]*)/.exec(readFileSync(join(out, file), "utf8"))?.[1];
      expect(title("modules/sandbox-sdk-errors.html")?.trim()).toBe("sandbox-sdk-errors");
      expect(title("modules/sandbox-sdk-errors_testing.html")?.trim()).toBe("sandbox-sdk-errors/testing");

      const index = readFileSync(join(out, "index.html"), "utf8");
      expect(index).not.toMatch(/classDiagram|language-mermaid|class="mermaid"/);
      // Each preset's page (docs/*.md are project documents) draws its class tree, every class linked
      // to its page in that preset's module: Modal's PermissionDeniedError is not the default one's.
      for (const [page, module] of [
        ["cwsandbox", "sandbox-sdk-errors"],
        ["modal", "sandbox-sdk-errors_modal"],
      ] as const) {
        const markdown = readFileSync(join(root, "docs", `${page}.md`), "utf8");
        const diagram = /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1] ?? "";
        const names = classTree(diagram).map((row: { name: string }) => row.name);
        expect(names).toContain("PermissionDeniedError");
        const html = readFileSync(join(out, "documents", `${page}.html`), "utf8");
        expect(html).not.toMatch(/classDiagram|language-mermaid|class="mermaid"/);
        const tree = /<pre class="class-tree">([\s\S]*?)<\/pre>/.exec(html)?.[1] ?? "";
        for (const name of names) expect(tree).toContain(`href="../classes/${module}.${name}.html"`);
      }
      // The README links the preset pages as the documents they became.
      expect(index).toContain('href="documents/cwsandbox.html"');

      // No page loads anything from another origin: no CDN script, style or font.
      for (const file of readdirSync(out, { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".html")) continue;
        const html = readFileSync(join(out, file), "utf8");
        expect(
          html.match(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?\/\/[^"]*"/g),
          file,
        ).toBe(null);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
