# A Python server that supports systemd socket activation and nothing of
# ipckit: takes fd 3 when LISTEN_PID is its pid and LISTEN_FDS says 1,
# answers `count` connections, then exits.
import os
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
    sys.exit(f"not socket-activated: LISTEN_PID={os.environ.get('LISTEN_PID')} LISTEN_FDS={os.environ.get('LISTEN_FDS')}")
names = os.environ.get("LISTEN_FDNAMES", "")
server = socket.socket(fileno=3)
print(f"python adopted {names} on port {server.getsockname()[1]}", flush=True)
for _ in range(count):
    conn, _ = server.accept()
    request = conn.recv(1024).decode()
    conn.sendall(f"python answers {request}".encode())
    conn.close()
print("python done", flush=True)
