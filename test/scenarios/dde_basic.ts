// DDE across runtimes. A server of the other runtime (dde_server.ts) serves
// one service; this process is its client: request, poke and execute round
// trips, text in CF_TEXT and CF_UNICODETEXT, 1 MiB of a registered format
// through request and poke, a hot loop of 500 consecutive updates, a warm
// loop, three clients at once (two more processes, one of each runtime),
// DdeConnectList, bad input, idle CPU with a loop open, and finally the
// server killed with SIGKILL while loops and a request are open.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DdeClient, DdeDisconnectedError, DdeRefusedError, DdeServer } from "../../lib/dde.ts";
import { TimeoutError } from "../../lib/errors.ts";
import { fnv1a, report, startPeer } from "./_peers.ts";
import { pattern } from "./_copydata_pattern.ts";
import { BLOB_FORMAT, BLOB_SIZE, HOT_UPDATES, TICKS, WARM_NOTICES } from "./_dde_data.ts";

const service = `ipckit-dde-${process.pid}-${Date.now() % 100000}`;
const here = (script: string) => fileURLToPath(new URL(script, import.meta.url));
const errorName = (promise: Promise<unknown>) =>
  promise.then(() => "none", (error) => (error as Error).name);
const thrownName = (run: () => unknown) => {
  try {
    run();
    return "none";
  } catch (error) {
    return (error as Error).name;
  }
};

