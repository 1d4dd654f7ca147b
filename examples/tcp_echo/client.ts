// tcp_echo.ipc, client: sends three lines to the echo server and checks the replies.
import { connect } from "node:net";
import { attach } from "../../lib/runtime/attach.ts"; // ipckit/attach

await using topology = await attach();
const { host, port } = topology.socketAddress("echo");
const lines = ["alpha", "bravo", "charlie"];
const socket = connect(port, host);
let received = "";
socket.setEncoding("utf8");
socket.on("data", (data: string) => {
  received += data;
  if (received.split("\n").length > lines.length) socket.end();
});
await new Promise<void>((resolve) => socket.on("connect", resolve));
socket.write(lines.map((line) => `${line}\n`).join(""));
await new Promise((resolve) => socket.on("close", resolve));
const echoed = received.split("\n").filter((line) => line !== "");
const matched = lines.filter((line, i) => echoed[i] === line).length;
console.log(`${matched}/${lines.length} echoes matched`);
