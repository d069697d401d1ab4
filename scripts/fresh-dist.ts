/**
 * `dist/` as the tests that read the built package need it: built when it is missing or older than
 * what it is built from. `npm test` builds it before any test runs; a test file run on its own
 * (`npx vitest run test/docs.test.ts`) calls {@link ensureBuilt} first.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every file under `dir` (none when it is missing). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * Whether `dist` holds every file package.json's exports name and none is older than the sources
 * it is built from (src/, package.json, tsconfig.json, tsup.config.ts).
 */
export function distIsFresh(root: string): boolean {
  const outputs: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string" && value.startsWith("./dist/")) outputs.push(join(root, value));
    else if (typeof value === "object" && value !== null)
      for (const inner of Object.values(value)) walk(inner);
  };
  walk(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).exports);
  if (outputs.length === 0 || !outputs.every((path) => existsSync(path))) return false;
  const inputs = [
    ...filesUnder(join(root, "src")),
    ...["package.json", "tsconfig.json", "tsup.config.ts"].map((file) => join(root, file)),
  ].filter((path) => existsSync(path));
  const newestInput = Math.max(...inputs.map((path) => statSync(path).mtimeMs));
  const oldestOutput = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  return oldestOutput >= newestInput;
}

/**
 * Builds `dist` when it is missing or stale. tsup writes into a fresh directory of its own, which
 * then replaces `dist` in two renames: other test files of the same run read `dist` (package.test.ts
 * imports it), and `npm run build` would delete it under them for the seconds the build takes.
 */
export function ensureBuilt(root: string): "fresh" | "built" {
  if (distIsFresh(root)) return "fresh";
  const staging = join(root, "test", ".tmp", `dist-${process.pid}`);
  const old = join(root, "test", ".tmp", `dist-old-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  execFileSync("npx", ["tsup", "--silent", "--out-dir", staging], { cwd: root, stdio: "inherit" });
  const dist = join(root, "dist");
  try {
    if (existsSync(dist)) renameSync(dist, old);
    renameSync(staging, dist);
  } catch (error) {
    // Another test file of the same run built it in the meantime: theirs is as fresh as ours.
    if (!distIsFresh(root)) throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  return "built";
}
