/**
 * The Connect protocol over HTTP/1.1 (https://connectrpc.com/docs/protocol),
 * for clients outside a topology: `curl`, any HTTP client, Connect and gRPC
 * libraries. Unary methods take a `POST` with `application/json` or
 * `application/proto`; streaming methods use `application/connect+json` or
 * `application/connect+proto` with Connect's envelopes. Served with
 * `node:http`, which Bun and Deno both implement, on TCP or a Unix socket.
 *
 * @module
 */
import type http from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import { TimeoutError } from "../errors.ts";
import { type RpcCode, RpcError } from "./errors.ts";
import { type CompiledSchema, type MessageCodec, protoName, type RpcMethod } from "./schema.ts";
import type { AnyHandler, CallContext } from "./session.ts";

/** The HTTP status of each code, from the Connect protocol's table. */
const HTTP_STATUS: Record<RpcCode, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

const FLAG_COMPRESSED = 0x01;
const FLAG_END_STREAM = 0x02;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The error a caller sees for anything a handler throws: an {@link RpcError}
 * as it is, a `TimeoutError` as `deadline_exceeded`, anything else as
 * `unknown` with its message.
 *
 * @param error What was thrown.
 * @returns The error to send.
 * @example Wrapping a plain error
 * ```ts
 * import { toRpcError } from "./connect.ts";
 * console.log(toRpcError(new Error("boom")).code); // "unknown"
 * ```
 */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  // A handler whose own call timed out passes the timeout on as what it is.
  if (error instanceof TimeoutError) {
    return new RpcError("deadline_exceeded", error.message, { cause: error });
  }
  return new RpcError("unknown", error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

/** What a route knows: the method, its handler and its codecs. */
export interface Route {
  method: RpcMethod;
  handler: AnyHandler;
  input: MessageCodec;
  output: MessageCodec;
}

type Encoding = "json" | "proto";

/**
 * The routes of one service's methods by {@link procedurePath}, shared by the
 * Connect and gRPC listeners.
 *
 * @param schema The compiled schema.
 * @param service The service's name.
 * @param handlers Its handlers by method name.
 * @returns Each route by HTTP path.
 * @example Looking up a route
 * ```ts
 * import { routesOf } from "./connect.ts";
 * import type { CompiledSchema } from "./schema.ts";
 * declare const schema: CompiledSchema;
 * const add = routesOf(schema, "calc", new Map()).get("/calc.calc/add"); // undefined: no handler
 * ```
 */
export function routesOf(
  schema: CompiledSchema,
  service: string,
  handlers: Map<string, { method: RpcMethod; handler: AnyHandler }>,
): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const { method, handler } of handlers.values()) {
    routes.set(procedurePath(schema.schema.package, service, method.name), {
      method,
      handler,
      input: schema.codec(method.input),
      output: schema.codec(method.output),
    });
  }
  return routes;
}

/**
 * The `/<package>.<service>/<method>` path of each method, as Connect and
 * gRPC clients call it.
 *
 * @param packageName The schema's package.
 * @param service The service's `.ipc` name.
 * @param method The method's name.
 * @returns The HTTP path.
 * @example
 * ```ts
 * import { procedurePath } from "./connect.ts";
 * console.log(procedurePath("calc", "calc", "add")); // "/calc.calc/add"
 * ```
 */
export function procedurePath(packageName: string, service: string, method: string): string {
  return `/${protoName(packageName)}.${protoName(service)}/${protoName(method)}`;
}

/**
 * Builds the request listener that serves one service's methods.
 *
 * @param schema The compiled schema.
 * @param service The service's name.
 * @param handlers Its handlers by method name.
 * @param maxMessageSize The largest message accepted or sent, in bytes.
 * @returns A listener for `http.createServer`, and a way to cancel calls in flight.
 * @example
 * ```ts
 * import http from "node:http";
 * import { connectListener } from "./connect.ts";
 * import type { CompiledSchema } from "./schema.ts";
 * declare const schema: CompiledSchema;
 * const { listener } = connectListener(schema, "calc", new Map(), 4 << 20);
 * http.createServer(listener).listen(8080);
 * ```
 */
export function connectListener(
  schema: CompiledSchema,
  service: string,
  handlers: Map<string, { method: RpcMethod; handler: AnyHandler }>,
  maxMessageSize: number,
): { listener: http.RequestListener; cancelAll(reason: RpcError): void } {
  const routes = routesOf(schema, service, handlers);
  const inFlight = new Set<AbortController>();
  const listener: http.RequestListener = (req, res) => {
    void serveRequest(req, res, routes, maxMessageSize, inFlight);
  };
  return {
    listener,
    cancelAll(reason) {
      for (const controller of inFlight) controller.abort(reason);
    },
  };
}

