// Waits until the supervisor stops it.
import { attach } from "../../../mod.ts";

await using topology = await attach();
await topology.stopped();
