"""Calls the `lab` service's gRPC endpoint with Debian's python3-grpcio, a
stock gRPC client, and python3-protobuf message classes built from a
descriptor at run time (what protoc would generate from `ipckit gen proto`):
every method shape, a typed error, an unknown method, a deadline, and a
cancelled server stream whose handler a later call observes. Prints
key=<json> lines. grpcio is a Linux-only dependency here (the Windows cells
have no Python).

Usage: grpc_client.py HOST:PORT SOCKET_PATH
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool

try:
    from google.protobuf.message_factory import GetMessageClass
except ImportError:  # protobuf < 4.21.8
    from google.protobuf import message_factory

    def GetMessageClass(descriptor):
        return message_factory.MessageFactory().GetPrototype(descriptor)

target, socket_path = sys.argv[1], sys.argv[2]
F = descriptor_pb2.FieldDescriptorProto

file = descriptor_pb2.FileDescriptorProto(name="lab.proto", package="lab", syntax="proto3")
for name, fields in [
    ("Count", [("n", F.TYPE_INT64)]),
    ("Key", [("key", F.TYPE_STRING)]),
    ("Failure", [("code", F.TYPE_STRING), ("message", F.TYPE_STRING)]),
    ("Observed", [("cancelled", F.TYPE_BOOL), ("finally_ran", F.TYPE_BOOL),
                  ("reason", F.TYPE_STRING)]),
]:
    message = file.message_type.add(name=name)
    for number, (field, kind) in enumerate(fields, 1):
        message.field.add(name=field, number=number, type=kind, label=F.LABEL_OPTIONAL)
pool = descriptor_pool.DescriptorPool()
pool.Add(file)
Count, Key, Failure, Observed = (
    GetMessageClass(pool.FindMessageTypeByName("lab." + n))
    for n in ("Count", "Key", "Failure", "Observed"))


def report(key, value):
    print(key + "=" + json.dumps(value), flush=True)


def method(channel, shape, name, request, response):
    return getattr(channel, shape)(
        "/lab.lab/" + name,
        request_serializer=request.SerializeToString,
        response_deserializer=response.FromString,
    )


def status_of(error):
    return [error.code().name, error.details()]


with grpc.insecure_channel(target) as channel:
    add = method(channel, "unary_unary", "add", Count, Count)
    report("grpc_unary", str(add(Count(n=41), timeout=10).n))
    count = method(channel, "unary_stream", "count", Count, Count)
    report("grpc_server_stream", [str(c.n) for c in count(Count(n=5), timeout=10)])
    total = method(channel, "stream_unary", "sum", Count, Count)
    report("grpc_client_stream", str(total(iter([Count(n=n) for n in range(1, 5)]), timeout=10).n))
    double = method(channel, "stream_stream", "double", Count, Count)
    report("grpc_bidi", [str(c.n) for c in double(iter([Count(n=n) for n in range(1, 5)]),
                                                  timeout=10)])
    try:
        method(channel, "unary_unary", "fail", Failure, Count)(
            Failure(code="not_found", message="no such job: é 100%"), timeout=10)
    except grpc.RpcError as error:
        report("grpc_error", status_of(error))
    try:
        method(channel, "unary_unary", "nope", Count, Count)(Count(), timeout=10)
    except grpc.RpcError as error:
        report("grpc_unknown_method", error.code().name)
    hold = method(channel, "unary_unary", "hold", Key, Key)
    try:
        hold(Key(key="grpc-deadline"), timeout=0.2)
    except grpc.RpcError as error:
        report("grpc_deadline", error.code().name)
    observed = method(channel, "unary_unary", "observed", Key, Observed)
    seen = observed(Key(key="grpc-deadline"), timeout=10)
    report("grpc_deadline_observed", [seen.cancelled, seen.reason])
    ticks = method(channel, "unary_stream", "ticks", Key, Count)(Key(key="grpc-cancel"))
    first = [str(next(ticks).n) for _ in range(3)]
    ticks.cancel()
    seen = observed(Key(key="grpc-cancel"), timeout=10)
    report("grpc_cancel", [first, seen.cancelled, seen.finally_ran, seen.reason])
    report("grpc_after_errors", str(add(Count(n=1), timeout=10).n))

with grpc.insecure_channel("unix:" + socket_path) as channel:
    add = method(channel, "unary_unary", "add", Count, Count)
    report("grpc_unix", str(add(Count(n=2 ** 53 + 1), timeout=10).n))
