"""Calls `lab.add` with application/proto, encoding with Debian's
python3-protobuf: the message class is built from a descriptor at run time
(what protoc would generate from `ipckit gen proto`). Prints key=<json> lines.

Usage: proto_client.py HOST PORT
"""
import http.client
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool

try:
    from google.protobuf.message_factory import GetMessageClass
except ImportError:  # protobuf < 4.21.8
    from google.protobuf import message_factory

    def GetMessageClass(descriptor):
        return message_factory.MessageFactory().GetPrototype(descriptor)

host, port = sys.argv[1], int(sys.argv[2])

file = descriptor_pb2.FileDescriptorProto(name="lab.proto", package="lab", syntax="proto3")
count = file.message_type.add(name="Count")
count.field.add(name="n", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
                label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
pool = descriptor_pool.DescriptorPool()
pool.Add(file)
Count = GetMessageClass(pool.FindMessageTypeByName("lab.Count"))

conn = http.client.HTTPConnection(host, port)
request = Count(n=-(2 ** 63) + 1)
conn.request("POST", "/lab.lab/add", body=request.SerializeToString(),
             headers={"Content-Type": "application/proto"})
response = conn.getresponse()
reply = Count()
reply.ParseFromString(response.read())
print("py_proto=" + json.dumps([response.status, response.getheader("Content-Type"), str(reply.n)]))
