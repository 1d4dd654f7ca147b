// The other process of the pipe scenarios: `pipe_peer.ts <role> <name> [args]`.
import { NamedPipe } from "../../mod.ts";
import { message, MessageHash, prng, report, streamChunk, StreamHash } from "./pipe_data.ts";

const [role, name, ...args] = process.argv.slice(2) as [string, string, ...string[]];

switch (role) {
  case "send-messages": {
    // count messages of 0..maxSize bytes, seeded; several writes in flight at once.
    const [count, maxSize, seed] = args.map(Number) as [number, number, number];
    const conn = await NamedPipe.connect({ name, timeout: 10_000 });
    const next = prng(seed);
    const hash = new MessageHash();
    let inFlight: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const bytes = message(i, next() % (maxSize + 1), next());
      hash.add(bytes);
      inFlight.push(conn.write(bytes));
      if (inFlight.length >= 8) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    await conn.close();
    report("sent_count", hash.count);
    report("sent_hash", hash.digest());
    break;
  }
  case "send-stream": {
    const [total, chunk] = args.map(Number) as [number, number];
    const conn = await NamedPipe.connect({ name, timeout: 10_000 });
    const hash = new StreamHash();
    let inFlight: Promise<void>[] = [];
    for (let position = 0; position < total; position += chunk) {
      const bytes = streamChunk(position, Math.min(chunk, total - position));
      hash.add(bytes);
      inFlight.push(conn.write(bytes));
      if (inFlight.length >= 4) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    await conn.close();
    report("sent_bytes", hash.bytes);
    report("sent_hash", hash.digest());
    break;
  }
  case "write-close": {
    // Writes without waiting and closes at once, then exits: nothing may be lost.
    const [count, size] = args.map(Number) as [number, number];
    const conn = await NamedPipe.connect({ name, timeout: 10_000 });
    const hash = new MessageHash();
    for (let i = 0; i < count; i++) {
      const bytes = message(i, size, i * 7919);
      hash.add(bytes);
      void conn.write(bytes);
    }
    await conn.close();
    report("sent_hash", hash.digest());
    break;
  }
  case "read-all": {
    // Reads until the end and hashes what arrived (message boundaries included).
    const conn = await NamedPipe.connect({ name, timeout: 10_000 });
    const hash = new MessageHash();
    const stream = new StreamHash();
    for await (const bytes of conn) {
      hash.add(bytes);
      stream.add(bytes);
    }
    await conn.close();
    report("received_count", hash.count);
    report("received_bytes", stream.bytes);
    report("received_hash", conn.mode === "message" ? hash.digest() : stream.digest());
    break;
  }
  case "clients": {
    // n concurrent connections, each with its own conversation of `rounds` requests.
    const [n, rounds, raceRounds = 0] = args.map(Number) as [number, number, number?];
    let correct = 0;
    await Promise.all(Array.from({ length: n }, async (_, id) => {
      const conn = await NamedPipe.connect({ name, timeout: 30_000 });
      let ok = true;
      for (let r = 0; r < rounds; r++) {
        const request = `client ${id} round ${r}`;
        await conn.write(request);
        const reply = new TextDecoder().decode((await conn.read())!);
        ok &&= reply === `echo ${request}`;
      }
      await conn.close();
      if (ok) correct++;
    }));
    report("clients_correct", correct);
    if (raceRounds > 0) {
      // Round trips one after the other: each reply lands in a different phase of the wait.
      const conn = await NamedPipe.connect({ name, timeout: 30_000 });
      let raceCorrect = 0;
      for (let r = 0; r < raceRounds; r++) {
        await conn.write(`race ${r}`);
        if (new TextDecoder().decode((await conn.read())!) === `echo race ${r}`) raceCorrect++;
      }
      await conn.close();
      report("race_correct", raceCorrect);
    }
    break;
  }
  case "squat": {
    // Another program holds the name: a node:net server on the pipe's OS path for `ms` ms.
    const [ms] = args.map(Number) as [number];
    const net = await import("node:net");
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(NamedPipe.path(name), resolve));
    report("squatting", true);
    await new Promise((resolve) => setTimeout(resolve, ms));
    await new Promise((resolve) => server.close(resolve));
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
