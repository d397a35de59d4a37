"""The sparsity stage: rewrite a lowered Program so that the unchanged engine times and prices it.

``apply_sparsity(program, arch, config)`` returns a Program of the same shape. Each matrix task's
``gemm`` becomes a :class:`SparseGemmWork` (a GemmWork subclass, so the engine reads it as usual):

- ``rate`` (MACs per PE per cycle) is divided by the effect's ``cycle_factor``: the streamed
  dimension runs faster by the skipped fraction, stretched by imbalance; fold overheads stay;
- ``fetch_bytes_per_element`` (weights streamed from DRAM) becomes compressed bytes (data +
  metadata) per dense element, so DRAM traffic and weight-fetch stalls shrink or grow with the
  format;
- ``Task.macs`` becomes the MACs that spend energy (gated and skipped ones do not), so the compute
  and register-file energy follow; ``Task.dense_equivalent_macs`` keeps the dense count (the
  report credits it, as it does for Winograd);
- ``Task.weight_bytes`` becomes the compressed weight size.

Activation transfers to and from DRAM become :class:`CompressedTransfer` records (a Transfer
subclass) holding compressed bytes when the arch stores activations compressed. The activation
placement made by the lowering is kept (it was decided on dense sizes: conservative).

The engine needs no change to get cycles and DRAM bytes right. For buffer (SRAM) energy it must
call :func:`adjust_activity` on each task's activity (one line in report/build.py), because
``engine/activity.py`` counts buffer bytes from dense GEMM shapes.

Weights are seen as the layer's (outputs x inputs) matrix for the formats, as papers draw them:
``csc`` compresses each input's column (EIE). With lanes that own private weight slices
(``broadcast_operand: activations``) each lane stores its own slice of ceil(outputs / lanes) rows
with its own pointers.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..engine.activity import TaskActivity
from ..errors import AccelsimError
from ..lower.work import GemmWork, Program, Task, Transfer
from ..precision import get_precision
from ..spec.arch import ArchSpec
from .config import SparsityConfig
from .effect import SparseGemmEffect, sparse_gemm_effect, structured_fits
from .formats import compressed_bytes
from .spec import SparsityHardwareSpec, TensorFormatSpec

#: ops whose output keeps the zeros of their input (for the density of what a layer reads)
_TRANSPARENT_OPS = ("pool", "data_movement", "flatten", "reshape", "transpose", "concat")
_RELU_FUNCS = ("relu", "relu6")


@dataclass(frozen=True)
class SparseGemmWork(GemmWork):
    """A GemmWork after the sparsity stage; the base fields are what the engine runs."""

    dense_rate: float = 1.0
    dense_fetch_bytes_per_element: float = 0.0
    weight_density: float = 1.0
    activation_density: float = 1.0
    output_density: float = 1.0
    effect: SparseGemmEffect | None = None
    dense_weight_bytes: int = 0  # one GEMM's k x n weights at the operand precision
    weight_data_bytes: int = 0  # the same weights stored in the weight format: kept values
    weight_metadata_bytes: int = 0  # ... and their indices, pointers, fillers, codebook
    #: buffer-read multipliers for engine/activity.py's dense counts
    weight_read_factor: float = 1.0
    weight_write_factor: float = 1.0
    activation_read_factor: float = 1.0
    output_write_factor: float = 1.0

    @property
    def weight_storage_ratio(self) -> float:
        """(data + metadata) / dense bytes of the weights."""
        if not self.dense_weight_bytes:
            return 1.0
        return (self.weight_data_bytes + self.weight_metadata_bytes) / self.dense_weight_bytes


@dataclass(frozen=True)
class CompressedTransfer(Transfer):
    """A Transfer of a compressed activation tensor: ``nbytes`` = data + metadata."""

    dense_nbytes: int = 0
    data_nbytes: int = 0
    metadata_nbytes: int = 0
    density: float = 1.0


def _hw(arch: ArchSpec) -> SparsityHardwareSpec | None:
    return arch.sparsity


def _tensor_bytes(elements: int, density: float, fmt: TensorFormatSpec, value_bits: int,
                  shape: tuple[int, ...], nm: tuple[int, int]) -> tuple[int, int]:
    if fmt.format == "nm" and density > nm[0] / nm[1]:
        # a tensor too dense for the pattern stays dense (the unit cannot compress it)
        return compressed_bytes(elements, density, "dense", value_bits, shape)
    return compressed_bytes(elements, density, fmt, value_bits, shape, nm)


def weight_storage(k: int, n: int, density: float, hw: SparsityHardwareSpec | None, value_bits: int,
                   nm: tuple[int, int] = (2, 4)) -> tuple[int, int, int]:
    """(dense_bytes, data_bytes, metadata_bytes) of one GEMM's k x n weights in ``hw``'s format."""
    dense = math.ceil(k * n * value_bits / 8)
    if hw is None or hw.weight_format.format == "dense" and not hw.weight_format.value_bits \
            and not hw.weight_format.codebook_entries:
        return dense, dense, 0
    fmt = hw.weight_format
    parts = 1
    if hw.broadcast_operand == "activations" and hw.lanes and fmt.format in ("csr", "csc", "coo", "rle", "bitmask"):
        parts = min(hw.lanes, n)
    rows = math.ceil(n / parts)
    # the last part may be smaller; cost every part at the larger size (an upper bound within 1 row)
    data, meta = _tensor_bytes(rows * k, density, fmt, value_bits, (rows, k), nm)
    return dense, data * parts, meta * parts


def activation_storage(elements: int, density: float, hw: SparsityHardwareSpec | None,
                       value_bits: int) -> tuple[int, int]:
    """(data_bytes, metadata_bytes) of an activation tensor of ``elements`` in ``hw``'s format."""
    fmt = hw.activation_format if hw is not None else TensorFormatSpec()
    return _tensor_bytes(elements, density, fmt, value_bits, (elements,), (2, 4))