const server = startPeer(here("./dde_server.ts"), [service], true);
await server.line("server_ready");
try {
  const client = await DdeClient.connect({ service, topic: "data", timeout: 20_000 });

  // Round trips.
  await client.poke("greeting", "héllo ✓");
  report("round_trips", {
    request: await client.request("greeting"),
    ansi: await client.request("greeting", { format: "CF_TEXT" }),
    unicode: await client.request("unicode"),
    execute: await errorName(client.execute("[post 0]")),
  });

  // 1 MiB both ways, byte for byte.
  const blob = await client.request("blob", { format: BLOB_FORMAT }) as Uint8Array;
  const sent = pattern(BLOB_SIZE, 2);
  await client.poke("echo", sent, { format: BLOB_FORMAT });
  const back = await client.request("echo", { format: BLOB_FORMAT }) as Uint8Array;
  report("binary", {
    requested: blob.length === BLOB_SIZE && fnv1a(blob) === fnv1a(pattern(BLOB_SIZE, 1)),
    server_got: (await client.request("echo-fnv")) === `${BLOB_SIZE}:${fnv1a(sent)}`,
    echoed: back.length === BLOB_SIZE && fnv1a(back) === fnv1a(sent),
  });

  // A hot loop: every update, in order.
  {
    const start = Number(await client.request("counter"));
    const loop = client.advise("counter", { mode: "hot" });
    await loop.started;
    await client.execute(`[post ${HOT_UPDATES}]`);
    const seen: number[] = [];
    for await (const update of loop) {
      seen.push(Number(update.data));
      if (seen.length === HOT_UPDATES) break;
    }
    report("hot", {
      updates: seen.length,
      in_order: seen.every((value, i) => value === start + i + 1),
      active_after_break: loop.active,
    });
  }

  // A handler that awaits its own posts answers once they are out (on Windows its callback is held
  // meanwhile: the posts must run inside it, not wait for it).
  {
    const start = Number(await client.request("counter"));
    const loop = client.advise("counter", { mode: "hot" });
    await loop.started;
    const executed = errorName(client.execute("[postwait 3]", { timeout: 5000 }));
    const seen: number[] = [];
    for await (const update of loop) {
      seen.push(Number(update.data));
      if (seen.length === 3) break;
    }
    report("handler_awaits_post", {
      execute: await executed,
      updates: seen.every((value, i) => value === start + i + 1) ? seen.length : -1,
    });
  }

  // A warm loop: notices without data, each followed by a request.
  {
    const loop = client.advise("warm", { mode: "warm" });
    await loop.started;
    await client.execute(`[warm ${WARM_NOTICES}]`);
    let notices = 0;
    let dataless = true;
    const values: number[] = [];
    for await (const update of loop) {
      dataless &&= update.data === null;
      values.push(Number(await client.request(update.item)));
      if (++notices === WARM_NOTICES) break;
    }
    report("warm", {
      notices,
      dataless,
      requests_rise: values.every((value, i) => i === 0 || value >= values[i - 1]!),
      last_is_latest: values.at(-1) === Number(await client.request("counter")),
    });
  }

  // Three clients on one server: this one and two more processes (one of each runtime).
  {
    const clients = [
      startPeer(here("./dde_client.ts"), [service, String(TICKS)], false),
      startPeer(here("./dde_client.ts"), [service, String(TICKS)], true),
    ];
    const start = Number(await client.request("tick"));
    const loop = client.advise("tick");
    await loop.started;
    await Promise.all(clients.map((peer) => peer.line("client_ready")));
    await client.execute(`[tick ${TICKS}]`);
    const seen: number[] = [];
    for await (const { data } of loop) {
      seen.push(Number(data));
      if (seen.length === TICKS) break;
    }
    const others = await Promise.all(clients.map((peer) => peer.done));
    report("three_clients", {
      here: seen.every((value, i) => value === start + i + 1) ? seen.length : -1,
      others: others.map(({ code, results }) =>
        code === 0 && results.client_in_order === true ? results.client_updates : -1
      ),
      server_saw_conversations: Number(await client.request("conversations")) >= 3,
    });
  }

  // DdeConnectList.
  const listed = await DdeClient.list({ service });
  report(
    "list",
    listed.map(({ service: s, topic }) => `${s === service}:${topic}`).sort(),
  );
  report(
    "list_topic_filter",
    (await DdeClient.list({ topic: "other" })).some((e) => e.service === service),
  );

  // A handler that waits for another client's poke holds up neither that client nor the server
  // (on Windows its callback answers CBR_BLOCK and is asked again once the handler answered).
  {
    const poker = startPeer(here("./dde_client.ts"), [service, "poke", "open-gate"], false);
    await poker.line("client_ready");
    const answer = client.request("gate", { timeout: 15_000 }).catch((error) => error.name);
    const poked = await poker.done;
    report("handler_waits_for_other_client", {
      answer: await answer,
      poked: poked.code === 0 && poked.results.poked === true,
    });
  }

  // Bad input.
  const closed = await DdeClient.connect({ service, topic: "data" });
  await closed.close();
  // A transaction the server never answers holds up its conversation (as a blocked DDEML callback does).
  await using hung = await DdeClient.connect({ service, topic: "data" });
  report("bad", {
    unknown_service: await errorName(
      DdeClient.connect({ service: `${service}-nobody`, topic: "data", timeout: 0 }),
    ),
    unknown_topic: await errorName(DdeClient.connect({ service, topic: "nope", timeout: 0 })),
    empty_topic: await errorName(DdeClient.connect({ service, topic: "" })),
    empty_item: await errorName(client.request("")),
    closed_request: await errorName(closed.request("counter")),
    closed_advise: thrownName(() => closed.advise("counter")),
    close_idempotent: (await closed.close()) === undefined,
    refused_request: await client.request("secret").then(
      () => "none",
      (error) =>
        error instanceof DdeRefusedError && !error.busy && error.transaction === "request"
          ? error.name
          : String(error),
    ),
    refused_poke: await errorName(client.poke("readonly", "x")),
    refused_execute: await errorName(client.execute("[nonsense]")),
    refused_advise: await errorName(client.advise("noadvise").started),
    refused_format: await errorName(client.request("counter", { format: "image/x-none" })),
    bad_format: await errorName(client.request("counter", { format: 7 as unknown as string })),
    nul_text: await errorName(client.poke("x", "a\0b")),
    negative_timeout: await errorName(client.request("counter", { timeout: -1 })),
    aborted: await errorName(client.request("counter", { signal: AbortSignal.abort() })),
    timed_out: await errorName(hung.request("hang", { timeout: 50 })),
    still_usable: await client.request("greeting"),
    name_taken: await errorName(DdeServer.serve({ service, topics: { data: {} } })),
    no_topics: await errorName(DdeServer.serve({ service: `${service}-x`, topics: {} })),
  });

  // Idle: a conversation with an open loop costs nothing while nothing changes.
  const idleLoop = client.advise("counter");
  await idleLoop.started;
  {
    // Settle first: the runtime's own after-work (compiling, collecting) is not the loop's.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = process.cpuUsage();
    const wall = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const used = process.cpuUsage(before);
    report(
      "idle_cpu_percent",
      Math.round(((used.user + used.system) / 1000 / (performance.now() - wall)) * 1000) / 10,
    );
  }

  // The server is killed: open loops and requests end with DdeDisconnectedError, each
  // loop within its own 2 s deadline (a TimeoutError would mean the death went unnoticed).
  {
    const deadline = new AbortController();
    const hot = client.advise("tick", { signal: deadline.signal });
    const warm = client.advise("warm", { mode: "warm", signal: deadline.signal });
    await Promise.all([hot.started, warm.started]);
    const hanging = errorName(client.request("hang"));
    server.child.kill("SIGKILL");
    setTimeout(() => deadline.abort(new TimeoutError("the loop saw no end within 2 s")), 2000);
    const end = async (loop: AsyncIterable<unknown>) => {
      try {
        for await (const _ of loop) { /* no updates are posted */ }
        return "done";
      } catch (error) {
        return error instanceof DdeDisconnectedError ? error.name : `${(error as Error).name}`;
      }
    };
    report("killed", {
      hot: await end(hot),
      warm: await end(warm),
      idle_loop: await end(idleLoop),
      pending_request: await hanging,
      later_request: await errorName(client.request("counter")),
      reconnect: await errorName(DdeClient.connect({ service, topic: "data", timeout: 0 })),
      listed: (await DdeClient.list({ service })).length,
    });
    deadline.abort();
    // The dead server's name is free again (Linux: its stale socket is reclaimed).
    const again = await DdeServer.serve({ service, topics: { data: {} } });
    await again.close();
    report("serve_after_kill", true);
  }
  await client.close();
  report("server_exit", (await server.done).code);
} catch (error) {
  // Say what failed and what the server said before it went.
  report("error", String((error as Error)?.stack ?? error));
  server.child.kill("SIGKILL");
  report("server_stderr", (await server.done).stderr);
  process.exit(1);
}
report("done", true);
