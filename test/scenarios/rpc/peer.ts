// The other process of the RPC scenarios:
//   peer.ts serve NAME   serves `lab` (and both `profiles` versions) until a
//                        client calls release("__exit"); prints ready=true
//   peer.ts client NAME  runs the client suite (without the load cases, which the
//                        scenario's own client runs) against NAME and prints its results
import process from "node:process";
import { report } from "../_peers.ts";
import { runSuite, serveProfiles } from "./lab_client.ts";
import { serveLab } from "./lab_server.ts";

const [role, name] = process.argv.slice(2) as [string, string];

if (role === "serve") {
  let exit = () => {};
  const exited = new Promise<void>((resolve) => (exit = resolve));
  const server = serveLab(name, exit);
  const profiles = serveProfiles(name);
  report("ready", true);
  await exited;
  await profiles.close();
  await server.close();
  report("served", true);
} else {
  const results = await runSuite(name, false);
  for (const [key, value] of Object.entries(results)) {
    report(key, value);
  }
}