class _Densities:
    """Which density each task's input and output activations have (walks the task graph)."""

    def __init__(self, tasks: tuple[Task, ...], config: SparsityConfig, workload=None):
        self.by_name = {t.name: t for t in tasks}
        self.config = config
        self.layer_ops = workload.by_name() if workload is not None else {}

    def _transparent(self, task: Task) -> bool:
        if task.unit == "none":
            return True
        if task.unit != "vector":
            return False
        if all(part in _TRANSPARENT_OPS for part in task.op.split("+")):
            return True
        # local response normalisation keeps zeros (x / (k + sum x^2)^b); other norms do not
        ops = [self.layer_ops[name].op for name in task.layers if name in self.layer_ops]
        return bool(ops) and all(getattr(op, "func", None) == "lrn" or op.kind in _TRANSPARENT_OPS for op in ops)

    def output_density(self, task: Task) -> float:
        """Density of ``task``'s output activations."""
        if task.is_graph_input:
            return 1.0
        if self._transparent(task) and task.deps:
            return self.output_density(self.by_name[task.deps[0]])
        chain = [p for p in task.op.split("+") if p not in _TRANSPARENT_OPS]
        if chain and chain[-1] in _RELU_FUNCS:
            return self.config.relu_density
        return self.config.activation_density

    def input_density(self, task: Task) -> float:
        """Density of the activation operand ``task`` reads (its first producer's output)."""
        override = self.config.layer_override(task.layers)
        if override is not None and override.activation_density is not None:
            return override.activation_density
        if not task.deps:
            return 1.0
        return self.output_density(self.by_name[task.deps[0]])


def _has_weights(task: Task, arch: ArchSpec, workload) -> bool:
    if workload is not None:
        layers = workload.by_name()
        op = layers[task.layers[0]].op if task.layers[0] in layers else None
        return bool(getattr(op, "weights", True))
    if "weights" in arch.dram.holds:
        return task.weight_bytes > 0
    return True