async function serveRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  routes: Map<string, Route>,
  maxMessageSize: number,
  inFlight: Set<AbortController>,
): Promise<void> {
  const contentType = String(req.headers["content-type"] ?? "").split(";")[0]!.trim();
  const streaming = contentType.startsWith("application/connect+");
  const encoding: Encoding = contentType.endsWith("proto") ? "proto" : "json";
  const route = routes.get((req.url ?? "").split("?")[0]!);
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST" }).end();
    return;
  }
  if (!route) {
    sendUnaryError(
      res,
      new RpcError("unimplemented", `Cannot call '${req.url}': no such method`),
    );
    return;
  }
  const isStreamingMethod = route.method.clientStreaming || route.method.serverStreaming;
  const known = streaming
    ? contentType === "application/connect+json" || contentType === "application/connect+proto"
    : contentType === "application/json" || contentType === "application/proto";
  if (!known || streaming !== isStreamingMethod) {
    res.writeHead(415, { "content-type": "application/json" }).end(JSON.stringify({
      code: "invalid_argument",
      message: `Cannot accept content type '${contentType}' for '${req.url}': use ${
        isStreamingMethod
          ? "application/connect+json or application/connect+proto"
          : "application/json or application/proto"
      }`,
    }));
    return;
  }
  const controller = new AbortController();
  inFlight.add(controller);
  const timeout = Number(req.headers["connect-timeout-ms"]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let deadline: number | null = null;
  if (Number.isFinite(timeout) && timeout >= 0) {
    deadline = Date.now() + timeout;
    timer = setTimeout(
      () =>
        controller.abort(
          new RpcError("deadline_exceeded", `Call passed its deadline of ${timeout} ms`),
        ),
      timeout,
    );
  }
  const onClose = () => {
    if (!res.writableFinished) {
      controller.abort(new RpcError("canceled", "The client went away"));
    }
  };
  res.on("close", onClose);
  const context: CallContext = {
    method: route.method.name,
    signal: controller.signal,
    deadline,
  };
  try {
    if (streaming) await serveStreaming(req, res, route, encoding, maxMessageSize, context);
    else await serveUnary(req, res, route, encoding, maxMessageSize, context);
  } finally {
    clearTimeout(timer);
    inFlight.delete(controller);
    res.off("close", onClose);
  }
}

/**
 * Decodes one request; a malformed one is `invalid_argument`.
 *
 * @param codec The request's codec.
 * @param encoding `proto` (binary) or `json`.
 * @param bytes The message.
 * @returns The plain request.
 * @example Decoding a binary request
 * ```ts
 * import { decodeOne } from "./connect.ts";
 * import type { MessageCodec } from "./schema.ts";
 * declare const codec: MessageCodec;
 * const request = decodeOne(codec, "proto", new Uint8Array([8, 1]));
 * ```
 */
