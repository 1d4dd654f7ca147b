/**
 * The gRPC protocol over HTTP/2
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md), in
 * cleartext (h2c with prior knowledge, what `grpc.insecure_channel` and
 * `grpcurl -plaintext` speak), for stock gRPC clients in any language. Served
 * with `node:http2`, which Bun and Deno both implement, on Linux and on
 * Windows, on TCP or a Unix socket. Messages are proto3 (`application/grpc`,
 * `application/grpc+proto`), uncompressed (`grpc-encoding: identity`).
 *
 * @module
 */
import type http2 from "node:http2";
import { RpcError } from "./errors.ts";
import {
  decodeOne,
  encodeOne,
  envelope,
  envelopes,
  type Route,
  routesOf,
  toRpcError,
  untilAborted,
} from "./connect.ts";
import type { CompiledSchema, RpcMethod } from "./schema.ts";
import type { AnyHandler, CallContext } from "./session.ts";

const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/**
 * Reads a `grpc-timeout` header (`200m`, `5S`, …: at most 8 digits and a unit).
 *
 * @param value The header, or `undefined`.
 * @returns Milliseconds, or `null` when there is no valid header.
 * @example Reading a timeout
 * ```ts
 * import { parseGrpcTimeout } from "./grpc.ts";
 * console.log(parseGrpcTimeout("250m"), parseGrpcTimeout("2S")); // 250 2000
 * ```
 */
export function parseGrpcTimeout(value: string | undefined): number | null {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value ?? "");
  return match ? Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]! : null;
}

/**
 * Percent-encodes a `grpc-message` as the protocol asks: bytes outside
 * printable ASCII, and `%`, become `%XX` of their UTF-8.
 *
 * @param text The message.
 * @returns The header value.
 * @example Encoding a message
 * ```ts
 * import { grpcMessage } from "./grpc.ts";
 * console.log(grpcMessage("100% wrong: é")); // "100%25 wrong: %C3%A9"
 * ```
 */
export function grpcMessage(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The response side of one call: headers once, messages, then trailers exactly once. */
class GrpcResponse {
  #headersSent = false;
  #finished = false;

  constructor(readonly stream: http2.ServerHttp2Stream, readonly signal: AbortSignal) {}

  /** Whether the call's status was sent. */
  get ended(): boolean {
    return this.#finished;
  }

  /** Whether nothing more can be sent: the status went out or the stream is gone. */
  get finished(): boolean {
    return this.#finished || this.stream.destroyed || this.stream.closed;
  }

  async send(bytes: Uint8Array): Promise<void> {
    if (this.finished) return;
    if (!this.#headersSent) {
      this.#headersSent = true;
      this.stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-accept-encoding": "identity" },
        { waitForTrailers: true },
      );
    }
    if (this.stream.write(envelope(0, bytes))) return;
    // Wait for the client to read; a cancel, deadline or reset ends the wait too.
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("close", done);
        this.signal.removeEventListener("abort", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("close", done);
      this.signal.addEventListener("abort", done);
    });
  }

  /** Ends the call with its status: trailers after messages, or one trailers-only response. */
  finish(error: RpcError | null): void {
    if (this.finished) return;
    this.#finished = true;
    const status: http2.OutgoingHttpHeaders = { "grpc-status": String(error?.grpcCode ?? 0) };
    if (error) status["grpc-message"] = grpcMessage(error.message);
    if (!this.#headersSent) {
      this.#headersSent = true;
      this.stream.respond(
        { ":status": 200, "content-type": "application/grpc", ...status },
        { endStream: true },
      );
      return;
    }
    this.stream.once("wantTrailers", () => this.stream.sendTrailers(status));
    this.stream.end();
  }
}

/**
 * Builds the `stream` listener of an `http2` server that serves one service's
 * methods with the gRPC protocol.
 *
 * @param schema The compiled schema.
 * @param service The service's name.
 * @param handlers Its handlers by method name.
 * @param maxMessageSize The largest message accepted or sent, in bytes.
 * @returns The listener, and a way to cancel calls in flight.
 * @example Serving gRPC on port 50051
 * ```ts
 * import http2 from "node:http2";
 * import { grpcListener } from "./grpc.ts";
 * import type { CompiledSchema } from "./schema.ts";
 * declare const schema: CompiledSchema;
 * const { listener } = grpcListener(schema, "calc", new Map(), 4 << 20);
 * http2.createServer().on("stream", listener).listen(50051);
 * ```
 */