def _compress_transfers(task: Task, densities: _Densities, hw: SparsityHardwareSpec | None, value_bits: int,
                        elem_bytes: float) -> tuple[tuple[Transfer, ...], tuple[Transfer, ...]]:
    if hw is None or hw.activation_format.format == "dense" and not hw.activation_format.value_bits:
        return task.loads, task.stores

    def convert(tr: Transfer, density: float) -> Transfer:
        if "dram" not in (tr.src, tr.dst) or "host" in (tr.src, tr.dst) or tr.nbytes == 0:
            return tr
        elements = max(1, round(tr.nbytes / elem_bytes))
        data, meta = activation_storage(elements, density, hw, value_bits)
        return CompressedTransfer(tr.tensor, tr.src, tr.dst, data + meta, dense_nbytes=tr.nbytes,
                                  data_nbytes=data, metadata_nbytes=meta, density=density)

    loads = []
    for tr in task.loads:
        if tr.tensor.startswith("input:"):
            producer = densities.by_name.get(tr.tensor.split(":", 1)[1])
            loads.append(convert(tr, densities.output_density(producer) if producer else 1.0))
        else:
            loads.append(tr)
    out_density = densities.output_density(task)
    stores = tuple(convert(tr, out_density) if tr.tensor == "output" else tr for tr in task.stores)
    return tuple(loads), stores


def _sparse_gemm(task: Task, arch: ArchSpec, config: SparsityConfig, densities: _Densities, workload,
                 value_bits: int) -> tuple[SparseGemmWork, int, int, str]:
    g, mu, hw = task.gemm, arch.matrix_unit, _hw(arch)
    has_weights = _has_weights(task, arch, workload)
    dw = config.weight_density_for(task.layers) if has_weights else 1.0
    da = densities.input_density(task)
    structure = config.structure if has_weights else dataclasses.replace(config.structure, kind="unstructured")
    effect = sparse_gemm_effect(g.m, g.k, g.n, mu.rows, mu.cols, mu.dataflow, dw, da, hw, structure)
    nm = (hw.structured.n, hw.structured.m) if hw is not None and hw.structured is not None else (
        (structure.n, structure.m) if structure.kind == "nm" else (2, 4))
    if hw is not None and hw.weight_format.format == "nm" and not structured_fits(structure, hw):
        nm = (1, 1)  # the tensor does not follow the unit's pattern: stored dense
    if has_weights and nm != (1, 1):
        dense_w, data_w, meta_w = weight_storage(g.k, g.n, dw, hw, value_bits, nm)
    else:
        dense_w = data_w = math.ceil(g.k * g.n * value_bits / 8)
        meta_w = 0
    ratio = (data_w + meta_w) / dense_w if dense_w else 1.0
    skip_act_first = hw is not None and hw.skips("activations") and hw.broadcast_operand == "activations"
    skip_w_first = hw is not None and hw.skips("weights") and hw.broadcast_operand == "weights"
    act_read = 1.0
    if hw is not None and (hw.activation_format.format != "dense" or hw.activation_format.value_bits):
        data_a, meta_a = activation_storage(g.m * g.k, da, hw, value_bits)
        act_read = (data_a + meta_a) / (g.m * g.k * value_bits / 8)
    out_density = densities.output_density(task)
    out_write = 1.0
    if hw is not None and (hw.activation_format.format != "dense" or hw.activation_format.value_bits):
        data_o, meta_o = activation_storage(g.m * g.n, out_density, hw, value_bits)
        out_write = (data_o + meta_o) / (g.m * g.n * value_bits / 8)
    work = SparseGemmWork(
        m=g.m, k=g.k, n=g.n, count=g.count,
        fetch_bytes_per_element=g.fetch_bytes_per_element * ratio,
        rate=g.rate / effect.cycle_factor,
        dense_rate=g.rate, dense_fetch_bytes_per_element=g.fetch_bytes_per_element,
        weight_density=dw, activation_density=da, output_density=out_density, effect=effect,
        dense_weight_bytes=dense_w, weight_data_bytes=data_w, weight_metadata_bytes=meta_w,
        # weights paired with a skipped broadcast activation are never read (EIE), and vice versa
        weight_read_factor=ratio * (da if skip_act_first else 1.0),
        # weights resident on chip are loaded once, not per inference; streamed ones pass through
        weight_write_factor=ratio if "weights" in arch.dram.holds else 0.0,
        activation_read_factor=act_read * (dw if skip_w_first else 1.0),
        output_write_factor=out_write)
    macs = round(task.macs * effect.mac_energy_factor)
    weight_bytes = math.ceil(task.weight_bytes * ratio) if task.weight_bytes else 0
    note = (f"sparsity: weight density {dw:g}, activation density {da:g}; stream x{effect.cycle_factor:.3f} "
            f"(imbalance x{effect.imbalance_cycle_factor:.3f}), MAC energy x{effect.mac_energy_factor:.3f}; "
            f"weights {data_w + meta_w} B ({meta_w} B metadata) vs {dense_w} B dense per GEMM")
    return work, macs, weight_bytes, note


