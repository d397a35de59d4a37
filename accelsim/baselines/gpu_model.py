"""GPU timing baselines for a workload: a roofline (an upper bound on GPU speed) and a derated model.

``roofline``: each layer takes max(ops / peak at the precision, DRAM bytes / bandwidth) seconds
(Williams, Waterman, Patterson, CACM 2009). It assumes perfect overlap, full tensor-core rate at every
size and datasheet bandwidth, so it is a *lower bound on time* — the GPU can only be slower.

``derated``: the same per-layer structure with size-dependent losses that hit real kernels
(:class:`DeratedParams`): output-tile and wave quantization over the SMs, an achievable fraction of
the tensor peak and of the memory bandwidth, and a fixed launch overhead per kernel. The parameters
are the same for every workload and GPU; they are estimates until calibrated against measured
kernels (reports/gpu_model_error.md).

Conventions: an op is one multiply or one add (a MAC is 2 ops); bytes per layer are activation
inputs + weights + outputs at the width of the precision the GPU actually runs (after fallback);
graph inputs and free reshapes cost nothing (host transfers are excluded, as in the TPU v1 paper);
a bias add after a matrix op is fused into its epilogue. With ``fuse_pointwise`` (the default),
a batch norm, activation or elementwise layer that reads the output of a layer with no other
consumer is fused into that layer, as inference compilers (TensorRT, XLA) do: the intermediate
tensor never goes to DRAM and the fused layer launches no kernel of its own. Energy is TDP x time.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..errors import AccelsimError
from ..precision import get_precision
from ..report.results import RunResult
from ..workload import ops as O
from ..workload.graph import Workload
from .gpu_spec import GpuSpec, load_gpu_spec

MODELS = ("roofline", "derated")

#: storage bytes per element of each GPU precision key
GPU_PRECISION_BYTES = {"fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "int8": 1, "fp8": 1}

#: precision key -> the keys tried in order when the GPU lacks it (same or wider numerics first)
FALLBACK_CHAINS = {
    "fp32": ("fp32",),
    "tf32": ("tf32", "fp32"),
    "fp16": ("fp16", "bf16", "fp32"),
    "bf16": ("bf16", "fp16", "fp32"),
    "fp8": ("fp8", "fp16", "bf16", "fp32"),
    "int8": ("int8", "fp16", "bf16", "fp32"),
}


@dataclass(frozen=True)
class DeratedParams:
    """Size-dependent efficiency of the ``derated`` model. All values are estimates (see fields)."""

    #: output tile rows per thread block (estimate: a common tensor-core GEMM/implicit-conv tile)
    tile_m: int = 128
    #: output tile columns per thread block (estimate, as tile_m)
    tile_n: int = 128
    #: fraction of the datasheet tensor/CUDA-core peak a large, well-shaped kernel sustains
    #: (estimate: large cuBLAS GEMMs typically reach 70-90 % of datasheet peak)
    matrix_efficiency: float = 0.8
    #: fraction of datasheet DRAM bandwidth a streaming kernel sustains
    #: (estimate: STREAM-like copies typically reach 80-90 %)
    bandwidth_fraction: float = 0.85
    #: K extent below which a GEMM is not split further across SMs (estimate: split-K kernels keep
    #: at least a few hundred reduction steps per block before the partial sums are combined)
    min_split_k: int = 256
    #: extra reduction steps each output tile pays for its prologue and epilogue (loading the
    #: pipeline, writing the tile out), in units of K (estimate; penalises short reductions)
    tile_k_overhead: int = 32
    #: fixed cost of each kernel, seconds (estimate: launch + scheduling gap of a few microseconds
    #: per kernel without CUDA graphs)
    kernel_launch_seconds: float = 3e-6


DERATED = DeratedParams()


@dataclass(frozen=True)
class GpuLayerTime:
    """One layer on the GPU. ``ops``: arithmetic operations; seconds are per the chosen model."""

    name: str
    kind: str
    macs: int
    ops: int
    dram_bytes: int
    compute_seconds: float
    memory_seconds: float
    overhead_seconds: float
    seconds: float
    bound: str  # "compute", "memory" or "none" (a layer with no work)


@dataclass(frozen=True)
class GpuBaseline:
    """A workload timed on one GPU. ``precision`` is the key actually modelled (after fallback)."""

    gpu: str
    model: str
    requested_precision: str
    precision: str
    note: str  # why another precision was used, or ""
    sparse: bool  # timed at the 2:4 structured-sparse tensor peak (asked for and the GPU has one)
    tdp_w: float
    layers: tuple[GpuLayerTime, ...]

    @property
    def seconds(self) -> float:
        """Total time of the workload in seconds (layers run one after another)."""
        return sum(layer.seconds for layer in self.layers)

    @property
    def energy_j(self) -> float:
        """Energy in joules: TDP (W) x time (s)."""
        return self.tdp_w * self.seconds

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def label(self) -> str:
        """A short description of what the number means."""
        if self.model == "roofline":
            return "roofline: upper bound on GPU speed (lower bound on time)"
        return "derated: roofline with tile/wave quantization, efficiency and launch overhead (estimates)"

    def layer_seconds(self) -> dict[str, float]:
        """Layer name -> seconds, in workload order."""
        return {layer.name: layer.seconds for layer in self.layers}

    def totals(self) -> dict:
        """{gpu, model, precision, seconds, energy_j} as plain numbers for reports."""
        return {"gpu": self.gpu, "model": self.model, "precision": self.precision,
                "seconds": self.seconds, "energy_j": self.energy_j}


def _precision_key(precision: str) -> str:
    """Map an accelsim precision name to the GPU key whose fallback chain applies."""
    p = get_precision(precision)
    if p.name in GPU_PRECISION_BYTES:
        return p.name
    if p.name.startswith("fp8"):
        return "fp8"
    if p.kind in ("int", "binary"):
        return "int8" if p.bits <= 8 else "fp32"  # fp16's 11-bit significand cannot hold int16
    return "fp8" if p.bits <= 8 else "fp16" if p.bits <= 16 else "fp32"


def resolve_precision(spec: GpuSpec, precision: str, sparse: bool = False) -> tuple[str, str]:
    """The GPU precision key used for ``precision`` and a note saying why when it differs."""
    wanted = get_precision(precision).name
    key = _precision_key(precision)
    table = spec.sparse_peak_tops if sparse else spec.dense_peak_tops
    for candidate in FALLBACK_CHAINS[key]:
        if candidate in table:
            if candidate == key and (candidate == wanted or key == "fp8" and wanted.startswith("fp8")):
                return candidate, ""
            return candidate, (f"{spec.name} has no {'2:4 sparse ' if sparse else ''}{wanted} math; "
                               f"modelled at {candidate}")
    if sparse:
        dense_key, _ = resolve_precision(spec, precision, sparse=False)
        return dense_key, f"{spec.name} has no 2:4 sparse {wanted} math; modelled dense {dense_key}"
    return "fp32", f"{spec.name} has no {wanted} math; modelled at fp32"


def _gemm_shape(op: O.Op) -> tuple[int, int, int, int] | None:
    """(independent products, M, N, K) of a matrix op as the GPU runs it, or None."""
    if isinstance(op, O.Conv2d):
        return op.groups, op.gemm_m, op.gemm_n, op.gemm_k
    if isinstance(op, O.MatMul):
        return op.count, op.m, op.n, op.k
    return None


def _runs_on_tensor_cores(op: O.Op) -> bool:
    # depthwise convolutions have one channel per group: GPUs run them on CUDA cores
    return op.is_matrix and not (isinstance(op, O.Conv2d) and op.is_depthwise)


def _layer_bytes(op: O.Op, width: int) -> int:
    if isinstance(op, O.Input):
        return 0
    if isinstance(op, O.DataMovement) and not op.copies:
        return 0
    return (op.input_elements + op.weight_elements + op.output_elements) * width


POINTWISE = (O.Norm, O.Activation, O.Elementwise)


def fused_layer_bytes(workload: Workload, width: int) -> tuple[dict[str, int], set[str]]:
    """DRAM bytes per layer when pointwise layers fuse into their producer, and the fused names.

    A pointwise layer fuses into the producer of one of its inputs when that producer is a
    matrix or (already fused) pointwise layer whose only consumer is this layer: the producer
    stops writing that tensor and the pointwise layer stops reading it.
    """
    consumers = workload.consumers()
    ops = {layer.name: layer.op for layer in workload.layers}
    nbytes = {layer.name: _layer_bytes(layer.op, width) for layer in workload.layers}
    fused: set[str] = set()
    for layer in workload.layers:
        if not isinstance(layer.op, POINTWISE):
            continue
        for src in layer.inputs:
            producer = ops[src]
            if consumers[src] == [layer.name] and (producer.is_matrix or src in fused):
                tensor_bytes = producer.output_elements * width
                nbytes[src] -= tensor_bytes
                nbytes[layer.name] -= tensor_bytes
                fused.add(layer.name)
                break
    return nbytes, fused


def layer_time(name: str, op: O.Op, spec: GpuSpec, precision_key: str, model: str = "roofline",
               sparse: bool = False, params: DeratedParams = DERATED, dram_bytes: int | None = None,
               fused: bool = False) -> GpuLayerTime:
    """Time one operator on ``spec`` at ``precision_key`` (a key of the GPU's peak tables).

    ``dram_bytes`` overrides the unfused byte count; ``fused`` means the layer runs inside its
    producer's kernel (no launch overhead of its own).
    """
    if model not in MODELS:
        raise AccelsimError(f"unknown GPU model '{model}'; known: {', '.join(MODELS)}", field="--gpu-model")
    table = spec.sparse_peak_tops if sparse and precision_key in spec.sparse_peak_tops else spec.dense_peak_tops
    macs = int(op.macs)
    tensor = _runs_on_tensor_cores(op)
    ops = 2 * macs if tensor else 2 * macs + int(op.vector_ops)
    peak_ops_per_s = (table[precision_key] if tensor else spec.vector_peak_tops) * 1e12
    if dram_bytes is None:
        dram_bytes = _layer_bytes(op, GPU_PRECISION_BYTES[precision_key])
    compute_s = ops / peak_ops_per_s
    memory_s = dram_bytes / spec.bytes_per_second
    overhead_s = 0.0
    if model == "derated" and (ops or dram_bytes):
        shape = _gemm_shape(op) if tensor else None
        if shape is not None:
            count, m, n, k = shape
            tiles = count * math.ceil(m / params.tile_m) * math.ceil(n / params.tile_n)
            # too few tiles to fill the SMs: split the reduction (split-K), but not below min_split_k
            split = max(1, min(spec.sm_count // tiles, k // params.min_split_k))
            waves = math.ceil(tiles * split / spec.sm_count)
            k_per_block = math.ceil(k / split) + params.tile_k_overhead
            per_sm_ops_per_s = peak_ops_per_s * params.matrix_efficiency / spec.sm_count
            compute_s = waves * 2 * params.tile_m * params.tile_n * k_per_block / per_sm_ops_per_s
        else:
            compute_s = ops / (peak_ops_per_s * params.matrix_efficiency)
        memory_s = dram_bytes / (spec.bytes_per_second * params.bandwidth_fraction)
        overhead_s = 0.0 if fused else params.kernel_launch_seconds
    seconds = max(compute_s, memory_s) + overhead_s
    bound = "none" if not (ops or dram_bytes) else ("compute" if compute_s >= memory_s else "memory")
    return GpuLayerTime(name, op.kind, macs, ops, dram_bytes, compute_s, memory_s, overhead_s, seconds, bound)


def gpu_baseline(workload: Workload, gpu: str | GpuSpec, precision: str, model: str = "roofline",
                 sparse: bool = False, params: DeratedParams = DERATED,
                 fuse_pointwise: bool = True) -> GpuBaseline:
    """Time every layer of ``workload`` on ``gpu`` (a shipped name, a YAML path or a spec).

    ``precision`` is an accelsim precision name; the GPU falls back to a supported one and the
    result's ``note`` says so. ``sparse`` uses the 2:4 structured-sparse tensor peaks.
    """
    if model not in MODELS:
        raise AccelsimError(f"unknown GPU model '{model}'; known: {', '.join(MODELS)}", field="--gpu-model")
    spec = gpu if isinstance(gpu, GpuSpec) else load_gpu_spec(gpu)
    key, note = resolve_precision(spec, precision, sparse)
    width = GPU_PRECISION_BYTES[key]
    if fuse_pointwise:
        nbytes, fused = fused_layer_bytes(workload, width)
    else:
        nbytes, fused = {layer.name: _layer_bytes(layer.op, width) for layer in workload.layers}, set()
    layers = tuple(layer_time(layer.name, layer.op, spec, key, model, sparse, params,
                              nbytes[layer.name], layer.name in fused)
                   for layer in workload.layers)
    return GpuBaseline(spec.name, model, get_precision(precision).name, key, note,
                       sparse and key in spec.sparse_peak_tops, spec.tdp_w, layers)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def attach_gpu_baseline(result: RunResult, workload: Workload, gpu: str | GpuSpec,
                        model: str = "roofline", sparse: bool = False, note: str = "") -> RunResult:
    """A copy of ``result`` with ``extra['gpu_baseline']`` and ``extra['gpu_layers']`` filled in.

    ``speedup`` = GPU seconds / accelerator seconds (> 1: the accelerator is faster);
    ``energy_ratio`` = GPU joules / accelerator joules; None when the accelerator figure is 0.
    ``sparse``: the GPU at its 2:4 structured-sparse tensor peaks where it has them; ``note`` is
    added to the baseline's own note (why the GPU runs dense or sparse).
    """
    base = gpu_baseline(workload, gpu, result.precision, model, sparse=sparse)
    summary = {
        "gpu": base.gpu,
        "model": base.model,
        "precision": base.precision,
        "sparse": base.sparse,
        "seconds": base.seconds,
        "energy_j": base.energy_j,
        "speedup": _ratio(base.seconds, result.totals.seconds),
        "energy_ratio": _ratio(base.energy_j, result.totals.energy_j),
        "label": base.label,
    }
    notes = "; ".join(n for n in (base.note, note if base.sparse == sparse else "") if n)
    if notes:
        summary["note"] = notes
    extra = dict(result.extra)
    extra["gpu_baseline"] = summary
    extra["gpu_layers"] = base.layer_seconds()
    return dataclasses.replace(result, extra=extra)


def default_gpu_for(arch_name: str) -> str:
    """The GPU an architecture is compared with by default.

    tpu_v1 -> k80 (the TPU v1 paper's comparison); tpu_v2/tpu_v3 -> v100 (contemporary training
    GPU); nvdla -> v100 (NVIDIA's data-centre inference GPU of NVDLA's time); anything else -> v100.
    """
    stem = str(arch_name).replace("\\", "/").rsplit("/", 1)[-1].lower()
    for suffix in (".yaml", ".yml"):
        stem = stem.removesuffix(suffix)
    if stem.startswith(("tpu_v1", "tpuv1")):
        return "k80"
    return "v100"
