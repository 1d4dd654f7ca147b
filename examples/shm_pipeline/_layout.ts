// The shared buffer's layout, shared by producer and consumer: FRAMES frames,
// then a 64-byte header whose first u32 counts the frames written so far.
export const FRAMES = 8;
export const HEADER_BYTES = 64;

/** Frame size and header offset for a buffer of `size` bytes. */
export function layout(size: number): { frameSize: number; headerOffset: number } {
  const frameSize = Math.floor((size - HEADER_BYTES) / FRAMES);
  return { frameSize, headerOffset: frameSize * FRAMES };
}

/** A checksum both sides compute the same way (FNV-1a over a stride of the frame). */
export function checksum(frame: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < frame.length; i += 61) hash = Math.imul(hash ^ frame[i]!, 0x01000193) >>> 0;
  return hash;
}