def apply_sparsity(program: Program, arch: ArchSpec, config: SparsityConfig, workload=None) -> Program:
    """Return ``program`` with ``config``'s zeros exploited as ``arch.sparsity`` allows.

    ``workload`` (optional) tells attention-style matmuls (two activation operands) from layers
    with weights, and which norms keep zeros; without it the task names and byte counts decide.
    Pure: the input program is not modified. With dense hardware (no ``sparsity:`` section) the
    timing is unchanged and the records say so.
    """
    if not isinstance(config, SparsityConfig):
        raise AccelsimError(f"expected a SparsityConfig, got {type(config).__name__}", field="--sparsity")
    known = {name for t in program.tasks for name in t.layers}
    matrix_layers = {name for t in program.tasks if t.gemm is not None for name in t.layers}
    for item in config.layers:
        if item.layer not in known:
            from ..errors import did_you_mean

            raise AccelsimError(f"no layer named '{item.layer}'{did_you_mean(item.layer, known)} in {program.workload}",
                                field=f"--sparsity {item.layer}")
        if item.layer not in matrix_layers:
            raise AccelsimError(f"layer '{item.layer}' does not run on the matrix unit; per-layer densities apply to "
                                "conv/matmul layers (and the ops fused into them)", field=f"--sparsity {item.layer}")
    prec = get_precision(program.precision)
    value_bits = prec.bits
    densities = _Densities(program.tasks, config, workload)
    hw = _hw(arch)
    tasks = []
    for task in program.tasks:
        loads, stores = _compress_transfers(task, densities, hw, value_bits, prec.bytes)
        changes: dict = {"loads": loads, "stores": stores}
        if task.gemm is not None and arch.matrix_unit is not None:
            work, macs, weight_bytes, note = _sparse_gemm(task, arch, config, densities, workload, value_bits)
            changes.update(gemm=work, macs=macs, weight_bytes=weight_bytes, notes=task.notes + (note,),
                           dense_equivalent_macs=task.dense_equivalent_macs or task.macs)
        tasks.append(dataclasses.replace(task, **changes))
    return dataclasses.replace(program, tasks=tuple(tasks))


def adjust_activity(task: Task, activity: TaskActivity, arch: ArchSpec) -> TaskActivity:
    """Scale the dense buffer-byte counts of engine/activity.py for a sparse task (identity otherwise).

    Weight-buffer reads: compressed bytes, and only for non-zero broadcast activations when those
    are skipped; weight-buffer writes: compressed bytes when weights stream from DRAM, none when
    they are resident on chip (loaded once with the model, not per inference); activation-buffer
    reads and writes: the activation format's bytes. MACs, register-file and DRAM bytes already follow the task.
    """
    g = task.gemm
    if not isinstance(g, SparseGemmWork):
        return activity
    wbuf = arch.memory_holding("weights")
    factors = {  # (tensor, level) -> (read factor, write factor)
        ("input", task.activation_buffer): (g.activation_read_factor, 1.0),
        ("output", task.activation_buffer): (1.0, g.output_write_factor),
    }
    if wbuf is not None:
        factors[("weights", wbuf.name)] = (g.weight_read_factor, g.weight_write_factor)
    traffic = []
    for t in activity.traffic:
        read_f, write_f = factors.get((t.tensor, t.level), (1.0, 1.0))
        traffic.append(dataclasses.replace(t, read_bytes=round(t.read_bytes * read_f),
                                           write_bytes=round(t.write_bytes * write_f)))
    return dataclasses.replace(activity, traffic=tuple(traffic))
