// What both sides of the copydata scenario share: the payload pattern, and
// the suite a sender runs against a receiver that records what it gets.
import { createHash } from "node:crypto";
import { CopyData, type CopyDataMessage, type CopyDataSender } from "../../mod.ts";
import { pattern } from "./_copydata_pattern.ts";

export { pattern };

export const SIZES = [0, 1, 1024 * 1024, 64 * 1024 * 1024];
export const TAGS = [2n ** 64n - 1n, 0n, 2n ** 63n, 12345n];
/** A tag whose handler never answers. */
export const HANG_TAG = 999n;
/** The tag that tells a receiver the suite is over. */
export const QUIT_TAG = 0xdeadn;
export const SENDERS = 4;
export const PER_SENDER = 250;
const BURST_BASE = 1n << 40n;

export const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Records what a receiver gets and answers: even tags true, odd false, HANG_TAG never. */
export function recordingReceiver() {
  const sizes: { size: number; sha: string }[] = [];
  const tags: string[] = [];
  const lastIndex = new Map<bigint, number>();
  let burst = 0;
  let burstInOrder = true;
  let burstIntact = true;
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  const handler = ({ tag, data }: CopyDataMessage): boolean | Promise<boolean> => {
    if (tag === QUIT_TAG) {
      quit();
      return true;
    }
    if (tag === HANG_TAG) return new Promise<boolean>(() => {});
    if (tag >= BURST_BASE && tag < 2n ** 63n) {
      const sender = (tag - BURST_BASE) >> 20n;
      const index = Number((tag - BURST_BASE) & 0xfffffn);
      if (index !== (lastIndex.get(sender) ?? -1) + 1) burstInOrder = false;
      lastIndex.set(sender, index);
      if (sha(data) !== sha(pattern(64, Number(sender) * 1000 + index))) burstIntact = false;
      burst++;
      return true;
    }
    if (tag === 1n << 20n) {
      sizes.push({ size: data.byteLength, sha: sha(data) });
      return true;
    }
    tags.push(String(tag));
    return tag % 2n === 0n;
  };
  const results = () => ({
    sizes,
    tags,
    burst,
    burst_in_order: burstInOrder && lastIndex.size === SENDERS,
    burst_intact: burstIntact,
  });
  return { handler, results, quitting };
}

/**
 * Runs the sender's half against a recording receiver; returns what to
 * report. The full suite (every size, the 4-sender burst) runs in one
 * direction; the other direction, `light`, sends 0 B and 1 MiB, the tags
 * and the hang, which keeps the test's time down.
 */
export async function runSenderSuite(name: string, sender: CopyDataSender, light = false) {
  const out: Record<string, unknown> = {};
  const sizeAnswers: boolean[] = [];
  for (const [i, size] of SIZES.entries()) {
    if (light && size !== 0 && size !== 1024 * 1024) continue;
    sizeAnswers.push(await sender.send(pattern(size, i), { tag: 1n << 20n, timeout: 60_000 }));
  }
  out.size_answers = sizeAnswers;
  const tagAnswers: boolean[] = [];
  for (const tag of TAGS) tagAnswers.push(await sender.send("t", { tag, timeout: 10_000 }));
  out.tag_answers = tagAnswers;
  // A receiver that never answers: TimeoutError within the sender's timeout.
  const started = performance.now();
  out.hang = await sender.send("x", { tag: HANG_TAG, timeout: 300 }).then(
    () => "answered",
    (error) => (error as Error).name,
  );
  out.hang_waited_at_least_timeout = performance.now() - started >= 290;
  if (light) return out;
  // 4 senders at once, each its own connection, 250 messages each.
  const senders = [sender];
  for (let s = 1; s < SENDERS; s++) senders.push(await CopyData.connect({ name, timeout: 5000 }));
  const answers = await Promise.all(senders.map((each, s) => {
    const sent: Promise<boolean>[] = [];
    for (let i = 0; i < PER_SENDER; i++) {
      const tag = BURST_BASE + (BigInt(s) << 20n) + BigInt(i);
      // Not awaited one by one: a sender keeps its own order anyway.
      sent.push(each.send(pattern(64, s * 1000 + i), { tag, timeout: 30_000 }));
    }
    return Promise.all(sent);
  }));
  out.burst_answers_true = answers.flat().filter((a) => a).length;
  for (const extra of senders.slice(1)) await extra.close();
  return out;
}
