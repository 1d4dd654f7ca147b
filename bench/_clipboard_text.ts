// The text bench/clipboard.ts writes and its peer checks.

/** The 1 KiB text of round `i` (ASCII and non-ASCII, distinct per round). */
export function benchText(i: number): string {
  const head = `round ${i} tëst-✓-𝄞 `;
  return head + "x".repeat(1024 - new TextEncoder().encode(head).length);
}
