// A TypeDoc plugin: each entry point's module is named the way a user imports it —
// `sandbox-sdk-errors`, `sandbox-sdk-errors/testing`, `sandbox-sdk-errors/modal` — rather than after
// its file ("index", "testing"). The names come from package.json: its `name` and the subpaths of its
// `exports`. An entry point is published as the subpath named after its folder (`src/testing/index.ts`
// → `./testing`, `src/presets/modal/index.ts` → `./modal`), and `src/index.ts` as `.`.
//
// It also holds typedoc.json's entryPoints and package.json's exports to each other: an entry point
// that no subpath publishes, or a subpath that no entry point documents, fails the docs with a
// message that names the line to add, so the API reference covers exactly what the package exports.
import { readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Converter, ReflectionKind } from "typedoc";

/** The repository root: this plugin lives in scripts/typedoc/. */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The subpath (`"."`, `"./testing"`) an entry point file is published as, by the layout's convention. */
export function subpathOf(root, file) {
  const path = relative(root, resolve(file)).split(sep).join("/");
  if (path === "src/index.ts") return ".";
  const name =
    basename(path) === "index.ts" ? basename(dirname(path)) : basename(path).replace(/\.[cm]?ts$/, "");
  return `./${name}`;
}

/** The subpaths of package.json's exports that are modules (not `./package.json`, not patterns). */
export function exportedSubpaths(packageJson) {
  const { exports } = packageJson;
  if (
    typeof exports !== "object" ||
    exports === null ||
    !Object.keys(exports).some((key) => key.startsWith("."))
  )
    return ["."];
  return Object.keys(exports).filter((subpath) => !subpath.endsWith(".json") && !subpath.includes("*"));
}

/** `"."` → `"sandbox-sdk-errors"`, `"./testing"` → `"sandbox-sdk-errors/testing"`. */
export const moduleName = (packageName, subpath) =>
  subpath === "." ? packageName : `${packageName}/${subpath.slice(2)}`;

/**
 * What is wrong between the entry points and the exports: an entry point published as no subpath,
 * a subpath no entry point documents. Empty when they match.
 */
export function mismatches(root, packageJson, entryPoints) {
  const subpaths = exportedSubpaths(packageJson);
  const documented = new Map(entryPoints.map((file) => [subpathOf(root, file), file]));
  const problems = [];
  for (const [subpath, file] of documented) {
    if (!subpaths.includes(subpath)) {
      problems.push(
        `${relative(root, resolve(file))} is an entry point of typedoc.json, but package.json exports no "${subpath}"`,
      );
    }
  }
  for (const subpath of subpaths) {
    if (!documented.has(subpath)) {
      const folder = subpath === "." ? "src/index.ts" : `src/.../${subpath.slice(2)}/index.ts`;
      problems.push(
        `package.json exports "${subpath}", but typedoc.json's entryPoints document no ${folder}: add its entry file`,
      );
    }
  }
  return problems;
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

  app.converter.on(Converter.EVENT_BEGIN, () => {
    const entryPoints = app.options.getValue("entryPoints");
    for (const problem of mismatches(ROOT, packageJson, entryPoints)) app.logger.error(problem);
  });

  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const source = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile();
    if (source === undefined) return;
    reflection.name = moduleName(packageJson.name, subpathOf(ROOT, source.fileName));
  });
}
