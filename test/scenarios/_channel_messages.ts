// The messages channel scenarios send: a sequence number in the first 4
// bytes (when the message has room), then bytes that depend on the number,
// the position and a salt, so a torn or stale message fails the check.

/** A length from 0 to `max` that depends only on `seq`. */
export function lengthOf(seq: number, max: number): number {
  const h = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return h % (max + 1);
}

const byteAt = (seq: number, i: number, salt: number) => (Math.imul(seq, 31) + i * 7 + salt) & 255;

/** Fills `bytes` (its first `length`) as message `seq`. */
export function fillMessage(bytes: Uint8Array, seq: number, length: number, salt = 0): void {
  const head = Math.min(4, length);
  for (let i = 0; i < head; i++) bytes[i] = (seq >>> (8 * i)) & 255;
  for (let i = 4; i < length; i++) bytes[i] = byteAt(seq, i, salt);
}

/** The sequence number of a message of at least 4 bytes. */
export function readSeq(bytes: Uint8Array): number {
  return (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
}

/** Whether `bytes` is exactly message `seq` of `length` bytes. */
export function checkMessage(bytes: Uint8Array, seq: number, length: number, salt = 0): boolean {
  if (bytes.length !== length) return false;
  if (length >= 4 && readSeq(bytes) !== seq >>> 0) return false;
  for (let i = 4; i < length; i++) if (bytes[i] !== byteAt(seq, i, salt)) return false;
  return true;
}

/** The delay of round `i` of the wake race: 0 to 3 ms across the rounds. */
export const raceDelayUs = (i: number, rounds: number): number => Math.round((3000 * i) / rounds);

/** Busy-waits `us` microseconds (keeps the CPU, like a peer computing its answer). */
export function spinFor(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) { /* computing */ }
}
