/**
 * The portable checks in a `node:vm` context that has no Node globals at all (SPEC §14): only the
 * ECMAScript built-ins of a fresh realm, plus the web-platform globals that every target runtime
 * (browsers, workerd, Deno, Bun) has, handed in by name below. Runs on every `npm test`, everywhere.
 */
import vm from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bundleForEngine,
  describeFailure,
  type EngineRun,
  engineTests,
  parseResults,
  START_TIMEOUT,
} from "./harness.js";

/** The web platform's globals the library and its testing kit may use, and nothing of Node's. */
const WEB_GLOBALS = {
  TextEncoder,
  TextDecoder,
  URL,
  URLSearchParams,
  AbortController,
  AbortSignal,
  DOMException,
  Event,
  EventTarget,
  Headers,
  Request,
  Response,
  ReadableStream,
  atob,
  btoa,
  console,
  queueMicrotask,
  structuredClone,
  // As on the web: a number, not Node's Timeout object with its unref() and ref().
  setTimeout: (handler: (...args: unknown[]) => void, delay?: number, ...args: unknown[]): number =>
    Number(setTimeout(handler, delay, ...args)),
  clearTimeout: (id: number | undefined): void => clearTimeout(id),
};

/** Globals whose absence the context must guarantee: reaching one of them must fail a check. */
const NODE_GLOBALS = [
  "Buffer",
  "process",
  "require",
  "global",
  "module",
  "exports",
  "setImmediate",
  "__dirname",
];

const ENTRY = `
import { runPortableChecks } from "./portable-checks.ts";
globalThis.__runPortableChecks = async () => JSON.stringify(await runPortableChecks());
`;

describe("portable checks in a vm context without Node globals", () => {
  const context = vm.createContext({ ...WEB_GLOBALS });
  let run: EngineRun | undefined;

  beforeAll(async () => {
    let bundle: Awaited<ReturnType<typeof bundleForEngine>>;
    try {
      bundle = await bundleForEngine("a vm context", ENTRY, { format: "iife", platform: "neutral" });
    } catch (error) {
      run = { failure: `esbuild could not bundle the checks: ${describeFailure(error)}` };
      return;
    }
    try {
      vm.runInContext(bundle.code, context, { filename: "portable-checks.vm.js" });
      const start = vm.runInContext("globalThis.__runPortableChecks", context) as () => Promise<string>;
      run = { results: parseResults(await start()), bundle };
    } catch (error) {
      run = { failure: `the bundle failed in the vm context: ${describeFailure(error)}`, bundle };
    }
  }, START_TIMEOUT);

  it("has no Node global in the context", () => {
    const kinds = vm.runInContext(
      `(${JSON.stringify(NODE_GLOBALS)}).map((name) => [name, typeof globalThis[name]])`,
      context,
    ) as [string, string][];
    expect(Object.fromEntries(kinds)).toEqual(
      Object.fromEntries(NODE_GLOBALS.map((name) => [name, "undefined"])),
    );
  });

  it("has the web globals it was given, and its own realm's built-ins", () => {
    const kinds = vm.runInContext(
      `(${JSON.stringify(Object.keys(WEB_GLOBALS))}).map((name) => [name, typeof globalThis[name]])`,
      context,
    ) as [string, string][];
    for (const [name, kind] of kinds) expect(kind, name).not.toBe("undefined");
    // The premise of the realm checks: the context's Uint8Array is not this one.
    expect(vm.runInContext("Uint8Array", context)).not.toBe(Uint8Array);
  });

  engineTests("a vm context", () => run);
});
