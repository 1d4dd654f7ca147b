// Ignores every stop request (it never attaches and traps SIGTERM/SIGINT).
import process from "node:process";

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => console.log(`ignoring ${signal}`));
}
console.log("stubborn up");
setInterval(() => {}, 1000);
