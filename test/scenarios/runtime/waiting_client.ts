// Waits until the supervisor stops it.
import { attach } from "../../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
await topology.stopped();
