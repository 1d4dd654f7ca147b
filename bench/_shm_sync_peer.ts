// Peer process of bench/shm_sync.ts. Roles:
//   pingpong <ping> <pong> <rounds>   wait on <ping>, set <pong>, rounds times
//   ipc                               echo every node:child_process IPC message back
import process from "node:process";
import { Event } from "../mod.ts";

const [role, ping = "", pong = "", rounds = "0"] = process.argv.slice(2);
if (role === "pingpong") {
  using pingEvent = Event.open({ name: ping });
  using pongEvent = Event.open({ name: pong });
  pongEvent.set(); // ready
  for (let i = 0; i < Number(rounds); i++) {
    await pingEvent.wait();
    pongEvent.set();
  }
} else if (role === "ipc") {
  process.on("message", (message) => {
    if (message === "done") process.exit(0);
    process.send!(message);
  });
}
