"""The workload YAML format (documented in README.md, "Workload YAML").

```yaml
version: 1
name: mlp0
batch: 200                     # default batch; --batch overrides it
inputs:
  - {name: input, shape: [2000]}          # shape without the batch dimension
layers:
  - {name: fc0, op: fc, out_features: 2000}   # input: defaults to the previous layer
  - {name: relu0, op: relu}
```
Shapes are inferred layer by layer, so a layer gives only what its op needs.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..errors import Location, WorkloadError, did_you_mean
from ..yamlio import MarkedDict, MarkedList, load_yaml_file
from .graph import Workload, WorkloadBuilder
from .ops import ACTIVATIONS

# op name -> (required fields, optional fields with defaults)
OP_FIELDS: dict[str, tuple[tuple[str, ...], dict]] = {
    "conv2d": (("out_channels", "kernel"), {"stride": 1, "padding": 0, "groups": 1, "dilation": 1, "bias": False}),
    "fc": (("out_features",), {"bias": True}),
    "matmul": ((), {}),
    "maxpool": (("kernel",), {"stride": None, "padding": 0, "ceil_mode": False}),
    "avgpool": (("kernel",), {"stride": None, "padding": 0, "ceil_mode": False}),
    "global_avgpool": ((), {}),
    "batchnorm": ((), {}),
    "layernorm": ((), {}),
    "softmax": ((), {}),
    "flatten": ((), {}),
    "reshape": (("shape",), {}),
    "transpose": (("shape",), {}),
    "concat": ((), {"axis": -1}),
    "embedding": (("rows", "dim"), {}),
    "add": ((), {}),
    "mul": ((), {}),
    "sub": ((), {}),
    **{name: ((), {}) for name in ACTIVATIONS},
}
COMMON_FIELDS = ("name", "op", "input", "inputs")
#: how many inputs an op reads: (at least, at most); every other op reads exactly one
OP_ARITY: dict[str, tuple[int, int | None]] = {"matmul": (2, 2), "add": (2, None), "mul": (2, None),
                                               "sub": (2, None), "concat": (1, None)}


def _err(msg: str, where: Location | None, field: str) -> WorkloadError:
    return WorkloadError(msg, where, field)


def _int(value, where, field, minimum=1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(f"expected an integer, got {value!r}", where, field)
    if value < minimum:
        raise _err(f"expected an integer >= {minimum}, got {value}", where, field)
    if value > 10**9:
        raise _err(f"expected an integer <= 1e9, got {value}", where, field)
    return value


def _bool(value, where, field) -> bool:
    if not isinstance(value, bool):
        raise _err(f"expected true or false, got {value!r}", where, field)
    return value


def _name(value, where, field) -> str:
    """A layer or tensor name: a string (a plain integer is taken as its digits)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise _err(f"expected a name (a non-empty string), got {value!r}", where, field)
    return str(value)


def _sources(item: MarkedDict, previous: str, op: str, field: str) -> list[str]:
    """The names of the layers ``item`` reads (``input``, ``inputs`` or the previous layer), checked
    against what ``op`` takes."""
    if "input" in item and "inputs" in item:
        raise _err("give 'input' or 'inputs', not both", item.key_marks["inputs"], f"{field}.inputs")
    key = "inputs" if "inputs" in item else "input"
    where = item.marks.get(key, item.location)
    if key == "inputs":
        raw = item["inputs"]
        if not isinstance(raw, list):
            raise _err(f"expected a list of layer names, got {raw!r}", where, f"{field}.inputs")
        marks = getattr(raw, "marks", [])
        srcs = [_name(v, marks[i] if i < len(marks) else where, f"{field}.inputs[{i}]") for i, v in enumerate(raw)]
    else:
        srcs = [_name(item.get("input", previous), where, f"{field}.input")]
    low, high = OP_ARITY.get(op, (1, 1))
    if len(srcs) < low or (high is not None and len(srcs) > high):
        want = (f"exactly {low}" if low == high else f"at least {low}" if high is None else f"{low} to {high}")
        raise _err(f"op '{op}' reads {want} input{'s' if (high or low) > 1 else ''}, got {len(srcs)}"
                   + (f" ({', '.join(srcs)})" if srcs else ""), where, f"{field}.{key}")
    return srcs


