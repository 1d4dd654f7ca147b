// stdio_pipeline.ipc, generator: prints the numbers 1..1000, one per line, to stdout.
import process from "node:process";

let text = "";
for (let i = 1; i <= 1000; i++) text += `${i}\n`;
process.stdout.write(text);
