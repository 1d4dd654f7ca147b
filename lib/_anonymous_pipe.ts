// The OS-level end behind each public PipeReader/PipeWriter, for spawn() to
// hand to a child; kept out of the public classes so it is not API.
import type { AnonymousEnd } from "./_pipe_common.ts";

const ends = new WeakMap<object, AnonymousEnd>();

/** Links a public pipe end to its OS-level end. */
export function registerEnd(owner: object, end: AnonymousEnd): void {
  ends.set(owner, end);
}

/** The OS-level end of a public pipe end, or undefined for anything else. */
export function endOf(owner: unknown): AnonymousEnd | undefined {
  return typeof owner === "object" && owner !== null ? ends.get(owner) : undefined;
}

/** The environment variable that lists the handles (fds) a child inherited beyond its stdio. */
export const INHERITED_ENV = "IPCKIT_INHERITED";
