// The payloads of the copydata scenario, shared with its vitest file (no imports).

/**
 * Deterministic bytes of message `seed`: a 4093-byte block (a prime, so no
 * power-of-two framing lines up with it) repeated. The vitest side builds
 * the same to check the hashes.
 */
export function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const block = Math.min(size, 4093);
  for (let i = 0; i < block; i++) bytes[i] = (i * 131 + seed * 7 + (i >>> 8)) & 0xff;
  for (let filled = block; filled < size; filled *= 2) {
    bytes.copyWithin(filled, 0, Math.min(filled, size - filled));
  }
  return bytes;
}