def load_workload_yaml(path: str | Path, batch: int | None = None) -> Workload:
    """Parse a workload YAML file into a Workload, with errors naming file, line, column and field."""
    path = str(path)
    doc = load_yaml_file(path)
    if not isinstance(doc, MarkedDict):
        raise _err("expected a mapping with 'name', 'inputs' and 'layers'", Location(path, 1, 1), "<root>")
    known = {"version", "name", "description", "batch", "inputs", "layers", "source"}
    for key in doc:
        if key not in known:
            raise _err(f"unknown key{did_you_mean(key, known)}; expected one of {', '.join(sorted(known))}", doc.key_marks[key], key)
    for key in ("name", "inputs", "layers"):
        if key not in doc:
            raise _err(f"missing required key '{key}'", doc.location, key)
    if doc.get("version", 1) != 1:
        raise _err(f"unsupported version {doc['version']!r}; this accelsim reads version 1", doc.marks["version"], "version")
    default_batch = _int(doc.get("batch", 1), doc.marks.get("batch"), "batch")
    b = WorkloadBuilder(_name(doc["name"], doc.marks["name"], "name"), batch if batch is not None else default_batch, str(doc.get("description", "")),
                        str(doc.get("source", path)))
    inputs = doc["inputs"]
    if not isinstance(inputs, MarkedList) or not inputs:
        raise _err("expected a non-empty list of {name, shape}", doc.marks["inputs"], "inputs")
    for i, item in enumerate(inputs):
        where = inputs.marks[i]
        if not isinstance(item, MarkedDict) or "name" not in item or "shape" not in item:
            raise _err("expected {name: ..., shape: [...]}", where, f"inputs[{i}]")
        shape = item["shape"]
        if not isinstance(shape, list) or not shape:
            raise _err("expected a list of positive integers", item.marks["shape"], f"inputs[{i}].shape")
        dims = [_int(d, item.marks["shape"], f"inputs[{i}].shape") for d in shape]
        try:
            b.input(_name(item["name"], item.marks["name"], f"inputs[{i}].name"), (b.batch, *dims))
        except WorkloadError as exc:
            if exc.location is None:
                raise _err(exc.message, item.marks["name"], f"inputs[{i}].name") from None
            raise
    layers = doc["layers"]
    if not isinstance(layers, MarkedList) or not layers:
        raise _err("expected a non-empty list of layers", doc.marks["layers"], "layers")
    previous = str(inputs[-1]["name"])
    for i, item in enumerate(layers):
        where = layers.marks[i]
        field = f"layers[{i}]"
        if not isinstance(item, MarkedDict):
            raise _err("expected a mapping with 'name' and 'op'", where, field)
        for key in ("name", "op"):
            if key not in item:
                raise _err(f"missing required key '{key}'", where, field)
        op = str(item["op"])
        if op not in OP_FIELDS:
            raise _err(f"unknown op '{op}'{did_you_mean(op, OP_FIELDS)}; known: {', '.join(sorted(OP_FIELDS))}",
                       item.marks["op"], f"{field}.op")
        required, optional = OP_FIELDS[op]
        for key in item:
            if key not in COMMON_FIELDS and key not in required and key not in optional:
                allowed = set(COMMON_FIELDS) | set(required) | set(optional)
                raise _err(f"unknown key for op '{op}'{did_you_mean(key, allowed)}; allowed: {', '.join(sorted(allowed))}",
                           item.key_marks[key], f"{field}.{key}")
        for key in required:
            if key not in item:
                raise _err(f"op '{op}' needs '{key}'", where, field)
        srcs = _sources(item, previous, op, field)
        name = _name(item["name"], item.marks["name"], f"{field}.name")
        args = {**optional, **{k: item[k] for k in item if k not in COMMON_FIELDS}}
        try:
            previous = _add_layer(b, op, name, srcs, args, item, field)
        except WorkloadError as exc:
            if exc.location is None:
                raise _err(exc.message, where, exc.field or field) from None
            raise
    return b.build()


