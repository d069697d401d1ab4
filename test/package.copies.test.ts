/**
 * Identity across copies, on the packed tarball: two installed copies in different folders (as two
 * versions of the package would be), and a consumer bundled and minified with esbuild.
 */
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as source from "../src/index.js";
import type * as modalSource from "../src/presets/modal/index.js";

type Api = typeof source;
type ModalApi = typeof modalSource;

const repo = fileURLToPath(new URL("..", import.meta.url));
let work: string;
let tarball: string;
let packedFiles: string[];
let copyA: Api;
let copyB: Api;
/** Each copy's Modal entry, `sandbox-sdk-errors/modal`, loaded through the package's exports. */
let modalA: ModalApi;
let modalB: ModalApi;

/** Extracts the tarball as `<folder>/node_modules/sandbox-sdk-errors`, with the given version. */
function install(folder: string, version: string): string {
  const target = join(folder, "node_modules");
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target]);
  const installed = join(target, "sandbox-sdk-errors");
  renameSync(join(target, "package"), installed);
  const manifestPath = join(installed, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, version }, null, 2));
  return installed;
}

beforeAll(async () => {
  // Inside the repository, so that the copies resolve their dependencies from its node_modules.
  mkdirSync(join(repo, "test/.tmp"), { recursive: true });
  work = mkdtempSync(join(repo, "test/.tmp/copies-"));
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: repo, encoding: "utf8" }),
  );
  tarball = join(work, packed.filename);
  packedFiles = packed.files.map((file: { path: string }) => file.path);
  const a = install(join(work, "a"), "0.1.0");
  const b = install(join(work, "b"), "0.2.0");
  copyA = createRequire(import.meta.url)(a); // CommonJS build of one copy
  copyB = await import(pathToFileURL(join(b, "dist/index.js")).href); // ESM build of the other
  // Resolved from inside each folder, as a consumer's `require`/`import` of the subpath would be; the
  // entry imports its own copy's main entry.
  modalA = createRequire(join(work, "a", "consumer.cjs"))("sandbox-sdk-errors/modal");
  modalB = await import(pathToFileURL(join(b, "dist/modal.js")).href);
}, 120_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("holds the build, README, LICENSE and CHANGELOG, and nothing else", () => {
    const unexpected = packedFiles.filter(
      (path) => !/^(dist\/.+|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/.test(path),
    );
    expect(unexpected).toEqual([]);
    for (const needed of [
      "dist/index.js",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/index.d.cts",
      "dist/testing.js",
    ]) {
      expect(packedFiles).toContain(needed);
    }
  });

  it("ships source maps that carry their sources (the sources themselves are not packed)", () => {
    const maps = readdirSync(join(work, "a/node_modules/sandbox-sdk-errors/dist")).filter((f) =>
      f.endsWith(".map"),
    );
    expect(maps.length).toBeGreaterThan(0);
    for (const file of maps) {
      const map = JSON.parse(
        readFileSync(join(work, "a/node_modules/sandbox-sdk-errors/dist", file), "utf8"),
      );
      expect(map.sourcesContent?.length, file).toBe(map.sources.length);
      expect(map.sourcesContent.every((content: unknown) => typeof content === "string")).toBe(true);
    }
  });
});

