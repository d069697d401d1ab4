/**
 * The portable checks in headless Chromium (SPEC §14), and real Connect and gRPC-web calls from the
 * page to a loopback connect-node server. The bundles are served by a loopback `node:http` server
 * and loaded as ES modules by the page; puppeteer-core drives the system's Chromium (`CHROMIUM_PATH`,
 * else /usr/bin/chromium). Without a Chromium the tests are skipped, loudly: see `npm run test:browser`.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStatusDetails } from "../../src/index.js";
import { type ConnectServer, startConnectServer } from "../support/transports/connect.js";
import { closedPort } from "../support/transports/http.js";
import { failWith } from "../support/transports/script.js";
import { vectors } from "../support/vectors.js";
import type { PageCall, PageNetworkFailure } from "./connect-page.js";
import {
  type Bundle,
  bundleForEngine,
  describeFailure,
  type EngineRun,
  engineTests,
  parseResults,
  START_TIMEOUT,
} from "./harness.js";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const available = existsSync(CHROMIUM);

if (!available) {
  const line = "!".repeat(78);
  console.warn(
    [
      "",
      line,
      `!!  BROWSER CHECKS DID NOT RUN: no Chromium at ${CHROMIUM}`,
      "!!  (set CHROMIUM_PATH, or install it: apt-get install -y chromium).",
      "!!  The library is NOT proven in a browser engine by this run.",
      "!!  Run them with: npm run test:browser",
      line,
      "",
    ].join("\n"),
  );
}

const CHECKS_ENTRY = `export { runPortableChecks } from "./portable-checks.ts";`;
const CALLS_ENTRY = `export { callFailingGetSandbox, callStoppedServer } from "./connect-page.ts";`;

/** Serves the page and its modules from 127.0.0.1 on an ephemeral port. */
async function servePage(
  modules: Readonly<Record<string, string>>,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://page.local").pathname;
    const code = modules[path];
    if (path === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end('<!doctype html><meta charset="utf-8"><title>sandbox-sdk-errors checks</title>');
    } else if (code !== undefined) {
      response.writeHead(200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "no-store",
      });
      response.end(code);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Evaluates `expression` (a promise of JSON text) in the page; what went wrong in the page if not. */
async function evaluateJson(page: Page, expression: string, pageErrors: readonly string[]): Promise<string> {
  try {
    const text = await page.evaluate(expression);
    if (typeof text !== "string") throw new Error(`the page answered ${typeof text}, not JSON text`);
    return text;
  } catch (error) {
    const seen = pageErrors.length > 0 ? `\npage errors:\n${pageErrors.join("\n")}` : "";
    throw new Error(`${describeFailure(error)}${seen}`);
  }
}

describe.skipIf(!available)(`headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser | undefined;
  let page: Page | undefined;
  let pageServer: Server | undefined;
  let connectServer: ConnectServer | undefined;
  let profile: string | undefined;
  let checksRun: EngineRun | undefined;
  let startFailure: string | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const modules: Record<string, string> = {};
    let checksBundle: Bundle | undefined;
    try {
      const [checks, calls] = await Promise.all([
        bundleForEngine("Chromium", CHECKS_ENTRY, { format: "esm", platform: "browser" }),
        bundleForEngine("Chromium", CALLS_ENTRY, { format: "esm", platform: "browser" }),
      ]);
      checksBundle = checks;
      modules["/checks.js"] = checks.code;
      modules["/calls.js"] = calls.code;
    } catch (error) {
      startFailure = `esbuild could not bundle the page's modules: ${describeFailure(error)}`;
      checksRun = { failure: startFailure };
      return;
    }
    try {
      ({ server: pageServer } = await servePage(modules));
      const { port } = pageServer.address() as AddressInfo;
      profile = mkdtempSync(join(tmpdir(), "sandbox-sdk-errors-chromium-"));
      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        userDataDir: profile,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--disable-quic",
        ],
      });
      page = await browser.newPage();
      page.on("pageerror", (error) => pageErrors.push(describeFailure(error)));
      page.on("console", (message) => {
        if (message.type() === "error") pageErrors.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "load" });
    } catch (error) {
      startFailure = `Chromium did not start or load the page: ${describeFailure(error)}`;
      checksRun = { failure: startFailure, bundle: checksBundle };
      return;
    }
    try {
      const text = await evaluateJson(
        page,
        "import('/checks.js').then((m) => m.runPortableChecks()).then((r) => JSON.stringify(r))",
        pageErrors,
      );
      checksRun = { results: parseResults(text), bundle: checksBundle };
    } catch (error) {
      checksRun = {
        failure: `the checks failed in Chromium: ${describeFailure(error)}`,
        bundle: checksBundle,
      };
    }
  }, START_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await connectServer?.close();
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  }, START_TIMEOUT);

  describe("portable checks in the page", () => {
    it("has no Node global in the page", async () => {
      if (page === undefined) throw new Error(startFailure ?? "no page");
      const kinds = await page.evaluate(
        "JSON.stringify(['Buffer', 'process', 'require', 'global', 'module', 'setImmediate'].map((n) => [n, typeof globalThis[n]]))",
      );
      expect(Object.fromEntries(JSON.parse(String(kinds)) as [string, string][])).toEqual({
        Buffer: "undefined",
        process: "undefined",
        require: "undefined",
        global: "undefined",
        module: "undefined",
        setImmediate: "undefined",
      });
    });

    engineTests("Chromium", () => checksRun);
  });

  describe("a real Connect call and a real gRPC-web call from the page to a loopback connect-node server", () => {
    // The reference vector's status, as the Python runtime encoded it, is what the server sends.
    const reference = vectors.find((vector) => vector.name === "reference");
    const expectation: Readonly<Record<string, unknown>> = reference?.expect ?? { ok: false };
    const sandboxId = "sb-page-1";

    beforeAll(async () => {
      const status = parseStatusDetails(new Uint8Array(Buffer.from(reference?.hex ?? "", "hex")));
      if (status === undefined) throw new Error("the reference vector does not decode");
      connectServer = await startConnectServer(
        failWith({ code: status.code, message: status.message, details: status.details }, ["GetSandbox"]),
      );
    }, START_TIMEOUT);

    async function call(protocol: "connect" | "grpc-web"): Promise<PageCall> {
      if (page === undefined) throw new Error(startFailure ?? "no page");
      if (connectServer === undefined) throw new Error("the connect-node server did not start");
      const args = [connectServer.http1Url, protocol, sandboxId].map((arg) => JSON.stringify(arg)).join(", ");
      const text = await evaluateJson(
        page,
        `import('/calls.js').then((m) => m.callFailingGetSandbox(${args})).then((r) => JSON.stringify(r))`,
        pageErrors,
      );
      return JSON.parse(text) as PageCall;
    }

    for (const protocol of ["connect", "grpc-web"] as const) {
      it(`${protocol}: the page maps the ConnectError to SandboxNotFoundError with the status's reason, metadata and retryDelay`, async () => {
        const { message: _message, ...mapped } = await call(protocol);
        expect(mapped).toEqual({
          thrown: "ConnectError",
          code: expectation.code,
          causeIsThrown: true,
          name: "SandboxNotFoundError",
          grpcCode: expectation.code,
          reason: expectation.reason,
          domain: expectation.domain,
          metadata: expectation.metadata,
          retryDelay: expectation.retryDelay,
          detailTypes: expectation.detailTypes,
          sandboxId,
        });
      });
    }

    it("both protocols give the same error", async () => {
      expect(await call("grpc-web")).toEqual(await call("connect"));
    });
  });

  describe("a call from the page to a stopped server (a loopback port where nothing listens)", () => {
    /** Chromium's words for a fetch that could not reach the server (SPEC §13's network row). */
    const CHROMIUM_FETCH_FAILURE = "Failed to fetch";
    const ATTEMPTS = 3;
    let stoppedUrl: string | undefined;

    beforeAll(async () => {
      stoppedUrl = `http://127.0.0.1:${await closedPort()}`;
    });

    async function callStopped(road: "connect" | "grpc-web" | "fetch"): Promise<PageNetworkFailure> {
      if (page === undefined) throw new Error(startFailure ?? "no page");
      if (stoppedUrl === undefined) throw new Error("no stopped port");
      const args = [stoppedUrl, road, ATTEMPTS].map((arg) => JSON.stringify(arg)).join(", ");
      const text = await evaluateJson(
        page,
        `import('/calls.js').then((m) => m.callStoppedServer(${args})).then((r) => JSON.stringify(r))`,
        pageErrors,
      );
      return JSON.parse(text) as PageNetworkFailure;
    }

    /**
     * SPEC §13: a network failure is UNAVAILABLE, `rawMessage` undefined, the outermost error's
     * message as `{details}`; the default preset's `SandboxUnavailableError` (§5: `Service
     * unavailable: {details}`), retryable; `retry` retries the raw error and re-throws it unchanged.
     */
    function expectMappedUnavailable(failure: PageNetworkFailure): void {
      expect(failure).toMatchObject({
        name: "SandboxUnavailableError",
        isSandboxUnavailableError: true,
        message: `Service unavailable: ${failure.thrownMessage}`,
        grpcCode: 14,
        hasRawMessage: false,
        retryable: true,
        rawIsRetryable: true,
        causeIsThrown: true,
        attempts: ATTEMPTS,
        retryRethrewLast: true,
      });
    }

    for (const protocol of ["connect", "grpc-web"] as const) {
      it(`${protocol}: connect-web's [unknown] ${CHROMIUM_FETCH_FAILURE} (the browser's TypeError its cause) is a retryable SandboxUnavailableError`, async () => {
        const failure = await callStopped(protocol);
        // The premise: what connect-web throws in Chromium for a server it cannot reach.
        expect(failure).toMatchObject({
          thrown: "ConnectError",
          code: 2,
          thrownMessage: `[unknown] ${CHROMIUM_FETCH_FAILURE}`,
          causeName: "TypeError",
          causeMessage: CHROMIUM_FETCH_FAILURE,
        });
        expectMappedUnavailable(failure);
      });
    }

    it(`plain fetch: Chromium's TypeError ${CHROMIUM_FETCH_FAILURE} is a retryable SandboxUnavailableError`, async () => {
      const failure = await callStopped("fetch");
      expect(failure).toMatchObject({ thrown: "TypeError", thrownMessage: CHROMIUM_FETCH_FAILURE });
      expectMappedUnavailable(failure);
    });
  });
});
