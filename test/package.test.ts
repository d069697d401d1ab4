/**
 * The built package, as applications load it: both formats in one process must agree on every
 * class, as two copies of the package would.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { referenceBlob, vectors } from "./support/vectors.js";

type Api = typeof import("../src/index.js");

const REFERENCE = referenceBlob().toString("hex");
const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
let esm: Api;
let cjs: Api;

beforeAll(async () => {
  if (!existsSync(dist("index.js")) || !existsSync(dist("index.cjs"))) {
    throw new Error("dist/ is missing: run `npx tsup` (npm test builds before testing)");
  }
  esm = await import(dist("index.js"));
  cjs = createRequire(import.meta.url)(dist("index.cjs"));
});

describe("the ESM and CommonJS builds in one process", () => {
  it("are two distinct copies of the classes", () => {
    expect(esm.SandboxSdkError).not.toBe(cjs.SandboxSdkError);
  });

  it("agree on instanceof in both directions", () => {
    for (const [from, to] of [
      [esm, cjs],
      [cjs, esm],
    ] as const) {
      const error = new from.SandboxValidationError("m");
      expect(error).toBeInstanceOf(to.SandboxValidationError);
      expect(error).toBeInstanceOf(to.SandboxError);
      expect(error).toBeInstanceOf(to.ValidationError);
      expect(error).toBeInstanceOf(to.SandboxSdkError);
      expect(error).not.toBeInstanceOf(to.DiscoveryError);
      expect(new from.SandboxError("m")).not.toBeInstanceOf(to.SandboxValidationError);
      expect(to.isSandboxSdkError(error)).toBe(true);
      expect(to.SandboxError.isInstance(error)).toBe(true);
      expect(to.isRetryable(new from.SandboxUnavailableError("m"))).toBe(true);
      expect(to.isRetryable(new from.RequestSizeError("m"))).toBe(false);
    }
  });

  it("pass each other's errors through fromGrpcStatus unchanged", () => {
    const error = new cjs.SandboxNotFoundError("m");
    expect(esm.fromGrpcStatus(error)).toBe(error);
  });

  it("map the same input to the same class and fields", () => {
    const input = { code: 14, details: "down" };
    const fromEsm = esm.fromGrpcStatus(input, { operation: "exec" });
    const fromCjs = cjs.fromGrpcStatus(input, { operation: "exec" });
    expect(fromEsm.name).toBe("SandboxUnavailableError");
    expect(fromCjs.name).toBe(fromEsm.name);
    expect(fromCjs.message).toBe(fromEsm.message);
  });

  it("decode status details in the CommonJS build too", () => {
    const reference = "0805121873616e64626f782073622d313233206e6f7420666f756e64";
    expect(cjs.parseStatusDetails(Buffer.from(reference, "hex"))?.message).toBe("sandbox sb-123 not found");
    expect(esm.parseStatusDetails(Buffer.from(reference, "hex"))?.message).toBe("sandbox sb-123 not found");
  });
});

describe("the built output decodes every golden vector as the source does", () => {
  // The bundler must not change behaviour (a tree-shaking pass once dropped RetryInfo delays).
  it.each(["esm", "cjs"] as const)("%s build", async (format) => {
    const built = format === "esm" ? esm : cjs;
    const source = await import("../src/index.js");
    for (const vector of vectors) {
      const bytes = Buffer.from(vector.hex, "hex");
      expect(built.parseStatusDetails(bytes), vector.name).toEqual(source.parseStatusDetails(bytes));
      const transport = { code: 14, details: "d", metadata: { get: () => [bytes] } };
      const fromBuilt = built.fromGrpcStatus(transport);
      const fromSource = source.fromGrpcStatus(transport);
      expect(fromBuilt.name, vector.name).toBe(fromSource.name);
      expect({ ...fromBuilt }, vector.name).toEqual({ ...fromSource });
    }
  });
});

describe("the main entry at run time", () => {
  // Loads the built entry in a child process whose resolver refuses the transport and protobuf
  // packages: the main entry needs @grpc/grpc-js for types only, and decodes without google-protobuf.
  const forbidden = ["@grpc/grpc-js", "@grpc/proto-loader", "google-protobuf", "protobufjs"];

  it("imports (ESM) without @grpc/grpc-js or google-protobuf", () => {
    const hooks = `export async function resolve(specifier, context, next) {
      if (${JSON.stringify(forbidden)}.some((name) => specifier === name || specifier.startsWith(name + "/"))) {
        throw new Error("forbidden import: " + specifier);
      }
      return next(specifier, context);
    }`;
    const script = `
      import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));
      const api = await import(${JSON.stringify(dist("index.js"))});
      const error = api.fromGrpcStatus({ code: 5, details: "x", metadata: { get: () => [Buffer.from("${REFERENCE}", "hex")] } });
      process.stdout.write(error.name + " " + error.retryDelay);
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    expect(output).toBe("SandboxNotFoundError 1500");
  });

  it("imports the testing kit (ESM) without @grpc/grpc-js, and encodes without it", () => {
    const hooks = `export async function resolve(specifier, context, next) {
      if (${JSON.stringify(forbidden)}.some((name) => specifier === name || specifier.startsWith(name + "/"))) {
        throw new Error("forbidden import: " + specifier);
      }
      return next(specifier, context);
    }`;
    const script = `
      import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));
      const kit = await import(${JSON.stringify(dist("testing.js"))});
      const api = await import(${JSON.stringify(dist("index.js"))});
      const blob = kit.encodeStatus({ code: 5, details: [{ type: "RetryInfo", retryDelay: 250 }] });
      process.stdout.write(String(api.parseStatusDetails(blob).retryDelay));
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    expect(output).toBe("250");
  });

  it("requires (CJS) without @grpc/grpc-js or google-protobuf", () => {
    const script = `
      const Module = require("node:module");
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (${JSON.stringify(forbidden)}.some((name) => request === name || request.startsWith(name + "/"))) {
          throw new Error("forbidden require: " + request);
        }
        return resolve.call(this, request, ...rest);
      };
      const api = require(${JSON.stringify(dist("index.cjs"))});
      const error = api.fromGrpcStatus({ code: 5, details: "x", metadata: { get: () => [Buffer.from("${REFERENCE}", "hex")] } });
      process.stdout.write(error.name + " " + error.retryDelay);
    `;
    const output = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
    expect(output).toBe("SandboxNotFoundError 1500");
  });
});
