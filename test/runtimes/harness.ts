/**
 * What the three engine runners share: bundling the portable checks from source with esbuild, and
 * turning what an engine reported into one vitest test per check, so that the count of tests is
 * honest and each failure names its check and its cause.
 */
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { beforeAll, expect, it } from "vitest";
import { type CheckResult, portableCheckNames, runPortableChecks } from "./portable-checks.js";

export type { CheckResult };

const here = fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const source = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

/** Generous: bundling, and starting a browser or workerd, on a shared 2-core machine. */
export const START_TIMEOUT = 60_000;

/** An import of something that exists only on Node, found while bundling. */
export interface NodeOnlyImport {
  readonly path: string;
  readonly importer: string;
  readonly kind: string;
}

export interface Bundle {
  readonly code: string;
  /** Node-only imports reached at module load (a dynamic `import()` is allowed: it runs on demand). */
  readonly nodeOnlyImports: readonly NodeOnlyImport[];
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
/** Packages that run only on Node: SPEC §10 lets `toServiceError` alone reach grpc-js. */
const NODE_ONLY_PACKAGES = new Set(["@grpc/grpc-js"]);

function isNodeOnly(path: string): boolean {
  return path.startsWith("node:") || NODE_BUILTINS.has(path) || NODE_ONLY_PACKAGES.has(path);
}

/**
 * Resolves the package's own name to its source (as vitest.config.ts does), and replaces every
 * Node-only import with a module that throws when it is evaluated, saying what it is and who
 * imported it. The engine has no such module either: a real bundler would refuse the import outright,
 * and that would fail every check at once; this way the build still completes, only the code that
 * reaches the import fails, and the bundle's Node-only imports are reported as a check of their own.
 */
function portability(engine: string, found: NodeOnlyImport[]): Plugin {
  return {
    name: "portability",
    setup(esbuild) {
      esbuild.onResolve({ filter: /^sandbox-sdk-errors(\/testing)?$/ }, (args) => ({
        path: source(args.path.endsWith("/testing") ? "testing/index.ts" : "index.ts"),
      }));
      esbuild.onResolve({ filter: /.*/ }, (args) => {
        if (!isNodeOnly(args.path)) return undefined;
        const importer = args.importer.startsWith(root) ? args.importer.slice(root.length) : args.importer;
        if (args.kind !== "dynamic-import") found.push({ path: args.path, importer, kind: args.kind });
        return { path: args.path, namespace: "node-only", pluginData: importer };
      });
      esbuild.onLoad({ filter: /.*/, namespace: "node-only" }, (args) => ({
        // No import or export: esbuild treats it as CommonJS, so named imports of it still build.
        contents: `throw new Error(${JSON.stringify(
          `${args.path} is Node-only and does not exist in ${engine} (imported by ${String(args.pluginData)})`,
        )});`,
        loader: "js",
      }));
    },
  };
}

/**
 * Bundles `entry` (JavaScript, resolved from this directory, typically importing
 * `./portable-checks.ts`) for an engine, from source: never from `dist/`.
 */
export async function bundleForEngine(
  engine: string,
  entry: string,
  options: { format: "esm" | "iife"; platform: "neutral" | "browser" },
): Promise<Bundle> {
  const nodeOnlyImports: NodeOnlyImport[] = [];
  const result = await build({
    stdin: { contents: entry, resolveDir: here, sourcefile: `${engine}-entry.js`, loader: "js" },
    bundle: true,
    write: false,
    format: options.format,
    platform: options.platform,
    // The neutral platform reads no package.json field by default; google-protobuf has only `main`.
    mainFields: options.platform === "neutral" ? ["module", "main"] : undefined,
    target: "es2022",
    logLevel: "silent",
    plugins: [portability(engine, nodeOnlyImports)],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error("esbuild wrote no output");
  return { code: output.text, nodeOnlyImports };
}

/** What one engine gave back: every check's result, or why the suite could not run at all. */
export type EngineRun =
  | { readonly results: readonly CheckResult[]; readonly bundle: Bundle }
  | { readonly failure: string; readonly bundle?: Bundle };

export function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** Parses the JSON an engine sent back, checking its shape: a runner never trusts its engine. */
export function parseResults(text: string): CheckResult[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`the engine sent no list of results: ${text.slice(0, 200)}`);
  for (const result of parsed as unknown[]) {
    const { name, ok } = (
      typeof result === "object" && result !== null ? result : {}
    ) as Partial<CheckResult>;
    if (typeof name !== "string" || typeof ok !== "boolean") {
      throw new Error(`the engine sent a malformed result: ${JSON.stringify(result)}`);
    }
  }
  return parsed as CheckResult[];
}

/**
 * Declares the engine's tests: one per portable check (named as the check), one that the bundle
 * reaches no Node-only module at load, and one that the engine reported exactly the expected checks.
 * `getRun` is read when the tests run, after the runner's `beforeAll` has filled it in.
 *
 * The same checks also run here, on Node, so that a failure says whether it is the engine's alone (a
 * portability bug) or the code's everywhere.
 */
export function engineTests(engine: string, getRun: () => EngineRun | undefined): void {
  const names = portableCheckNames();
  let onNode: readonly CheckResult[] = [];
  beforeAll(async () => {
    onNode = await runPortableChecks();
  }, START_TIMEOUT);
  const diagnosis = (name: string): string => {
    const result = onNode.find((candidate) => candidate.name === name);
    if (result === undefined) return "";
    return result.ok
      ? `\n(it passes on Node: a portability bug)`
      : `\n(it fails on Node too: ${result.error?.split("\n")[0] ?? "(no message)"})`;
  };

  const ran = (): EngineRun => getRun() ?? { failure: `the ${engine} runner never started (see beforeAll)` };

  it(`bundles for ${engine} without a Node-only import at module load`, () => {
    const run = ran();
    if (run.bundle === undefined)
      throw new Error(`the bundle was not built: ${"failure" in run ? run.failure : ""}`);
    const listed = run.bundle.nodeOnlyImports.map(
      ({ path, importer, kind }) => `${path} (${kind} in ${importer})`,
    );
    expect(listed, "Node-only imports reachable at module load").toEqual([]);
  });

  it(`reports every portable check once from ${engine}`, () => {
    const run = ran();
    if ("failure" in run) throw new Error(`the checks did not run in ${engine}:\n${run.failure}`);
    expect(run.results.map((result) => result.name)).toEqual(names);
  });

  for (const name of names) {
    it(name, () => {
      const run = ran();
      if ("failure" in run) throw new Error(`the checks did not run in ${engine}:\n${run.failure}`);
      const result = run.results.find((candidate) => candidate.name === name);
      if (result === undefined) throw new Error(`${engine} did not report this check`);
      if (!result.ok)
        throw new Error(`failed in ${engine}: ${result.error ?? "(no message)"}${diagnosis(name)}`);
    });
  }
}
