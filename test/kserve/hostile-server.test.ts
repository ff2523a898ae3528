/**
 * The kserve client against hostile v2 servers written here with node:http on loopback:
 * redirects (to another port, where the client's `x-api-key` would go), answers that
 * declare or stream 512 MiB, a server that never answers, malformed 200s, endless error
 * bodies. The client follows no redirect (its error names the location), reads no more
 * than its limit, gives up at its deadline (and `dispose()` with it), and retries only
 * what no server answered: a malformed 200 is one request, and the replica stays healthy.
 */
import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type InprocError, Tensor, loadModel, resources } from "inproc";

const METADATA = JSON.stringify({
  name: "m",
  versions: ["1"],
  platform: "onnxruntime_onnx",
  inputs: [{ name: "x", datatype: "FP32", shape: [1, 4] }],
  outputs: [{ name: "y", datatype: "FP32", shape: [1, 4] }],
});

interface Hostile {
  readonly url: string;
  readonly server: Server;
  /** Requests seen: method, path, headers. */
  readonly seen: {
    method: string;
    path: string;
    headers: IncomingMessage["headers"];
  }[];
  /** Sockets that closed. */
  closed: number;
}

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(
    servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))),
  );
});

/** A server that answers metadata and readiness properly, and `infer` (and anything else) as `answer` says. */
async function hostile(
  answer: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  options: {
    metadata?: (req: IncomingMessage, res: ServerResponse) => boolean;
  } = {},
): Promise<Hostile> {
  const seen: Hostile["seen"] = [];
  const state = { closed: 0 };
  const server = createServer((req, res) => {
    seen.push({
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
    });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.endsWith("/ready") === true) {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end('{"ready":true}');
      } else if (
        req.method === "GET" &&
        req.url === "/v2/models/m" &&
        options.metadata?.(req, res) !== true
      ) {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(METADATA);
      } else if (req.method !== "GET" || req.url !== "/v2/models/m") {
        answer(req, res, Buffer.concat(chunks));
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      state.closed++;
      sockets.delete(socket);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const h = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    seen,
  } as Hostile;
  Object.defineProperty(h, "closed", { get: () => state.closed });
  return h;
}

const x = (): Tensor => new Tensor("float32", [1, 2, 3, 4], [1, 4]);
const infers = (h: Hostile): number =>
  h.seen.filter((s) => s.path.endsWith("/infer")).length;
const TRANSPORTS = {
  "node:http": { retries: 4, retryDelayMs: 1, healthCheckIntervalMs: 0 },
  // The browsers' transport, run in Node by passing a fetch.
  fetch: {
    retries: 4,
    retryDelayMs: 1,
    healthCheckIntervalMs: 0,
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      globalThis.fetch(input, init),
  },
};
async function failure(promise: Promise<unknown>): Promise<InprocError> {
  try {
    await promise;
  } catch (error) {
    return error as InprocError;
  }
  throw new Error("did not fail");
}

for (const [transport, fast] of Object.entries(TRANSPORTS)) {
  describe(`over ${transport}`, () => {
    describe("redirects are never followed", () => {
      it("a metadata redirect to another port: the load fails naming the location, and the other server never sees the key", async () => {
        const elsewhere = await hostile((_req, res) =>
          res.writeHead(200).end(METADATA),
        );
        const redirecting = await hostile(() => undefined, {
          metadata: (_req, res) => {
            res
              .writeHead(307, { location: `${elsewhere.url}/v2/models/m` })
              .end();
            return true;
          },
        });
        const e = await failure(
          loadModel(`${redirecting.url}/v2/models/m`, {
            backend: "kserve",
            backendOptions: { ...fast, headers: { "x-api-key": "secret" } },
          }),
        );
        expect(e.code).toBe("MODEL_NOT_FOUND");
        expect(e.message).toContain(
          `HTTP 307 redirects to "${elsewhere.url}/v2/models/m"`,
        );
        expect(e.message).toMatch(/does not follow redirects/);
        expect(elsewhere.seen).toEqual([]);
        expect(
          redirecting.seen.filter((s) => s.path === "/v2/models/m"),
        ).toHaveLength(1); // not retried
      });

      it("an infer redirect: RUN_FAILED naming the location, one request, nothing sent there", async () => {
        const elsewhere = await hostile((_req, res) =>
          res.writeHead(500).end(),
        );
        const h = await hostile((_req, res) =>
          res.writeHead(302, { location: `${elsewhere.url}/steal` }).end(),
        );
        await using model = await loadModel(`${h.url}/v2/models/m`, {
          backend: "kserve",
          backendOptions: { ...fast, headers: { "x-api-key": "secret" } },
        });
        const e = await failure(model.run({ x: x() }));
        expect(e.code).toBe("RUN_FAILED");
        expect(e.message).toContain(`redirects to "${elsewhere.url}/steal"`);
        expect(infers(h)).toBe(1);
        expect(elsewhere.seen).toEqual([]);
      });
    });

    describe("response size limit", () => {
      it("an answer declaring 512 MiB is refused before it is read, the connection closed; the limit defaults from the outputs", async () => {
        const h = await hostile((_req, res) => {
          res.writeHead(200, {
            "content-type": "application/octet-stream",
            "content-length": String(512 * 1024 * 1024),
          });
          res.write(Buffer.alloc(64 * 1024));
        });
        await using model = await loadModel(`${h.url}/v2/models/m`, {
          backend: "kserve",
          backendOptions: fast,
        });
        const before = h.closed;
        const e = await failure(model.run({ x: x() }));
        expect(e.code).toBe("LIMIT_EXCEEDED");
        expect(e.message).toMatch(
          /declared as 536870912 bytes, more than the \d+ allowed/,
        );
        expect(infers(h)).toBe(1);
        await expect.poll(() => h.closed).toBeGreaterThan(before);
      });

      it("a chunked answer that never stops is cut at the limit (set by maxResponseBytes)", async () => {
        let sent = 0;
        const h = await hostile((_req, res) => {
          res.writeHead(200, { "content-type": "application/octet-stream" });
          const chunk = Buffer.alloc(64 * 1024, 1);
          const pump = (): void => {
            while (!res.destroyed && sent < 512 * 1024 * 1024) {
              sent += chunk.byteLength;
              if (!res.write(chunk)) {
                res.once("drain", pump);
                return;
              }
            }
          };
          res.on("close", () => res.removeAllListeners("drain"));
          pump();
        });
        await using model = await loadModel(`${h.url}/v2/models/m`, {
          backend: "kserve",
          backendOptions: { ...fast, maxResponseBytes: 1024 * 1024 },
        });
        const e = await failure(model.run({ x: x() }));
        expect(e.code).toBe("LIMIT_EXCEEDED");
        expect(e.message).toMatch(
          /more than the 1048576 allowed \(backendOptions.maxResponseBytes\)/,
        );
        expect(sent).toBeLessThan(512 * 1024 * 1024);
      });

      it("an endless error body is read only as far as a message needs", async () => {
        let sent = 0;
        const h = await hostile((_req, res) => {
          res.writeHead(400, { "content-type": "text/plain" });
          const chunk = Buffer.alloc(64 * 1024, 0x61);
          const pump = (): void => {
            while (!res.destroyed && sent < 256 * 1024 * 1024) {
              sent += chunk.byteLength;
              if (!res.write(chunk)) {
                res.once("drain", pump);
                return;
              }
            }
          };
          pump();
        });
        await using model = await loadModel(`${h.url}/v2/models/m`, {
          backend: "kserve",
          backendOptions: fast,
        });
        const e = await failure(model.run({ x: x() }));
        expect(e.code).toBe("INPUT_INVALID");
        expect(e.message.length).toBeLessThan(2000);
        expect(sent).toBeLessThan(256 * 1024 * 1024);
      });
    });

    describe("deadline", () => {
      it("a server that never answers: TIMEOUT at requestTimeoutMs, and dispose() does not hang on the call in flight", async () => {
        const h = await hostile(() => undefined);
        const model = await loadModel(`${h.url}/v2/models/m`, {
          backend: "kserve",
          backendOptions: { ...fast, requestTimeoutMs: 300 },
        });
        const run = failure(model.run({ x: x() }));
        await expect.poll(() => infers(h)).toBe(1);
        await model.dispose();
        const e = await run;
        expect(e.code).toBe("TIMEOUT");
        expect(e.message).toMatch(
          /no answer within 300 ms \(backendOptions.requestTimeoutMs\)/,
        );
        expect(infers(h)).toBe(1);
      });

      it("a server that accepts the connection and never answers the load: TIMEOUT", async () => {
        const h = await hostile(() => undefined, { metadata: () => true });
        const e = await failure(
          loadModel(`${h.url}/v2/models/m`, {
            backend: "kserve",
            backendOptions: { ...fast, requestTimeoutMs: 200 },
          }),
        );
        expect(e.code).toBe("TIMEOUT");
      });

      it("defaults to 60 s, as Triton's client; a bad value is INPUT_INVALID", async () => {
        const h = await hostile(() => undefined);
        const e = await failure(
          loadModel(`${h.url}/v2/models/m`, {
            backend: "kserve",
            backendOptions: { requestTimeoutMs: 0 },
          }),
        );
        expect(e.code).toBe("INPUT_INVALID");
        expect(e.message).toMatch(/requestTimeoutMs must be a number >= 1/);
        const e2 = await failure(
          loadModel(`${h.url}/v2/models/m`, {
            backend: "kserve",
            backendOptions: { maxResponseBytes: -1 },
          }),
        );
        expect(e2.code).toBe("INPUT_INVALID");
      });
    });

    describe("what is retried", () => {
      const malformed: [string, (res: ServerResponse) => void][] = [
        [
          "a JSON header length past the body",
          (res) =>
            res
              .writeHead(200, { "inference-header-content-length": "999" })
              .end("{}"),
        ],
        [
          "binary_data_size past the body",
          (res) => {
            const head =
              '{"outputs":[{"name":"y","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":16}}]}';
            res
              .writeHead(200, {
                "inference-header-content-length": String(head.length),
              })
              .end(`${head}12`);
          },
        ],
        [
          "not JSON",
          (res) =>
            res
              .writeHead(200, { "content-type": "application/json" })
              .end('{"outputs": ['),
        ],
        [
          "a shape whose element count overflows",
          (res) =>
            res
              .writeHead(200)
              .end(
                '{"outputs":[{"name":"y","datatype":"FP32","shape":[4294967296,4294967296,4294967296],"data":[]}]}',
              ),
        ],
        [
          "a shape of 10^9 elements with one element of data",
          (res) =>
            res
              .writeHead(200)
              .end(
                '{"outputs":[{"name":"y","datatype":"INT64","shape":[1000000000],"data":[1]}]}',
              ),
        ],
        [
          "the wrong datatype",
          (res) =>
            res
              .writeHead(200)
              .end(
                '{"outputs":[{"name":"y","datatype":"INT8","shape":[1,4],"data":[1,2,3,4]}]}',
              ),
        ],
        [
          "a body cut short of its Content-Length",
          (res) => {
            res.writeHead(200, { "content-length": "1000" });
            res.write('{"outputs":[');
            res.socket?.destroy();
          },
        ],
      ];

      it.each(malformed)(
        "a malformed 200 (%s) is RUN_FAILED after one request, and the replica stays healthy",
        async (what, answer) => {
          const h = await hostile((_req, res) => answer(res));
          await using model = await loadModel(`${h.url}/v2/models/m`, {
            backend: "kserve",
            backendOptions: fast,
          });
          const e = await failure(model.run({ x: x() }));
          if (what.startsWith("a body cut short")) {
            // The server did not answer: that one is a connection failure, retried, and the replica marked down.
            expect(e.code).toBe("RUN_FAILED");
            expect(infers(h)).toBe(5);
            return;
          }
          expect(e.code).toBe("RUN_FAILED");
          expect(infers(h)).toBe(1);
          const replicas = (
            model.metadata as { replicas: { healthy: boolean }[] }
          ).replicas;
          expect(replicas[0]!.healthy).toBe(true);
        },
      );

      it("500 is not retried; 503 and 429 are, until the retries run out", async () => {
        for (const [status, expected, code] of [
          [500, 1, "RUN_FAILED"],
          [503, 5, "QUEUE_FULL"],
          [429, 5, "QUEUE_FULL"],
        ] as const) {
          const h = await hostile((_req, res) =>
            res.writeHead(status).end('{"error":"no"}'),
          );
          await using model = await loadModel(`${h.url}/v2/models/m`, {
            backend: "kserve",
            backendOptions: fast,
          });
          const e = await failure(model.run({ x: x() }));
          expect(e.code, String(status)).toBe(code);
          expect(infers(h), String(status)).toBe(expected);
        }
      });

      it("leaves no resources behind", async () => {
        const before = resources();
        const h = await hostile((_req, res) =>
          res.writeHead(200).end("garbage"),
        );
        const model = await loadModel(`${h.url}/v2/models/m`, {
          backend: "kserve",
          backendOptions: fast,
        });
        await failure(model.run({ x: x() }));
        await model.dispose();
        expect(resources()).toEqual(before);
      });
    });
  });
}
