"""rpc_calc.ipc, pyclient (Python, Linux): calls `calc` with gRPC, using
Debian's python3-grpcio and python3-protobuf. The server's address is in
IPCKIT_EP_CALC_GRPC (the environment contract, docs/env-contract.md).

The message classes are built from a descriptor here, to need nothing but the
two Debian packages; with protoc you would generate them (and typed stubs)
from `ipckit gen proto examples/rpc_calc.ipc` instead.
"""
import os

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool

try:
    from google.protobuf.message_factory import GetMessageClass
except ImportError:  # protobuf < 4.21.8
    from google.protobuf import message_factory

    def GetMessageClass(descriptor):
        return message_factory.MessageFactory().GetPrototype(descriptor)

F = descriptor_pb2.FieldDescriptorProto
file = descriptor_pb2.FileDescriptorProto(name="rpc_calc.proto", package="rpc_calc",
                                          syntax="proto3")
op = file.enum_type.add(name="Op")
for number, name in enumerate(["OP_ADD", "OP_SUB", "OP_MUL", "OP_DIV"]):
    op.value.add(name=name, number=number)
for name, fields in [
    ("Task", [("op", F.TYPE_ENUM, ".rpc_calc.Op"), ("a", F.TYPE_DOUBLE, None),
              ("b", F.TYPE_DOUBLE, None)]),
    ("Answer", [("value", F.TYPE_DOUBLE, None)]),
    ("Range", [("from", F.TYPE_INT64, None), ("to", F.TYPE_INT64, None)]),
    ("Total", [("sum", F.TYPE_INT64, None), ("count", F.TYPE_UINT32, None)]),
]:
    message = file.message_type.add(name=name)
    for number, (field, kind, type_name) in enumerate(fields, 1):
        message.field.add(name=field, number=number, type=kind, label=F.LABEL_OPTIONAL,
                          **({"type_name": type_name} if type_name else {}))
pool = descriptor_pool.DescriptorPool()
pool.Add(file)
Task, Answer, Range, Total = (GetMessageClass(pool.FindMessageTypeByName("rpc_calc." + n))
                              for n in ("Task", "Answer", "Range", "Total"))
OP_MUL, OP_DIV = 2, 3


def method(channel, shape, name, request, response):
    return getattr(channel, shape)("/rpc_calc.calc/" + name,
                                   request_serializer=request.SerializeToString,
                                   response_deserializer=response.FromString)


with grpc.insecure_channel(os.environ["IPCKIT_EP_CALC_GRPC"]) as channel:
    compute = method(channel, "unary_unary", "compute", Task, Answer)
    print(f"6 * 7 = {compute(Task(op=OP_MUL, a=6, b=7), timeout=10).value:g}", flush=True)
    try:
        compute(Task(op=OP_DIV, a=1, b=0), timeout=10)
    except grpc.RpcError as error:
        print(f"1 / 0: {error.code().name}: {error.details()}", flush=True)
    numbers = method(channel, "unary_stream", "numbers", Range, Total)
    last = None
    for last in numbers(Range(**{"from": 1, "to": 100}), timeout=10):
        pass
    print(f"running total of 1..100: {last.sum} after {last.count}", flush=True)
    total = method(channel, "stream_unary", "sum", Range, Total)
    ranges = [Range(**{"from": 1, "to": 10}), Range(**{"from": 11, "to": 20})]
    result = total(iter(ranges), timeout=10)
    print(f"sum of 1..20 in two ranges: {result.sum} ({result.count} numbers)", flush=True)