export function grpcListener(
  schema: CompiledSchema,
  service: string,
  handlers: Map<string, { method: RpcMethod; handler: AnyHandler }>,
  maxMessageSize: number,
): {
  listener: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  cancelAll(reason: RpcError): void;
} {
  const routes = routesOf(schema, service, handlers);
  const inFlight = new Set<AbortController>();
  return {
    listener(stream, headers) {
      void serveCall(stream, headers, routes, maxMessageSize, inFlight);
    },
    cancelAll(reason) {
      for (const controller of inFlight) controller.abort(reason);
    },
  };
}

async function serveCall(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  routes: Map<string, Route>,
  limit: number,
  inFlight: Set<AbortController>,
): Promise<void> {
  const path = String(headers[":path"] ?? "");
  if (headers[":method"] !== "POST") {
    stream.respond({ ":status": 405, allow: "POST" }, { endStream: true });
    return;
  }
  const contentType = String(headers["content-type"] ?? "");
  if (!/^application\/grpc(\+proto)?\s*(;|$)/.test(contentType)) {
    // The protocol answers other content types with HTTP 415, not a gRPC status.
    stream.respond({ ":status": 415, "content-type": "text/plain" });
    stream.end(`Cannot accept content type '${contentType}': use application/grpc`);
    return;
  }
  const controller = new AbortController();
  const response = new GrpcResponse(stream, controller.signal);
  const route = routes.get(path);
  if (!route) {
    response.finish(new RpcError("unimplemented", `Cannot call '${path}': no such method`));
    return;
  }
  const encoding = String(headers["grpc-encoding"] ?? "identity");
  if (encoding !== "identity") {
    response.finish(
      new RpcError(
        "unimplemented",
        `Cannot decompress '${encoding}': ipckit's gRPC server accepts identity only`,
      ),
    );
    return;
  }
  inFlight.add(controller);
  const timeout = parseGrpcTimeout(headers["grpc-timeout"] as string | undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeout !== null) {
    timer = setTimeout(
      () =>
        controller.abort(
          new RpcError("deadline_exceeded", `Call passed its deadline of ${timeout} ms`),
        ),
      timeout,
    );
  }
  // A cancel, a deadline or a server shutdown ends the call at once, whatever the handler does.
  const onAbort = () => response.finish(toRpcError(controller.signal.reason));
  controller.signal.addEventListener("abort", onAbort, { once: true });
  const onClose = () => {
    if (!response.ended) {
      controller.abort(new RpcError("canceled", "The client cancelled the call"));
    }
  };
  stream.on("close", onClose);
  const context: CallContext = {
    method: route.method.name,
    signal: controller.signal,
    deadline: timeout === null ? null : Date.now() + timeout,
  };
  try {
    await runHandler(stream, route, limit, context, response);
    response.finish(null);
  } catch (error) {
    response.finish(toRpcError(error));
  } finally {
    clearTimeout(timer);
    inFlight.delete(controller);
    controller.signal.removeEventListener("abort", onAbort);
    stream.off("close", onClose);
  }
}

async function runHandler(
  stream: http2.ServerHttp2Stream,
  route: Route,
  limit: number,
  context: CallContext,
  response: GrpcResponse,
): Promise<void> {
  const requests = (async function* () {
    for await (const bytes of envelopes(stream as AsyncIterable<Uint8Array>, limit)) {
      yield decodeOne(route.input, "proto", bytes);
    }
  })();
  let argument: unknown = requests;
  if (!route.method.clientStreaming) {
    const first = await untilAborted(requests.next(), context.signal);
    if (first.done) throw new RpcError("invalid_argument", "The call sent no request");
    argument = first.value;
  }
  const result = route.handler(argument, context);
  if (!route.method.serverStreaming) {
    const value = await untilAborted(Promise.resolve(result), context.signal);
    await response.send(encodeOne(route.output, "proto", value, limit));
    return;
  }
  const items = result as AsyncIterable<unknown> | Iterable<unknown>;
  if (items === null || typeof items !== "object") {
    throw new TypeError(`Handler '${route.method.name}' must return an iterable of responses`);
  }
  // `break` runs the handler's `finally`, so a cancelled stream stops its handler.
  for await (const item of items) {
    if (response.finished) break;
    await response.send(encodeOne(route.output, "proto", item, limit));
    if (response.finished) break;
  }
}
