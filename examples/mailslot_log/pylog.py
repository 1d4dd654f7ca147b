"""mailslot_log.ipc, pylog (Python, Linux): joins through the environment
contract alone. On Linux an ipckit mailslot is a datagram Unix socket whose
path is in IPCKIT_EP_LOG (see docs/env-contract.md)."""
import json
import os
import socket

path = os.environ["IPCKIT_EP_LOG"]
contract = json.loads(os.environ["IPCKIT_TOPOLOGY"])
limit = contract["endpoints"]["log"]["options"]["max_message"]

with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
    for i in range(1, 4):
        message = f"pylog line {i}".encode()
        assert len(message) <= limit, "message larger than the mailslot's maximum"
        sock.sendto(message, path)
    sock.sendto(b"pylog bye", path)
