/**
 * "Did you mean" suggestions by edit distance.
 *
 * @module
 */

/**
 * Levenshtein distance, capped: returns `cap + 1` as soon as it is exceeded, so
 * comparing against thousands of candidates stays cheap.
 */
function distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  // Optimal string alignment: Levenshtein plus adjacent transpositions ("cuont").
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (before[j - 2] ?? 0) + 1);
      }
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return cap + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length] ?? cap + 1;
}

/**
 * Picks the candidate closest to a misspelled word, if any is close enough.
 *
 * @param word The word as written.
 * @param candidates The words that would have been valid.
 * @returns The best candidate, or `undefined` when none is plausible.
 * @example Suggesting a process name
 * ```ts
 * import { suggest } from "./_suggest.ts";
 * suggest("wroker", ["worker", "logger"]); // "worker"
 * ```
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const cap = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDist = cap + 1;
  for (const c of candidates) {
    if (c === word) continue;
    if (c.toLowerCase() === lower) return c;
    const d = distance(lower, c.toLowerCase(), cap);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}