describe("two installed copies (versions 0.1.0 and 0.2.0, CommonJS and ESM)", () => {
  it("are distinct copies", () => {
    expect(copyA.SandboxSdkError).not.toBe(copyB.SandboxSdkError);
  });

  it("see each other's subclasses as instances of their bases, and no further", () => {
    for (const [from, to] of [
      [copyA, copyB],
      [copyB, copyA],
    ] as const) {
      const notFound = new from.SandboxNotFoundError("m");
      expect(notFound).toBeInstanceOf(to.SandboxNotFoundError);
      expect(notFound).toBeInstanceOf(to.SandboxError);
      expect(notFound).toBeInstanceOf(to.SandboxSdkError);
      expect(notFound).not.toBeInstanceOf(to.SandboxFileError);
      expect(new from.SandboxError("m")).not.toBeInstanceOf(to.SandboxNotFoundError);
      expect(new from.SandboxFileError("m")).not.toBeInstanceOf(to.SandboxNotFoundError);
    }
  });

  it("agree on both parents of the validation classes", () => {
    const sandbox = new copyA.SandboxValidationError("m");
    const discovery = new copyA.DiscoveryValidationError("m");
    expect(sandbox).toBeInstanceOf(copyB.ValidationError);
    expect(sandbox).toBeInstanceOf(copyB.SandboxError);
    expect(sandbox).not.toBeInstanceOf(copyB.DiscoveryError);
    expect(discovery).toBeInstanceOf(copyB.ValidationError);
    expect(discovery).toBeInstanceOf(copyB.DiscoveryError);
    expect(new copyA.ValidationError("m")).not.toBeInstanceOf(copyB.SandboxValidationError);
  });

  it("agree on guards and retryability for every class", () => {
    for (const [name, value] of Object.entries(copyA)) {
      if (typeof value !== "function" || !(value.prototype instanceof Error)) continue;
      const error = new (value as new (message: string) => source.SandboxSdkError)("m");
      expect(copyB.isSandboxSdkError(error), name).toBe(true);
      expect(copyB.isRetryable(error), name).toBe(copyA.isRetryable(error));
      expect(error.retryable, name).toBe(copyB.isRetryable(error));
      const other = (copyB as unknown as Record<string, typeof source.SandboxSdkError>)[name]!;
      expect(other.isInstance(error), name).toBe(true);
    }
  });

  it("pass each other's errors through fromGrpcStatus unchanged", () => {
    const error = new copyA.SandboxUnavailableError("m");
    expect(copyB.fromGrpcStatus(error)).toBe(error);
    expect(source.fromGrpcStatus(error)).toBe(error);
  });

  it("rebuild each other's errors from JSON", () => {
    const error = copyA.fromGrpcStatus({ code: 5, details: "gone" }, { sandboxId: "sb" });
    const revived = copyB.SandboxSdkError.fromJSON(JSON.stringify(error));
    expect(revived).toBeInstanceOf(copyB.SandboxNotFoundError);
    expect(revived).toMatchObject({ sandboxId: "sb", grpcCode: 5, message: "Sandbox 'sb' not found" });
  });
});

describe("two installed copies of the Modal entry (CommonJS and ESM)", () => {
  /** Every error class of the Modal entry, by name. */
  const modalClasses = () =>
    Object.entries(modalA).filter(
      (entry): entry is [string, typeof modalSource.ModalError] =>
        typeof entry[1] === "function" && entry[1].prototype instanceof Error,
    );

  it("are distinct copies, each over its own copy's main entry", () => {
    expect(modalA.ModalError).not.toBe(modalB.ModalError);
    expect(new modalA.ModalError()).toBeInstanceOf(copyA.SandboxSdkError);
    expect(new modalB.ModalError()).toBeInstanceOf(copyB.SandboxSdkError);
  });

  it("see each other's Modal classes as the same classes, with the same parents, and no further", () => {
    for (const [name, ClassA] of modalClasses()) {
      const ClassB = (modalB as unknown as Record<string, typeof modalSource.ModalError>)[name]!;
      const ParentB = Object.getPrototypeOf(ClassB) as typeof modalSource.ModalError;
      for (const [made, other, parent] of [
        [new ClassA("m"), ClassB, ParentB],
        [new ClassB("m"), ClassA, Object.getPrototypeOf(ClassA)],
      ] as const) {
        expect(made, name).toBeInstanceOf(other);
        expect(made, name).toBeInstanceOf(parent);
        expect(other.isInstance(made), name).toBe(true);
      }
      if (ClassA !== modalA.ModalError) expect(new modalA.ModalError("m"), name).not.toBeInstanceOf(ClassB);
    }
  });

  it("keep Modal's classes apart from the default preset's same-named ones across copies", () => {
    for (const [name, ClassA] of modalClasses()) {
      const DefaultB = (copyB as unknown as Record<string, typeof source.SandboxSdkError | undefined>)[name];
      if (DefaultB === undefined) continue;
      expect(new ClassA("m"), name).not.toBeInstanceOf(DefaultB);
      const DefaultA = (copyA as unknown as Record<string, typeof source.SandboxSdkError>)[name]!;
      const ModalB = (modalB as unknown as Record<string, typeof modalSource.ModalError>)[name]!;
      expect(new DefaultA("m"), name).not.toBeInstanceOf(ModalB);
    }
    expect(new modalA.SandboxTimeoutError()).not.toBeInstanceOf(copyB.SandboxTimeoutError);
    expect(new copyA.SandboxTimeoutError("m")).not.toBeInstanceOf(modalB.SandboxTimeoutError);
  });

  it("agree on retryability, pass each other's errors through, and revive each other's JSON to Modal's class", () => {
    for (const [name, ClassA] of modalClasses()) {
      const error = new ClassA("m", { sandboxId: "sb" });
      expect(modalB.isRetryable(error), name).toBe(modalA.isRetryable(error));
      expect(copyB.isRetryable(error), name).toBe(error.retryable);
      expect(modalB.fromGrpcStatus(error), name).toBe(error);
      const revived = copyB.SandboxSdkError.fromJSON(JSON.stringify(error));
      const ClassB = (modalB as unknown as Record<string, typeof modalSource.ModalError>)[name]!;
      expect(Object.getPrototypeOf(revived), name).toBe(ClassB.prototype);
      expect(revived.sandboxId, name).toBe("sb");
    }
  });

  it("map alike: one copy's mapping is an instance of the other's class", () => {
    const raw = { code: 8, details: "Received message larger than max (9 vs. 8)", metadata: {} };
    const mapped = modalA.fromGrpcStatus(raw, { operation: "exec" });
    expect(mapped).toBeInstanceOf(modalB.RequestSizeError);
    expect(mapped).not.toBeInstanceOf(copyB.RequestSizeError);
    expect(copyB.otelAttributes(mapped)["sandbox.error.class"]).toBe("modal.RequestSizeError");
  });
});