def _add_layer(b: WorkloadBuilder, op: str, name: str, srcs: list[str], a: dict, item: MarkedDict, field: str) -> str:
    def geti(key, minimum=1):
        return _int(a[key], item.marks.get(key, item.location), f"{field}.{key}", minimum)

    def getb(key):
        return _bool(a[key], item.marks.get(key, item.location), f"{field}.{key}")

    x = srcs[0]
    if op in ("conv2d", "maxpool", "avgpool", "global_avgpool") and len(b.shape(x)) != 4:
        raise WorkloadError(f"{op} needs an input of shape [height, width, channels] (plus the batch), got "
                            f"'{x}' of shape {list(b.shape(x)[1:])}", field=field)
    if op == "conv2d":
        padding = a["padding"]
        if padding != "same":
            padding = _int(padding, item.marks.get("padding"), f"{field}.padding", 0)
        return b.conv(name, x, geti("out_channels"), geti("kernel"), geti("stride"), padding, geti("groups"),
                      geti("dilation"), getb("bias"))
    if op == "fc":
        return b.fc(name, x, geti("out_features"), getb("bias"))
    if op in ("maxpool", "avgpool"):
        kernel = geti("kernel")
        stride = kernel if a["stride"] is None else geti("stride")
        return b.pool(name, x, kernel, stride, geti("padding", 0), "max" if op == "maxpool" else "avg", getb("ceil_mode"))
    if op == "global_avgpool":
        return b.global_pool(name, x)
    if op in ("batchnorm", "layernorm"):
        return b.norm(name, x, "batch" if op == "batchnorm" else "layer")
    if op == "softmax":
        return b.softmax(name, x)
    if op == "flatten":
        return b.flatten(name, x)
    if op in ("reshape", "transpose"):
        if not isinstance(a["shape"], list) or not a["shape"]:
            raise _err("expected a list of positive integers", item.marks.get("shape"), f"{field}.shape")
        shape = [_int(d, item.marks.get("shape"), f"{field}.shape") for d in a["shape"]]
        if math.prod(shape) != math.prod(b.shape(x)[1:]):
            raise _err(f"{op} to {shape} changes the element count: '{x}' has shape {list(b.shape(x)[1:])} "
                       f"({math.prod(b.shape(x)[1:])} elements per sample)", item.marks.get("shape"), f"{field}.shape")
        return b.reshape(name, x, (b.batch, *shape), op, copies=(op == "transpose"))
    if op == "concat":
        axis, rank = a["axis"], len(b.shape(x))
        if isinstance(axis, bool) or not isinstance(axis, int) or not (1 <= axis < rank or -rank < axis <= -1):
            raise _err(f"expected an axis from 1 to {rank - 1} or from -{rank - 1} to -1 of '{x}' (shape "
                       f"{list(b.shape(x)[1:])} plus the batch, which is axis 0), got {axis!r}",
                       item.marks.get("axis", item.location), f"{field}.axis")
        return b.concat(name, srcs, axis)
    if op == "embedding":
        return b.embedding(name, x, geti("rows"), geti("dim"))
    if op in ("add", "mul", "sub"):
        return b.eltwise(name, srcs, op)
    if op == "matmul":
        sa, sb = (b.shape(s) for s in srcs[:2])
        m, k = sa[-2], sa[-1]
        if sb[-2] != k:
            raise WorkloadError(f"matmul inner dimensions differ: {sa} x {sb}", field=field)
        count = 1
        for d in sa[:-2]:
            count *= d
        return b.matmul(name, srcs[0], srcs[1], m, k, sb[-1], count, tuple(sa[:-1]) + (sb[-1],))
    return b.act(name, x, op)
