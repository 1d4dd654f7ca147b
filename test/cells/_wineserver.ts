// Global setup of the scenario files: when this run covers a Windows cell, this checkout's
// wineserver (of IPCKIT_WINE_SHARD) runs from the first scenario to the last, so no scenario
// pays Wine's cold start or gets Wine's system processes' output in its stderr
// (startWineserver in tools/cells.mjs).
import process from "node:process";
import { startWineserver, stopWineserver, windowsCellProblem } from "../../tools/cells.mjs";

/** The cells of this run (IPCKIT_CELLS, as test/cells/_driver.ts reads it). */
const selected = process.env.IPCKIT_CELLS?.split(",").map((c) => c.trim()).filter(Boolean);
const used = (!selected || selected.some((cell) => cell.startsWith("windows"))) &&
  windowsCellProblem() === null;

/** Starts the wineserver before the first file. */
export async function setup(): Promise<void> {
  if (used) await startWineserver();
}

/** Stops it after the last file (and every Windows process still on it). */
export function teardown(): void {
  if (used) stopWineserver();
}
