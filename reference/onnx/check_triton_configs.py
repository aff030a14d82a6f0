#!/usr/bin/python3
"""Reads every config.pbtxt of a Triton model repository with Triton's own schema and checks it against its model.

The repositories are the ones TypedNets' Triton tests write when TYPEDNETS_TRITON_DIR is set:

    TYPEDNETS_TRITON_DIR=/tmp/triton-models dotnet test tests/TypedNets.Tests -c Release --filter "FullyQualifiedName~TritonTests"
    /usr/bin/python3 reference/onnx/check_triton_configs.py reference/triton/model_config.proto /tmp/triton-models

reference/triton/model_config.proto is Triton's schema of config.pbtxt (BSD-3-Clause, its licence at its head), kept as
github.com/triton-inference-server/common has it in protobuf/model_config.proto. Needs protoc (Debian's protobuf-compiler), python3-protobuf
and python3-onnx. For each model: protobuf's text_format parses the config strictly (an unknown field or enum value
fails), the platform is onnxruntime_onnx with dynamic batching, 1/model.onnx passes onnx.checker (full_check), and the
config's inputs and outputs are the graph's, in order, by name, data type and dims (the graph's shape without its
first, dynamic, batch dimension). Exits 1 when a model fails or the repository holds none.
"""

import importlib
import pathlib
import subprocess
import sys
import tempfile

import onnx
from google.protobuf import text_format

TRITON_TYPES = {onnx.TensorProto.FLOAT: "TYPE_FP32", onnx.TensorProto.INT64: "TYPE_INT64"}


def check(config_path, schema):
    try:
        config = text_format.Parse(config_path.read_text(), schema.ModelConfig())
    except text_format.ParseError as error:
        return [f"not a ModelConfig: {error}"]
    model = onnx.load(str(config_path.parent / "1" / "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    problems = []
    if config.name != config_path.parent.name:
        problems.append(f"name {config.name!r} is not the directory's {config_path.parent.name!r}")
    if config.platform != "onnxruntime_onnx":
        problems.append(f"platform {config.platform!r}")
    if config.max_batch_size < 1 or not config.HasField("dynamic_batching"):
        problems.append("no batching")
    for kind, declared, graph in (("input", config.input, model.graph.input), ("output", config.output, model.graph.output)):
        if len(declared) != len(graph):
            problems.append(f"{len(declared)} {kind}s in the config, {len(graph)} in the graph")
            continue
        for entry, value in zip(declared, graph):
            tensor = value.type.tensor_type
            dims = [dim.dim_value for dim in tensor.shape.dim[1:]]
            found = (entry.name, schema.DataType.Name(entry.data_type), list(entry.dims))
            expected = (value.name, TRITON_TYPES.get(tensor.elem_type), dims)
            if found != expected or tensor.shape.dim[0].dim_param == "":
                problems.append(f"{kind} {found} against the graph's {expected}")
    return problems


def main():
    if len(sys.argv) != 3:
        print("usage: check_triton_configs.py MODEL_CONFIG_PROTO REPOSITORY", file=sys.stderr)
        return 2
    proto = pathlib.Path(sys.argv[1]).resolve()
    configs = sorted(pathlib.Path(sys.argv[2]).glob("*/config.pbtxt"))
    if not configs:
        print(f"no */config.pbtxt in {sys.argv[2]}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as generated:
        subprocess.run(["protoc", f"--proto_path={proto.parent}", f"--python_out={generated}", str(proto)], check=True)
        sys.path.insert(0, generated)
        schema = importlib.import_module(proto.stem + "_pb2")
        failures = 0
        for path in configs:
            problems = check(path, schema)
            print(("FAIL " if problems else "ok   ") + str(path) + "".join("\n     " + problem for problem in problems))
            failures += bool(problems)
    print(f"{len(configs) - failures} of {len(configs)} configs match their models")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
