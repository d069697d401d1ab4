/**
 * The demo's sandbox service on a real grpc-js server bound to 127.0.0.1 (an ephemeral port), with
 * a typed client factory: the integration tests' transport.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO = fileURLToPath(new URL("../../examples/sandbox.proto", import.meta.url));

const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, defaults: true });
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  demo: { sandbox: { v1: { SandboxService: grpc.ServiceClientConstructor } } };
};
export const SandboxService = loaded.demo.sandbox.v1.SandboxService;

export type Handlers = grpc.UntypedServiceImplementation;

export interface RunningServer {
  address: string;
  client(options?: grpc.ClientOptions): grpc.Client & Record<string, grpc.MethodDefinition<unknown, unknown>>;
  close(): Promise<void>;
}

/** Starts the service with `handlers` on 127.0.0.1 and an ephemeral port. */
export async function startSandboxServer(handlers: Handlers): Promise<RunningServer> {
  const server = new grpc.Server();
  server.addService(SandboxService.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const clients: grpc.Client[] = [];
  return {
    address,
    client(options) {
      const client = new SandboxService(address, grpc.credentials.createInsecure(), options);
      clients.push(client);
      return client as never;
    },
    async close() {
      for (const client of clients) client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** Calls a unary method and returns the error it fails with (or throws if it succeeds). */
export function failingUnary(
  client: grpc.Client,
  method: string,
  request: object,
  options: grpc.CallOptions = {},
): Promise<grpc.ServiceError> {
  return new Promise((resolve, reject) => {
    const call = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method];
    call?.call(client, request, new grpc.Metadata(), options, (error: grpc.ServiceError | null) =>
      error ? resolve(error) : reject(new Error(`${method} succeeded`)),
    );
  });
}
