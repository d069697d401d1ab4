/**
 * `toServiceError` loads `@grpc/grpc-js` lazily (importing the kit loads nothing Node-only). These
 * tests run the BUILT kit (`dist/`, as users get it, `npm test` builds it first) in child processes,
 * some of them without the API the loader feature-detects, so that what tsup makes of the loader is
 * what is tested.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const dist = (file: string) => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url));

beforeAll(() => {
  if (!existsSync(dist("testing.js")) || !existsSync(dist("testing.cjs"))) {
    throw new Error("dist/ is missing: run `npx tsup` (npm test builds before testing)");
  }
});

/** Runs `script` in a child Node and gives what it printed. */
function run(script: string, module: boolean): string {
  const args = module ? ["--input-type=module", "-e", script] : ["-e", script];
  return execFileSync(process.execPath, args, { encoding: "utf8" });
}

/** Calls toServiceError and prints its code, or the message and cause of what it threw. */
const CALL = `
  try {
    process.stdout.write("code " + kit.toServiceError({ code: 5, message: "gone" }).code);
  } catch (error) {
    process.stdout.write("threw " + error.message + " | cause: " + (error.cause && error.cause.message));
  }`;

describe("toServiceError from the built kit", () => {
  it("loads @grpc/grpc-js in the ESM build through process.getBuiltinModule", () => {
    const output = run(`const kit = await import(${JSON.stringify(dist("testing.js"))}); ${CALL}`, true);
    expect(output).toBe("code 5");
  });

  it("loads @grpc/grpc-js in the CommonJS build through require, without process.getBuiltinModule", () => {
    const output = run(
      `delete process.getBuiltinModule; const kit = require(${JSON.stringify(dist("testing.cjs"))}); ${CALL}`,
      false,
    );
    expect(output).toBe("code 5");
  });

  it("says what it needs in the ESM build without process.getBuiltinModule, never tsup's dynamic-require error", () => {
    const output = run(
      `delete process.getBuiltinModule; const kit = await import(${JSON.stringify(dist("testing.js"))}); ${CALL}`,
      true,
    );
    expect(output).toMatch(/^threw toServiceError needs @grpc\/grpc-js \(a peer dependency: install it\)/);
    expect(output).toContain("process.getBuiltinModule (Node >= 20.16)");
    expect(output).not.toMatch(/^threw Dynamic require/);
    // What stopped it stays the cause, for whoever debugs a bundler's output.
    expect(output).toMatch(/\| cause: .+/);
  });

  it("says the same when @grpc/grpc-js is not installed", () => {
    const hooks = `export async function resolve(specifier, context, next) {
      if (specifier === "@grpc/grpc-js" || specifier.startsWith("@grpc/grpc-js/")) throw new Error("Cannot find module '@grpc/grpc-js'");
      return next(specifier, context);
    }`;
    const script = `
      import { register } from "node:module";
      import Module from "node:module";
      register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hooks)}));
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === "@grpc/grpc-js") throw Object.assign(new Error("Cannot find module '@grpc/grpc-js'"), { code: "MODULE_NOT_FOUND" });
        return resolve.call(this, request, ...rest);
      };
      const kit = await import(${JSON.stringify(dist("testing.js"))});
      ${CALL}`;
    const output = run(script, true);
    expect(output).toMatch(/^threw toServiceError needs @grpc\/grpc-js \(a peer dependency: install it\)/);
    expect(output).toContain("cause: Cannot find module '@grpc/grpc-js'");
  });
});
