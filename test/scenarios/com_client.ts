// The COM client against objects that ship with Windows (and Wine): Scripting.Dictionary (every
// VARIANT type as items and keys, Keys()/Items() SAFEARRAYs, for…of, errors),
// Scripting.FileSystemObject (a folder and a text file, named arguments, enumerating files),
// VBScript.RegExp (named properties, Matches iterated), by-reference arguments and multi-dimensional
// arrays through a VBScript ScriptControl, and bad input. On Linux every entry point throws
// UnsupportedPlatformError.
import { ComObject, UnsupportedPlatformError } from "../../mod.ts";
import { attempt } from "./_com_values.ts";
import { platform } from "../../lib/ffi/mod.ts";
import { report } from "./_peers.ts";

if (platform !== "windows") {
  report("create", attempt(() => ComObject.create({ name: "Scripting.Dictionary" })));
  report("open", attempt(() => ComObject.open({ name: "Scripting.Dictionary" })));
  report("moniker", attempt(() => ComObject.open({ moniker: "new:Scripting.Dictionary" })));
  try {
    ComObject.create({ name: "Scripting.Dictionary" });
  } catch (error) {
    report("message", (error as Error).message);
    report("typed", error instanceof UnsupportedPlatformError);
  }
  report("done", true);
} else {
  await import("./_com_client_windows.ts");
}
