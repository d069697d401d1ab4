// Size per use (SPEC §12): what a consumer pays, measured the way users pay it — a consumer bundled
// for the browser by esbuild (ESM, minified), importing only what it names, gzipped at level 9.
// `npm run bench` prints each figure with its budget; test/size.test.ts holds each to its ceiling.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The consumers, each with SPEC §12's budget and the ceiling the test holds it to. Where the
 * package meets the budget, the ceiling is the budget. Where it does not — the roads SPEC §13 and §6
 * require `fromGrpcStatus` and `isRetryable` to read (REST bodies, axios, openapi-fetch, message
 * objects, network failures, aborts; raw errors judged through the mapping) weigh more than those
 * budgets leave room for — the ceiling is today's figure with a little room, so that nothing grows
 * unnoticed while the budget is revisited (README, "Performance and size").
 */
export const CONSUMERS = [
  {
    name: "SandboxNotFoundError alone, for instanceof",
    entry: "sandbox-sdk-errors",
    imports: ["SandboxNotFoundError"],
    budgetKb: 3,
    ceilingKb: 3.8,
  },
  {
    name: "isRetryable + retry",
    entry: "sandbox-sdk-errors",
    imports: ["isRetryable", "retry"],
    budgetKb: 6,
    ceilingKb: 17,
  },
  {
    name: "fromGrpcStatus",
    entry: "sandbox-sdk-errors",
    imports: ["fromGrpcStatus"],
    budgetKb: 12,
    ceilingKb: 19,
  },
  {
    name: "a typical web SDK: fromGrpcStatus + fromResponse + withErrorMapping + retry",
    entry: "sandbox-sdk-errors",
    imports: ["fromGrpcStatus", "fromResponse", "withErrorMapping", "retry"],
    budgetKb: 16,
    ceilingKb: 26,
  },
  {
    name: "the Modal preset's fromGrpcStatus",
    entry: "sandbox-sdk-errors/modal",
    imports: ["fromGrpcStatus"],
    budgetKb: 9,
    ceilingKb: 17,
  },
  {
    name: "export * of the main entry (reported, not budgeted)",
    entry: "sandbox-sdk-errors",
    imports: "*",
    budgetKb: undefined,
    ceilingKb: undefined,
  },
];

const packageJson = JSON.parse(readFileSync(`${root}package.json`, "utf8"));

/** Resolves the package's own entries to the built files, as a consumer's bundler would find them. */
const selfPackage = {
  name: "sandbox-sdk-errors → dist/",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^sandbox-sdk-errors(\/[a-z]+)?$/ }, (args) => {
      const subpath =
        args.path === "sandbox-sdk-errors" ? "." : `.${args.path.slice("sandbox-sdk-errors".length)}`;
      const target = packageJson.exports[subpath]?.import?.default;
      if (target === undefined) return { errors: [{ text: `no export ${subpath}` }] };
      // What a consumer's bundler reads from our package.json.
      return { path: `${root}${target.slice(2)}`, sideEffects: packageJson.sideEffects !== false };
    });
  },
};

/** The consumer's source: it imports what it names and uses it, so nothing it imports is dropped. */
export function consumerSource({ entry, imports }) {
  if (imports === "*") return `export * from ${JSON.stringify(entry)};`;
  return `import { ${imports.join(", ")} } from ${JSON.stringify(entry)};\nconsole.log(${imports.join(", ")});`;
}

/** `{ minKb, gzipKb }` of a consumer bundled from dist/, or `{ error }` when the build failed. */
export async function bundleSize(consumer) {
  try {
    const result = await build({
      stdin: {
        contents: consumerSource(consumer),
        resolveDir: root,
        sourcefile: "consumer.js",
        loader: "js",
      },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "silent",
      plugins: [selfPackage],
    });
    const code = result.outputFiles[0].contents;
    return { minKb: code.length / 1024, gzipKb: gzipSync(code, { level: 9 }).length / 1024 };
  } catch (error) {
    // A Node built-in reached from an entry fails the browser build: that is itself a finding (§14).
    return {
      error: String(error.message ?? error)
        .split("\n")
        .slice(0, 3)
        .join(" "),
    };
  }
}
