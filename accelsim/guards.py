"""Up-front resource guards: refuse runs that would need absurd time or memory, with the reason.

The engine's cost is closed form in every GEMM dimension except the fold loop of the systolic
kernel (``cython/systolic.pyx``), which walks each stationary tile once: a tiny array under a huge
GEMM has ~10^12 folds and would run for hours. The lowering and the event loop cost about a
millisecond per layer. SCALE-Sim mode replays every SRAM demand word, so its cost grows with the
demand stream. Each limit here is a few seconds of work on one core, far above any real network.
"""
from __future__ import annotations

from pathlib import Path

from .engine.dataflow import spatial_temporal
from .errors import Location, ResourceLimitError

#: fold-loop iterations of the systolic kernel over a whole run (about 60 million per second)
MAX_FOLDS = 200_000_000
#: layers in one workload (lowering + event loop cost about 1 ms per layer)
MAX_LAYERS = 100_000
#: any GEMM dimension, batch or count (keeps the kernel's 64-bit integers far from overflow)
MAX_DIMENSION = 10**15
#: cycles of one GEMM task (the kernel counts in signed 64-bit integers, which end at 9.2e18)
MAX_TASK_CYCLES = 10**18
#: samples per batch on the command line (as api.simulate's ``batch``)
MAX_BATCH = 10**7
#: SCALE-Sim CALC mode: array cycles replayed over a topology (native kernel: 3-10 x 10^7 per second)
MAX_SCALESIM_CYCLES = 5 * 10**8
#: SCALE-Sim USER mode: array cycles (pure-Python buffer model: about 2 x 10^4 per second on 32x32)
MAX_SCALESIM_USER_CYCLES = 5 * 10**6
#: SCALE-Sim mode: bytes of the per-address tables the kernel allocates for one layer
MAX_SCALESIM_TABLE_BYTES = 2**30
#: layers in one SCALE-Sim topology after depthwise expansion (one per channel)
MAX_SCALESIM_LAYERS = 100_000


def check_layer_count(count: int, what: str = "workload") -> None:
    """Refuse a workload of more than :data:`MAX_LAYERS` layers (checked while it is built)."""
    if count > MAX_LAYERS:
        raise ResourceLimitError(
            f"{what} has more than {MAX_LAYERS:,} layers; accelsim simulates at most {MAX_LAYERS:,} "
            "(about 1 ms each); use a smaller setting or split the network", field="--workload")