describe("a consumer bundled and minified with esbuild", () => {
  let bundled: {
    errors: source.SandboxSdkError[];
    mapped: source.SandboxSdkError;
    classNames: string[];
    BundledValidationError: typeof source.ValidationError;
  };

  beforeAll(async () => {
    const consumer = join(work, "a/consumer.mjs");
    writeFileSync(
      consumer,
      `import * as api from "sandbox-sdk-errors";
export const errors = [
  new api.SandboxNotFoundError("nf", { sandboxId: "sb" }),
  new api.SandboxValidationError("invalid"),
  new api.RequestSizeError("big"),
  new api.SnapshotBackendThrottledError("slow"),
];
export const mapped = api.fromGrpcStatus({ code: 8, details: "Received message larger than max (9 vs. 8)" });
export const classNames = [api.SandboxNotFoundError.name, api.SandboxSdkError.name];
export const BundledValidationError = api.ValidationError;
`,
    );
    const outfile = join(work, "a/bundle.mjs");
    await build({
      entryPoints: [consumer],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "node",
      outfile,
      absWorkingDir: join(work, "a"),
      logLevel: "silent",
    });
    bundled = await import(pathToFileURL(outfile).href);
  }, 60_000);

  it("mangles the class identifiers (so the test means something)", () => {
    expect(bundled.classNames).not.toEqual(["SandboxNotFoundError", "SandboxSdkError"]);
  });

  it("keeps every error's literal name", () => {
    expect(bundled.errors.map((e) => e.name)).toEqual([
      "SandboxNotFoundError",
      "SandboxValidationError",
      "RequestSizeError",
      "SnapshotBackendThrottledError",
    ]);
    expect(bundled.mapped.name).toBe("RequestSizeError");
    expect(bundled.errors[0]?.stack?.startsWith("SandboxNotFoundError: nf")).toBe(true);
  });

  it("keeps instanceof with the unbundled classes in both directions", () => {
    const [notFound, validation, requestSize, throttled] = bundled.errors;
    expect(notFound).toBeInstanceOf(source.SandboxNotFoundError);
    expect(notFound).toBeInstanceOf(source.SandboxError);
    expect(validation).toBeInstanceOf(source.ValidationError);
    expect(new source.DiscoveryValidationError("m")).toBeInstanceOf(bundled.BundledValidationError);
    expect(source.isRetryable(requestSize)).toBe(false);
    expect(source.isRetryable(throttled)).toBe(true);
    expect(bundled.mapped).toBeInstanceOf(source.RequestSizeError);
    expect(source.fromGrpcStatus(notFound)).toBe(notFound);
  });
});
