#!/usr/bin/python3
"""Checks every .onnx file in a folder with ONNX's own checker, full_check=True (which also infers every shape).

The models are the ones TypedNets' ONNX export tests write when TYPEDNETS_ONNX_DIR is set:

    TYPEDNETS_ONNX_DIR=/tmp/onnx-models dotnet test tests/TypedNets.Tests -c Release --filter "FullyQualifiedName~TypedNets.Tests.Onnx"
    /usr/bin/python3 reference/onnx/check_models.py /tmp/onnx-models

Needs Debian's python3-onnx (1.12, which knows opset 17 and IR version 8): apt-get install -y python3-onnx.
Exits 1 when a model fails or the folder holds none.
"""

import pathlib
import sys

import onnx


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: check_models.py FOLDER", file=sys.stderr)
        return 2
    folder = pathlib.Path(sys.argv[1])
    models = sorted(folder.glob("*.onnx"))
    if not models:
        print(f"no .onnx files in {folder}", file=sys.stderr)
        return 1
    failures = 0
    for path in models:
        try:
            model = onnx.load(str(path))
            onnx.checker.check_model(model, full_check=True)
            opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
            print(f"ok    {path.name} (IR {model.ir_version}, opset {opset}, {len(model.graph.node)} nodes, "
                  f"{len(model.graph.initializer)} initializers)")
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the count decides the exit code
            failures += 1
            print(f"FAIL  {path.name}: {error}")
    print(f"{len(models) - failures} of {len(models)} models pass onnx.checker.check_model(full_check=True), onnx {onnx.__version__}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