def gemm_folds(m: int, k: int, n: int, dataflow: str, rows: int, cols: int, units: int = 1) -> int:
    """Fold-loop iterations of one (m x k) . (k x n) GEMM (its ``count`` is closed form)."""
    spatial_r, spatial_c, _ = spatial_temporal(dataflow, m, k, -(-n // units))
    return -(-spatial_r // rows) * -(-spatial_c // cols)


def program_folds(program, arch) -> int:
    """Fold-loop iterations of every matrix task of a lowered ``program`` on ``arch``."""
    mu = arch.matrix_unit
    if mu is None:
        return 0
    total = 0
    for task in program.tasks:
        if task.unit != "matrix" or task.gemm is None:
            continue
        g = task.gemm
        total += gemm_folds(g.m, g.k, g.n, mu.dataflow, mu.rows, mu.cols, mu.count)
    return total


def _task_cycles_bound(gemm, mu, dram_bytes_per_cycle: float) -> float:
    """An upper bound on the cycles the fold kernel counts for one GEMM task (all its groups)."""
    sr, sc, t = spatial_temporal(mu.dataflow, gemm.m, gemm.k, -(-gemm.n // mu.count))
    folds = -(-sr // mu.rows) * -(-sc // mu.cols)
    fetch_per_tile = 0.0
    if mu.dataflow == "ws" and gemm.fetch_bytes_per_element > 0 and dram_bytes_per_cycle > 0:
        fetch_per_tile = mu.rows * mu.cols * gemm.fetch_bytes_per_element * mu.count / dram_bytes_per_cycle
    per_fold = t / max(gemm.rate, 1e-9) + mu.shift_cycles + mu.rows + mu.cols + fetch_per_tile
    return float(gemm.count) * folds * per_fold


def _is_file(source: str | None) -> bool:
    try:
        return bool(source) and Path(source).is_file()
    except (OSError, ValueError):
        return False


def check_program(program, arch, source: str | None = None) -> None:
    """Refuse a lowered program whose GEMMs are out of range or whose fold loop is too long.

    ``source``: the workload's source, named in the message when it is a file."""
    where = Location(source) if _is_file(source) else None
    mu = arch.matrix_unit
    for task in program.tasks:
        g = task.gemm
        if g is None or task.unit != "matrix" or mu is None:
            continue
        if max(g.m, g.k, g.n, g.count) > MAX_DIMENSION:
            raise ResourceLimitError(
                f"layer '{task.name}' lowers to {g.count} GEMM(s) of ({g.m} x {g.k}) . ({g.k} x {g.n}); "
                f"dimensions above {MAX_DIMENSION:.0e} are refused", where, "--workload")
        cycles = _task_cycles_bound(g, mu, arch.fetch_bytes_per_cycle(g.fetch_level))
        if cycles > MAX_TASK_CYCLES:
            raise ResourceLimitError(
                f"layer '{task.name}' would take about {cycles:.3g} cycles on this arch; runs of more than "
                f"{MAX_TASK_CYCLES:.0e} cycles per layer are refused (check batch, layer sizes, clock_mhz "
                "and bandwidths)", where, "--workload")
    folds = program_folds(program, arch)
    if folds > MAX_FOLDS:
        worst = max((t for t in program.tasks if t.unit == "matrix" and t.gemm is not None),
                    key=lambda t: gemm_folds(t.gemm.m, t.gemm.k, t.gemm.n, mu.dataflow, mu.rows, mu.cols, mu.count))
        raise ResourceLimitError(
            f"the workload needs {folds:.3g} stationary-tile folds on a {mu.rows}x{mu.cols} {mu.dataflow} array "
            f"(largest: layer '{worst.name}'); at most {MAX_FOLDS:.0e} are simulated (a few seconds). "
            "Use a larger array, a smaller batch or smaller layers", where, "--workload")


def scalesim_cost(config, layer) -> tuple[int, int]:
    """(array cycles replayed, bytes of address tables) of one SCALE-Sim layer, as the kernel runs it:
    im2col row/column tables of 3 x 8 bytes per output pixel and per window element, and 2-byte
    epoch stamps per ifmap and filter word."""
    rows, cols = config.array_rows, config.array_cols
    m, k, n = layer.gemm_m, layer.gemm_k, layer.gemm_n
    spatial_r, spatial_c, temporal = spatial_temporal(config.dataflow, m, k, n)
    folds = -(-spatial_r // rows) * -(-spatial_c // cols)
    cycles = folds * (temporal + 2 * rows + cols)
    table_bytes = 24 * (m + k) + 2 * (layer.ifmap_h * layer.ifmap_w * layer.channels + k * n)
    return cycles, table_bytes


def check_scalesim_layer_count(count: int) -> None:
    """Refuse a SCALE-Sim topology of more than :data:`MAX_SCALESIM_LAYERS` layers (checked before a
    depthwise layer is expanded into one layer per channel)."""
    if count > MAX_SCALESIM_LAYERS:
        raise ResourceLimitError(
            f"the topology expands to {count:,} layers (a depthwise layer is one per channel); "
            f"at most {MAX_SCALESIM_LAYERS:,} are simulated", field="--topology")


def check_scalesim(config, layers, topology: str | None = None) -> None:
    """Refuse a SCALE-Sim run whose demand streams or address tables would be absurdly large.

    ``topology``: the topology file, named in the message when given."""
    where = Location(topology) if topology else None
    if len(layers) > MAX_SCALESIM_LAYERS:
        check_scalesim_layer_count(len(layers))
    cycles = 0
    for layer in layers:
        layer_cycles, table_bytes = scalesim_cost(config, layer)
        if table_bytes > MAX_SCALESIM_TABLE_BYTES:
            raise ResourceLimitError(
                f"layer '{layer.name}' needs {table_bytes / 2**30:.3g} GiB of address tables; SCALE-Sim mode "
                f"replays every address and allocates at most {MAX_SCALESIM_TABLE_BYTES / 2**30:g} GiB per layer",
                where, "--topology")
        cycles += layer_cycles
    user = config.bandwidth_mode == "USER"
    limit = MAX_SCALESIM_USER_CYCLES if user else MAX_SCALESIM_CYCLES
    if cycles > limit:
        raise ResourceLimitError(
            f"the topology needs about {cycles:.3g} array cycles on a {config.array_rows}x{config.array_cols} "
            f"array; SCALE-Sim {'USER' if user else 'CALC'} mode replays every cycle and handles at most "
            f"{limit:.0e} (minutes of work)", where, "--topology")


#: elements of a 1-D tensor that ONNX data propagation may expand (it builds one shape entry of
#: ~75 bytes per element: a 10^9-element vector would need 75 GB)
MAX_ONNX_DATA_PROP_ELEMENTS = 100_000


def onnx_data_prop_is_safe(onnx, model) -> bool:
    """Whether ONNX shape inference may run with data propagation on ``model``: no rank-1 tensor
    (graph input, initializer or inferred value) longer than :data:`MAX_ONNX_DATA_PROP_ELEMENTS`."""
    try:
        plain = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=False)
    except Exception:  # noqa: BLE001 - the real inference call reports the problem
        plain = model
    graph = plain.graph
    for value in [*graph.input, *graph.value_info, *graph.output]:
        dims = value.type.tensor_type.shape.dim if value.type.HasField("tensor_type") else []
        if len(dims) == 1 and dims[0].dim_value > MAX_ONNX_DATA_PROP_ELEMENTS:
            return False
    return not any(len(t.dims) == 1 and t.dims[0] > MAX_ONNX_DATA_PROP_ELEMENTS for t in graph.initializer)


def onnx_names_are_text(model) -> bool:
    """Whether every name in an ONNX graph decoded as text (a corrupt file can leave ``bytes``)."""
    graph = model.graph
    names = [graph.name, model.producer_name]
    for node in graph.node:
        names += [node.name, node.op_type, node.domain, *node.input, *node.output]
        names += [attribute.name for attribute in node.attribute]
    for value in [*graph.input, *graph.output, *graph.value_info, *graph.initializer]:
        names.append(value.name)
    return all(isinstance(name, str) for name in names)


def onnx_small_tensors_are_readable(model, max_elements: int) -> bool:
    """Whether every inline initializer and Constant of at most ``max_elements`` elements (those the
    importer evaluates) decodes: a corrupt file can declare more elements than it stores."""
    from onnx import helper, numpy_helper

    tensors = [t for t in model.graph.initializer if t.data_location != 1]
    for node in model.graph.node:
        if node.op_type == "Constant":
            tensors += [helper.get_attribute_value(a) for a in node.attribute if a.name == "value"]
    try:
        for tensor in tensors:
            size = 1
            for dim in tensor.dims:
                size *= dim
            if size <= max_elements:
                numpy_helper.to_array(tensor)
    except Exception:  # noqa: BLE001 - any decoding failure means a corrupt tensor
        return False
    return True
