"""Calls the `lab` service over the Connect protocol with only the standard
library (http.client, json, struct): unary JSON calls on TCP and on a Unix
socket, a typed error, an unknown method, and a server stream read from
Connect's envelopes. Prints key=<json> lines.

Usage: http_client.py HOST PORT SOCKET_PATH
"""
import http.client
import json
import socket
import struct
import sys

host, port, socket_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def post(conn, method, body, content_type="application/json"):
    conn.request("POST", "/lab.lab/" + method, body=body, headers={"Content-Type": content_type})
    response = conn.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()


def report(key, value):
    print(key + "=" + json.dumps(value), flush=True)


tcp = http.client.HTTPConnection(host, port)
status, _, body = post(tcp, "add", json.dumps({"n": "41"}))
report("py_json_tcp", [status, json.loads(body)])

unix = UnixConnection(socket_path)
status, _, body = post(unix, "add", json.dumps({"n": "9007199254740993"}))
report("py_json_unix", [status, json.loads(body)])

status, _, body = post(tcp, "fail", json.dumps({"code": "permission_denied", "message": "not yours"}))
report("py_error", [status, json.loads(body)])

status, _, body = post(tcp, "nope", json.dumps({}))
report("py_unknown_method", [status, json.loads(body)["code"]])

request = json.dumps({"n": "5"}).encode()
envelope = struct.pack(">BI", 0, len(request)) + request
status, content_type, body = post(tcp, "count", envelope, "application/connect+json")
items, end, at = [], None, 0
while at < len(body):
    flags, length = struct.unpack(">BI", body[at:at + 5])
    data = json.loads(body[at + 5:at + 5 + length])
    at += 5 + length
    if flags & 0x02:
        end = data
    else:
        items.append(data.get("n", "0"))
report("py_stream", [status, content_type, items, end])
