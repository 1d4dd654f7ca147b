/**
 * The server side shared by the Linux CopyData receiver and DDE service: a
 * message-mode Unix socket (SOCK_SEQPACKET) that only this user may connect
 * to, and the loop that hands each accepted connection on.
 *
 * @module
 */
import { NameTakenError } from "../errors.ts";
import type { Endpoint, ServerEndpoint } from "../_pipe_common.ts";
import { servePipe } from "./pipe.ts";

/**
 * Serves message-mode connections at `path` for this user only.
 *
 * @param name The name the user gave (for error messages).
 * @param path The socket's path.
 * @param taken The error to throw when another process serves `path` already.
 * @returns The listening endpoint.
 * @throws The error `taken` makes (a {@link NameTakenError}) when the name is in use.
 * @example Serving
 * ```ts
 * import { NameTakenError } from "../errors.ts";
 * import { acceptEach, serveLocal } from "./_local_server.ts";
 * const server = serveLocal("jobs", "/tmp/jobs.example", (cause) =>
 *   new NameTakenError("Cannot serve 'jobs': taken", "jobs", "example", "example", { cause }));
 * let closed = false;
 * const accepting = acceptEach(server, () => closed, (connection) => void connection.close());
 * closed = true;
 * await server.close();
 * await accepting;
 * ```
 */
export function serveLocal(
  name: string,
  path: string,
  taken: (cause: NameTakenError) => NameTakenError,
): ServerEndpoint {
  try {
    return servePipe(name, path, {
      mode: "message",
      instances: Infinity,
      security: "user",
      rejectRemoteClients: true,
      bufferSize: 0,
    });
  } catch (error) {
    if (error instanceof NameTakenError) throw taken(error);
    throw error;
  }
}

/**
 * Accepts connections until `closed()` says so, handing each to `serve`.
 *
 * @param server The listening endpoint.
 * @param closed Whether the owner has begun to close (an accept that fails then ends the loop).
 * @param serve Takes over one connection; not awaited.
 * @returns Settles when the loop ends; rejects with an accept error that came before the close.
 * @example Accepting
 * ```ts
 * import { acceptEach } from "./_local_server.ts";
 * // const accepting = acceptEach(server, () => closed, (connection) => void talk(connection));
 * ```
 */
export async function acceptEach(
  server: ServerEndpoint,
  closed: () => boolean,
  serve: (connection: Endpoint) => void,
): Promise<void> {
  while (!closed()) {
    let connection: Endpoint;
    try {
      connection = await server.accept();
    } catch (error) {
      if (closed()) return;
      throw error;
    }
    serve(connection);
  }
}