export function decodeOne(codec: MessageCodec, encoding: Encoding, bytes: Uint8Array): unknown {
  try {
    if (encoding === "proto") return codec.decode(bytes);
    return codec.fromJson(JSON.parse(decoder.decode(bytes)) as JsonValue);
  } catch (cause) {
    throw new RpcError(
      "invalid_argument",
      `Cannot decode the request as '${codec.name}': ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

/**
 * Encodes one response; one past the limit is `resource_exhausted`.
 *
 * @param codec The response's codec.
 * @param encoding `proto` (binary) or `json`.
 * @param value The plain response.
 * @param limit The largest message sent, in bytes.
 * @returns The message.
 * @example Encoding a binary response
 * ```ts
 * import { encodeOne } from "./connect.ts";
 * import type { MessageCodec } from "./schema.ts";
 * declare const codec: MessageCodec;
 * const bytes = encodeOne(codec, "proto", { sum: 3 }, 4 << 20);
 * ```
 */
export function encodeOne(
  codec: MessageCodec,
  encoding: Encoding,
  value: unknown,
  limit: number,
): Uint8Array {
  const bytes = encoding === "proto"
    ? codec.encode(value)
    : encoder.encode(JSON.stringify(codec.toJson(value)));
  if (bytes.byteLength > limit) {
    throw new RpcError(
      "resource_exhausted",
      `Cannot send a ${bytes.byteLength}-byte response: the limit is ${limit} bytes`,
    );
  }
  return bytes;
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) {
      throw new RpcError(
        "resource_exhausted",
        `Cannot accept a request of more than ${limit} bytes`,
      );
    }
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/**
 * Races a handler's work against its call's abort.
 *
 * @param work The handler's result.
 * @param signal The call's signal.
 * @returns The result, or a rejection with the signal's reason.
 * @example Giving up on a slow handler
 * ```ts
 * import { untilAborted } from "./connect.ts";
 * await untilAborted(new Promise(() => {}), AbortSignal.timeout(10)).catch(() => "gave up");
 * ```
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function sendUnaryError(res: http.ServerResponse, error: RpcError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(HTTP_STATUS[error.code], { "content-type": "application/json" }).end(
    JSON.stringify({ code: error.code, message: error.message }),
  );
}

async function serveUnary(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: Route,
  encoding: Encoding,
  limit: number,
  context: CallContext,
): Promise<void> {
  try {
    const request = decodeOne(route.input, encoding, await readBody(req, limit));
    const response = await untilAborted(
      Promise.resolve().then(() => route.handler(request, context)),
      context.signal,
    );
    const bytes = encodeOne(route.output, encoding, response, limit);
    res.writeHead(200, { "content-type": `application/${encoding}` }).end(bytes);
  } catch (error) {
    sendUnaryError(res, toRpcError(error));
  }
}

/**
 * Reads length-prefixed messages, the envelopes of Connect streams and of
 * gRPC: `[flags u8][length u32 big-endian][data]`. Flag 0x01 (compressed) is
 * refused, since ipckit offers no compression; in Connect, flag 0x02 marks
 * the end-of-stream envelope, which ends the messages.
 *
 * @param body The request body.
 * @param limit The largest message accepted, in bytes.
 * @returns The messages' data.
 * @example Reading gRPC requests
 * ```ts
 * import { envelopes } from "./connect.ts";
 * declare const body: AsyncIterable<Uint8Array>;
 * for await (const message of envelopes(body, 4 << 20)) console.log(message.byteLength);
 * ```
 */
export async function* envelopes(
  body: AsyncIterable<Uint8Array>,
  limit: number,
): AsyncGenerator<Uint8Array> {
  let buffered = new Uint8Array(0);
  for await (const chunk of body) {
    const joined = new Uint8Array(buffered.byteLength + chunk.byteLength);
    joined.set(buffered);
    joined.set(chunk, buffered.byteLength);
    buffered = joined;
    for (;;) {
      if (buffered.byteLength < 5) break;
      const length = new DataView(buffered.buffer, buffered.byteOffset).getUint32(1, false);
      if (length > limit) {
        throw new RpcError(
          "resource_exhausted",
          `Cannot accept a ${length}-byte message: the limit is ${limit} bytes`,
        );
      }
      if (buffered.byteLength < 5 + length) break;
      const flags = buffered[0]!;
      if (flags & FLAG_COMPRESSED) {
        throw new RpcError(
          "unimplemented",
          "Cannot read a compressed message: ipckit accepts uncompressed (identity) messages only",
        );
      }
      const data = buffered.slice(5, 5 + length);
      buffered = buffered.subarray(5 + length);
      if (flags & FLAG_END_STREAM) return;
      yield data;
    }
  }
  if (buffered.byteLength > 0) {
    throw new RpcError("invalid_argument", "Cannot read a truncated message envelope");
  }
}

/**
 * Wraps a message in an envelope (see {@link envelopes}).
 *
 * @param flags 0 for a message; 0x02 for Connect's end of stream.
 * @param data The message.
 * @returns The envelope's bytes.
 * @example An uncompressed message
 * ```ts
 * import { envelope } from "./connect.ts";
 * console.log(envelope(0, new Uint8Array([8, 1]))); // [0, 0, 0, 0, 2, 8, 1]
 * ```
 */
export function envelope(flags: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + data.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.byteLength, false);
  out.set(data, 5);
  return out;
}

function write(res: http.ServerResponse, bytes: Uint8Array): Promise<void> {
  if (res.write(bytes)) return Promise.resolve();
  return new Promise((resolve) => res.once("drain", resolve));
}

async function serveStreaming(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: Route,
  encoding: Encoding,
  limit: number,
  context: CallContext,
): Promise<void> {
  res.writeHead(200, { "content-type": `application/connect+${encoding}` });
  let end: JsonValue = {};
  try {
    const requests = (async function* () {
      for await (const bytes of envelopes(req as AsyncIterable<Uint8Array>, limit)) {
        yield decodeOne(route.input, encoding, bytes);
      }
    })();
    let argument: unknown = requests;
    if (!route.method.clientStreaming) {
      const first = await requests.next();
      if (first.done) throw new RpcError("invalid_argument", "The call sent no request");
      argument = first.value;
    }
    const result = route.handler(argument, context);
    if (route.method.serverStreaming) {
      for await (const item of result as AsyncIterable<unknown>) {
        if (context.signal.aborted) throw context.signal.reason;
        await write(res, envelope(0, encodeOne(route.output, encoding, item, limit)));
      }
    } else {
      const value = await untilAborted(Promise.resolve(result), context.signal);
      await write(res, envelope(0, encodeOne(route.output, encoding, value, limit)));
    }
  } catch (error) {
    const e = toRpcError(error);
    end = { error: { code: e.code, message: e.message } };
  }
  res.end(envelope(FLAG_END_STREAM, encoder.encode(JSON.stringify(end))));
}
