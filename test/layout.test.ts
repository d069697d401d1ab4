// The layout's rules (CONTRIBUTING.md, "Layout: a folder per part, arrows only downward"), checked on
// every import of src/: the layers import only downward, the kit and the CLI reach below only into
// the codec, Modal's preset uses the public entries alone, presets do not know one another, and no
// file is on an import cycle.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The layers, bottom to top; `index.ts` sits above them all, the kit and the CLI beside it. */
const LAYERS = ["wire", "core", "roads", "edge", "catalogue", "functions", "presets"];
/** The parts that use the package through its public entries, and reach below only into `wire/`. */
const ON_TOP = ["testing", "cli"];

/** Every `import`/`export ... from` and dynamic `import()` of a source text, with its specifier. */
function specifiersOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm))
    found.push(match[1]!);
  for (const match of text.matchAll(/^\s*import\s+"([^"]+)"/gm)) found.push(match[1]!);
  for (const match of text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)) found.push(match[1]!);
  return found;
}

/** The part a file of src/ belongs to: `wire`, `presets/modal`, `index.ts`, ... */
function partOf(file: string): string {
  const [first, second] = file.split("/");
  return first === "presets" ? `presets/${second}` : (first ?? file);
}

function layerOf(part: string): number {
  if (part === "index.ts") return LAYERS.length;
  return LAYERS.indexOf(part.startsWith("presets/") ? "presets" : part);
}

/**
 * What breaks the layout, in words; none for a sound one. `sources` maps each file's path under
 * src/ (`wire/bytes.ts`) to its text.
 */
function layoutProblems(sources: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const [file, text] of sources) {
    const from = partOf(file);
    const targets: string[] = [];
    graph.set(file, targets);
    if (!ON_TOP.includes(from) && layerOf(from) < 0) problems.push(`${file} is in no part of the layout`);
    for (const specifier of specifiersOf(text)) {
      if (!specifier.startsWith(".")) continue;
      const target = join(dirname(file), specifier).replace(/\.js$/, ".ts");
      if (!sources.has(target)) {
        problems.push(`${file} imports ${specifier}, which is no file of src/`);
        continue;
      }
      targets.push(target);
      const to = partOf(target);
      if (from === to) continue;
      if (ON_TOP.includes(from)) {
        if (to !== "wire")
          problems.push(`${file} reaches into ${target}: the ${from} part uses the public entries`);
      } else if (from === "presets/modal") {
        problems.push(`${file} reaches into ${target}: Modal's preset uses the public entries alone`);
      } else if (to.startsWith("presets/") && from.startsWith("presets/")) {
        problems.push(`${file} imports ${target}: a preset does not know another`);
      } else if (ON_TOP.includes(to) || layerOf(to) > layerOf(from)) {
        problems.push(`${file} imports ${target}: an arrow back up, from ${from} to ${to}`);
      }
    }
  }
  // Cycles, by a depth-first walk: an edge to a file still on the path closes one.
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open")
        problems.push(`a cycle: ${[...path.slice(path.indexOf(next)), next].join(" → ")}`);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return problems;
}

function sourcesOfSrc(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const file of readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" })) {
    if (file.endsWith(".ts"))
      sources.set(file.split("\\").join("/"), readFileSync(join(root, "src", file), "utf8"));
  }
  return sources;
}

describe("the layout of src/", () => {
  it("has arrows only downward, the kit and the CLI on top, Modal's preset on the public entries, no cycle", () => {
    const sources = sourcesOfSrc();
    expect(sources.size).toBeGreaterThan(40);
    expect(layoutProblems(sources)).toEqual([]);
  });

  it("is the one CONTRIBUTING.md describes", () => {
    const contributing = readFileSync(join(root, "CONTRIBUTING.md"), "utf8");
    const stated = /The layers, bottom to top: \*\*([^*]+)\*\*/.exec(contributing)?.[1];
    expect(stated?.split(" → ")).toEqual(LAYERS);
    const folders = new Set([...sourcesOfSrc().keys()].map(partOf).filter((part) => part !== "index.ts"));
    for (const folder of folders) expect(contributing).toContain(`  ${folder}/`);
  });

  it("finds each kind of break", () => {
    const sound: [string, string][] = [
      ["wire/a.ts", "export const a = 1;"],
      ["core/b.ts", 'import { a } from "../wire/a.js";\nexport const b = a;'],
      ["index.ts", 'export * from "./core/b.js";'],
    ];
    expect(layoutProblems(new Map(sound))).toEqual([]);
    const broken = (extra: [string, string][]) => layoutProblems(new Map([...sound, ...extra]));
    expect(broken([["wire/up.ts", 'import type { b } from "../core/b.js";']])).toEqual([
      expect.stringMatching(/wire\/up\.ts imports core\/b\.ts: an arrow back up, from wire to core/),
    ]);
    expect(broken([["testing/kit.ts", 'import { b } from "../core/b.js";']])).toEqual([
      expect.stringMatching(/the testing part uses the public entries/),
    ]);
    expect(broken([["presets/modal/x.ts", 'import { a } from "../../wire/a.js";']])).toEqual([
      expect.stringMatching(/Modal's preset uses the public entries alone/),
    ]);
    expect(
      broken([
        ["presets/cwsandbox/x.ts", 'export { y } from "../modal/y.js";'],
        ["presets/modal/y.ts", "export const y = 1;"],
      ]),
    ).toEqual([expect.stringMatching(/a preset does not know another/)]);
    expect(
      broken([
        ["roads/c.ts", 'import { d } from "./d.js";\nexport const c = 1;'],
        ["roads/d.ts", 'import { c } from "./c.js";\nexport const d = 1;'],
      ]),
    ).toEqual([expect.stringMatching(/a cycle: roads\/c\.ts → roads\/d\.ts → roads\/c\.ts/)]);
    expect(broken([["misc/e.ts", 'const e = await import("./nowhere.js");']])).toEqual([
      "misc/e.ts is in no part of the layout",
      "misc/e.ts imports ./nowhere.js, which is no file of src/",
    ]);
  });
});
