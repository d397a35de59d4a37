"""Architecture spec: what a user writes in ``archs/*.yaml``.

Every key carries its unit. Every field's ``doc`` is shown by ``accelsim list fields``.
Mapping fields (``dict[str, float]`` in YAML) are read-only once a spec is built
(accelsim/readonly.py): a spec may be shared, e.g. by every point of a sweep.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import AccelsimError, Location, SpecError
from ..precision import get_precision
from ..readonly import ReadOnlyMaps
from ..sparsity.spec import SparsityHardwareSpec
from .schema import spec_field
from .simd_grid import SimdGridSpec

DATAFLOWS = ("ws", "os", "is")
TENSOR_KINDS = ("weights", "activations", "partial_sums", "inputs", "outputs")
DRAM_KINDS = ("ddr3", "ddr4", "lpddr4", "lpddr5", "gddr5", "gddr6", "hbm", "hbm2", "hbm2e", "hbm3", "hbm3e", "sram")
FUSABLE = ("bias", "batch_norm", "relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "pool", "residual_add", "lrn",
           "concat")
#: convolution algorithms a matrix unit may run (accelsim/lower/conv_algorithms.py, docs/operators.md)
CONV_ALGORITHMS = ("im2col", "direct", "channel_extension", "winograd_f2", "winograd_f4")
#: engine resources a fixed-function unit may not be named after
RESERVED_UNIT_NAMES = ("matrix", "vector", "scalar", "none", "dram", "host", "host_link")
#: tensor kinds a secondary memory level may hold: spilled activations, resident (preloaded) weights
SECONDARY_HOLDS = ("weights", "activations")
SECONDARY_KINDS = ("sram",)
SUPPORTED_VERSIONS = (1,)


@dataclass(frozen=True)
class TechnologySpec:
    process_nm: float = spec_field(doc="process node in nm (for energy/area scaling)", min=1, max=1000)
    static_power_w: float = spec_field(0.0, doc="static (idle/leakage) power of the chip in W", min=0)


def products_per_sum(dataflow: str, rows: int) -> int | None:
    """How many products a partial sum collects inside a ``rows``-row array before it leaves for
    the accumulators: WS and IS sum down a column of ``rows`` PEs; OS keeps each sum in its PE for
    the whole reduction (None: unbounded)."""
    return None if dataflow == "os" else rows


@dataclass(frozen=True)
class MatrixUnitSpec(ReadOnlyMaps):
    rows: int = spec_field(doc="systolic array rows (PEs); the reduction dimension maps here in WS", min=1, max=1_000_000)
    cols: int = spec_field(doc="systolic array columns (PEs)", min=1, max=1_000_000)
    clock_mhz: float = spec_field(doc="clock in MHz", min=1e-3, max=1e6)
    dataflow: str = spec_field("ws", doc="ws (weight), os (output) or is (input) stationary", choices=DATAFLOWS)
    precisions: dict[str, float] = spec_field(
        default_factory=lambda: {"int8": 1.0},
        doc="supported operand precisions -> MACs per PE per cycle (1.0 full rate, 0.25 quarter)", min=1e-6, max=64)
    default_precision: str = spec_field("int8", doc="precision used when --precision is not given")
    accumulator_bits: int = spec_field(32, doc="partial-sum width in bits", min=1, max=128)
    count: int = spec_field(1, doc="number of identical matrix units working in parallel", min=1, max=1_000_000)
    double_buffered: bool = spec_field(True, doc="stationary operands double-buffered (next tile loads while one streams)")
    weight_fifo_depth: int = spec_field(1, doc="stationary tiles buffered between memory and the array", min=1, max=64)
    weight_shift_cycles: int | None = spec_field(None, doc="cycles to shift one stationary tile in (default: rows)", min=0, max=10**9)
    fused_ops: tuple[str, ...] = spec_field((), doc=f"ops the output pipeline applies for free: {', '.join(FUSABLE)}", choices=FUSABLE)
    conv_algorithms: tuple[str, ...] = spec_field(
        ("im2col",), doc=f"convolution algorithms the unit can run ({', '.join(CONV_ALGORITHMS)}); "
        "each layer uses the applicable one with the fewest estimated cycles", choices=CONV_ALGORITHMS)
    transform_ops_per_cycle: float = spec_field(
        0.0, doc="Winograd pre/post-addition adders in the convolution pipeline, element ops per cycle "
        "(0: the transforms run on the vector unit)", min=0, max=1e12)

    def check(self, where: Location | None, path: str) -> None:
        for name in self.precisions:
            try:
                get_precision(name)
            except AccelsimError as exc:
                raise SpecError(exc.message, where, f"{path}.precisions.{name}") from None
        if self.default_precision not in self.precisions:
            raise SpecError(f"default_precision '{self.default_precision}' is not among precisions {sorted(self.precisions)}",
                            where, f"{path}.default_precision")

    @property
    def shift_cycles(self) -> int:
        return self.rows if self.weight_shift_cycles is None else self.weight_shift_cycles

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.rows * self.cols * self.count

    @property
    def products_per_sum(self) -> int | None:
        """How many products a partial sum collects inside the array (:func:`products_per_sum`)."""
        return products_per_sum(self.dataflow, self.rows)


@dataclass(frozen=True)
class VectorUnitSpec(ReadOnlyMaps):
    lanes: int = spec_field(doc="SIMD lanes", min=1, max=10_000_000)
    sublanes: int = spec_field(1, doc="sublanes per lane (TPU v2/v3: 8)", min=1, max=1024)
    clock_mhz: float | None = spec_field(None, doc="clock in MHz (default: the matrix unit's)", min=1e-3, max=1e6)
    ops_per_lane_per_cycle: float = spec_field(1.0, doc="element operations per lane (and sublane) per cycle", min=1e-6, max=1024)
    op_cycles: dict[str, float] = spec_field(default_factory=dict, doc="cost of one element op in lane-cycles, by function (exp: 4 ...); unlisted functions cost 1", min=0, max=1e6)
    latency_cycles: int = spec_field(0, doc="pipeline latency added once per op", min=0, max=10**9)
    count: int = spec_field(1, doc="number of identical vector units", min=1, max=100_000)
    op_latency_cycles: dict[str, float] = spec_field(
        default_factory=dict, doc="pipeline latency in cycles of each function (exp: 20 ...), paid once per "
        "dependent pass of a layer; unlisted functions: 0", min=0, max=1e9)
    load_elements_per_cycle: float = spec_field(
        0.0, doc="elements the unit loads from its local memory per cycle (0: not a limit)", min=0, max=1e12)
    store_elements_per_cycle: float = spec_field(
        0.0, doc="elements the unit stores to its local memory per cycle (0: not a limit)", min=0, max=1e12)
    reduction_level_cycles: float = spec_field(
        1.0, doc="cycles per level of a cross-lane reduction tree (shuffle + combine)", min=0, max=1e6)
    transpose_elements_per_cycle: float = spec_field(
        0.0, doc="throughput of a transpose/permute unit in elements per cycle (0: none; a transpose is a "
        "copy through the vector unit)", min=0, max=1e12)
    transpose_latency_cycles: int = spec_field(0, doc="latency of the transpose unit in cycles", min=0, max=10**9)
    fused_stages_parallel: bool = spec_field(
        True, doc="fused output-pipeline stages are separate hardware running side by side (the slowest sets "
        "the pace); false: they share this unit and their cycles add")

    @property
    def elements_per_cycle(self) -> float:
        return self.lanes * self.sublanes * self.ops_per_lane_per_cycle * self.count

    @property
    def vector_width(self) -> int:
        """Elements in one vector register (lanes x sublanes)."""
        return self.lanes * self.sublanes


@dataclass(frozen=True)
class ScalarUnitSpec:
    clock_mhz: float | None = spec_field(None, doc="clock in MHz (default: the matrix unit's)", min=1e-3, max=1e6)
    cpi: float = spec_field(1.0, doc="cycles per instruction issued", min=0, max=1e6)
    instructions_per_layer: float = spec_field(0.0, doc="instructions to set up one layer (configuration, sync)", min=0, max=1e9)
    instructions_per_tile: float = spec_field(0.0, doc="instructions per stationary tile (loop and address control)", min=0, max=1e9)
    instructions_per_vector_tile: float = spec_field(
        0.0, doc="instructions per vector register of vector work (lanes x sublanes elements): loop and address "
        "control not hidden in the vector unit's own issue slots", min=0, max=1e9)
    config_registers_per_layer: float = spec_field(
        0.0, doc="configuration registers written to set up one layer on its unit (NVDLA: CSB writes)", min=0, max=1e9)
    cycles_per_config_register: float = spec_field(1.0, doc="cycles per configuration register write", min=0, max=1e6)
    sync_cycles: float = spec_field(
        0.0, doc="cycles to synchronise with a producer on another unit (fence, interrupt round trip), "
        "per such producer", min=0, max=1e9)


@dataclass(frozen=True)
class FunctionUnitSpec(ReadOnlyMaps):
    """A fixed-function vector-like unit (NVDLA's PDP for pooling, CDP for LRN): it runs only the
    functions it lists, each at its own throughput, beside the matrix and vector units."""

    name: str = spec_field(doc="unit name, e.g. pdp")
    elements_per_cycle: dict[str, float] = spec_field(
        doc="function (pool, lrn, ...) -> elements processed per cycle", min=1e-9, max=1e12)
    latency_cycles: int = spec_field(0, doc="pipeline latency added once per layer", min=0, max=10**9)
    clock_mhz: float | None = spec_field(None, doc="clock in MHz (default: the matrix unit's)", min=1e-3, max=1e6)

    def check(self, where: Location | None, path: str) -> None:
        if self.name in RESERVED_UNIT_NAMES:
            raise SpecError(f"'{self.name}' is reserved; choose another unit name", where, f"{path}.name")
        if not self.elements_per_cycle:
            raise SpecError("a function unit needs at least one function", where, f"{path}.elements_per_cycle")


@dataclass(frozen=True)
class MemorySpec:
    name: str = spec_field(doc="buffer name, e.g. unified_buffer")
    size_kib: float = spec_field(doc="capacity in KiB", min=1e-3, max=1e12)
    holds: tuple[str, ...] = spec_field(doc=f"tensors kept here: {', '.join(TENSOR_KINDS)}", choices=TENSOR_KINDS)
    read_bytes_per_cycle: float = spec_field(0.0, doc="read bandwidth in bytes per cycle (0: not a limit)", min=0, max=1e12)
    write_bytes_per_cycle: float = spec_field(0.0, doc="write bandwidth in bytes per cycle (0: not a limit)", min=0, max=1e12)
    latency_cycles: int = spec_field(1, doc="access latency in cycles", min=0, max=10**9)
    banks: int = spec_field(1, doc="banks", min=1, max=1_000_000)
    ports: int = spec_field(1, doc="ports", min=1, max=1024)

    @property
    def size_bytes(self) -> int:
        return int(self.size_kib * 1024)


@dataclass(frozen=True)
class DramSpec:
    kind: str = spec_field(doc=f"technology: {', '.join(DRAM_KINDS)}", choices=DRAM_KINDS)
    bandwidth_gbps: float = spec_field(doc="peak bandwidth in GB/s (1e9 bytes per second)", min=1e-6, max=1e9)
    size_gib: float = spec_field(8.0, doc="capacity in GiB", min=1e-6, max=1e9)
    latency_ns: float = spec_field(100.0, doc="access latency in ns", min=0, max=1e9)
    channels: int = spec_field(1, doc="independent channels", min=1, max=4096)
    holds: tuple[str, ...] = spec_field(("weights", "activations"), doc="tensors that live here", choices=TENSOR_KINDS)
    sustained_fraction: float = spec_field(
        1.0, doc="fraction of the peak bandwidth that long streaming transfers sustain (refresh, row and bank "
                 "overheads); the engine moves data at bandwidth_gbps x this, rooflines use the peak",
        min=1e-3, max=1.0)


@dataclass(frozen=True)
class SecondaryMemorySpec:
    """A memory level between the on-chip buffers and DRAM with its own read and write paths (NVDLA's
    secondary, on-chip SRAM interface). Holding ``activations``: outputs that do not fit the buffer
    spill here instead of to DRAM while they fit. Holding ``weights``: in the room the spilled
    activations leave at their peak, layers' weights are preloaded from DRAM (steady-state inference:
    the preload is not part of a run), the layers saving the most estimated cycles per byte first
    (lower/lowering.py choose_resident), and each streams its weights over the read path instead."""

    size_kib: float = spec_field(doc="capacity in KiB", min=1e-3, max=1e12)
    read_bandwidth_gbps: float = spec_field(doc="read path bandwidth in GB/s (1e9 bytes per second)", min=1e-6, max=1e9)
    write_bandwidth_gbps: float = spec_field(
        doc="write path bandwidth in GB/s; reads and writes use separate paths and overlap", min=1e-6, max=1e9)
    latency_ns: float = spec_field(0.0, doc="access latency in ns, paid once per transfer", min=0, max=1e9)
    name: str = spec_field("sram", doc="level name, used for transfers, the timeline track and traffic")
    kind: str = spec_field("sram", doc=f"technology: {', '.join(SECONDARY_KINDS)} (energy by capacity)", choices=SECONDARY_KINDS)
    holds: tuple[str, ...] = spec_field(("activations",), doc=f"tensors kept here: {', '.join(SECONDARY_HOLDS)} (weights resident, activations spilled)",
                                        choices=SECONDARY_HOLDS)

    @property
    def size_bytes(self) -> int:
        return int(self.size_kib * 1024)


@dataclass(frozen=True)
class HostLinkSpec:
    kind: str = spec_field("pcie3_x16", doc="link name, e.g. pcie3_x16")
    bandwidth_gbps: float = spec_field(15.75, doc="bandwidth per direction in GB/s", min=1e-6, max=1e9)
    latency_us: float = spec_field(1.0, doc="per-transfer latency in microseconds", min=0, max=1e9)


@dataclass(frozen=True)
class ArchSpec(ReadOnlyMaps):
    version: int = spec_field(doc="spec format version (1)", choices=SUPPORTED_VERSIONS)
    name: str = spec_field(doc="short name")
    technology: TechnologySpec = spec_field(doc="process and static power")
    dram: DramSpec = spec_field(doc="off-chip memory")
    memories: tuple[MemorySpec, ...] = spec_field(doc="on-chip buffers")
    description: str = spec_field("", doc="one line")
    source: str = spec_field("", doc="where the numbers come from")
    matrix_unit: MatrixUnitSpec | None = spec_field(None, doc="systolic matrix unit")
    vector_unit: VectorUnitSpec | None = spec_field(None, doc="vector/SIMD unit")
    scalar_unit: ScalarUnitSpec | None = spec_field(None, doc="scalar/control unit")
    host_link: HostLinkSpec | None = spec_field(None, doc="link to the host")
    energy: dict[str, float] = spec_field(default_factory=dict, doc="per-action energy overrides (pJ), e.g. mac_int8_pj", min=0, max=1e9)
    function_units: tuple[FunctionUnitSpec, ...] = spec_field(
        (), doc="fixed-function vector-like units (NVDLA PDP, CDP) that run only the functions they list")
    sparsity: SparsityHardwareSpec | None = spec_field(None, doc="sparse storage formats, gating, skipping, structured unit (docs/sparsity.md)")
    simd_grid: SimdGridSpec | None = spec_field(
        None, doc="a grid of LNS SIMD cores with local memory and nearest-neighbour links (docs/lns_s1.md); "
        "replaces matrix_unit, vector_unit and function_units")
    secondary_memory: SecondaryMemorySpec | None = spec_field(
        None, doc="a memory level between the on-chip buffers and DRAM (NVDLA's on-chip SRAM interface)")

    def partial_sum_shape(self) -> dict[str, int | None]:
        """The ``accumulator_bits`` and ``products_per_sum`` keyword arguments of the cost model
        (costs.energy.energy_params, costs.area.area_mm2) for this arch's matrix unit; both None
        without one (each MAC adds in its own format)."""
        mu = self.matrix_unit
        if mu is None:
            return {"accumulator_bits": None, "products_per_sum": None}
        return {"accumulator_bits": mu.accumulator_bits, "products_per_sum": mu.products_per_sum}

    def check(self, where: Location | None, path: str) -> None:
        named = [("name", self.name)] + [(f"memories[{i}].name", m.name) for i, m in enumerate(self.memories)]
        for field_path, value in named:
            if not value.strip():
                raise SpecError("expected a non-empty name", where, field_path)
        if self.simd_grid is not None:
            self._check_grid(where)
        elif self.matrix_unit is None and self.vector_unit is None:
            raise SpecError("an architecture needs a matrix_unit, a vector_unit or a simd_grid", where, path or "<root>")
        names = [m.name for m in self.memories]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise SpecError(f"duplicate memory name(s): {', '.join(sorted(dup))}", where, "memories")
        sec = self.secondary_memory
        taken = set(names) | {u.name for u in self.function_units} | set(RESERVED_UNIT_NAMES) | {"dma", "unit"}
        if sec is not None and sec.name in taken:
            raise SpecError(f"secondary memory name '{sec.name}' is taken (an on-chip buffer or an engine resource); "
                            "choose another", where, "secondary_memory.name")
        if sec is not None and "weights" in sec.holds and "weights" not in self.dram.holds:
            raise SpecError("secondary_memory holds weights preloaded from DRAM, so dram.holds must list 'weights'",
                            where, "secondary_memory.holds")
        unit_names = [u.name for u in self.function_units]
        dup_units = {n for n in unit_names if unit_names.count(n) > 1}
        if dup_units:
            raise SpecError(f"duplicate function unit name(s): {', '.join(sorted(dup_units))}", where, "function_units")
        for tensor in ("weights", "activations"):
            if self.memory_holding(tensor) is None and tensor not in self.dram.holds:
                raise SpecError(f"no memory holds {tensor}: list '{tensor}' in the 'holds' of dram or of an on-chip buffer",
                                where, "dram.holds")
        mu = self.matrix_unit
        if mu is not None:
            narrowest = min(get_precision(p).bytes for p in mu.precisions)
            tile_bytes = mu.rows * mu.cols * narrowest
            for i, mem in enumerate(self.memories):
                if "weights" in mem.holds and mem.size_bytes < tile_bytes:
                    raise SpecError(
                        f"{mem.name} holds weights but is smaller than one {mu.rows}x{mu.cols} weight tile "
                        f"({tile_bytes / 1024:g} KiB at {narrowest * 8:g}-bit)", where, f"memories[{i}].size_kib")

    def _check_grid(self, where: Location | None) -> None:
        """A simd_grid does all the work: no other compute units; its local memories (rows x cols
        x local_memory_kib) are the one on-chip buffer, listed in ``memories``."""
        for other in ("matrix_unit", "vector_unit", "sparsity"):
            if getattr(self, other) is not None:
                raise SpecError(f"an architecture with a simd_grid has no {other} (the grid's cores do all the work)",
                                where, other)
        if self.function_units:
            raise SpecError("an architecture with a simd_grid has no function_units", where, "function_units")
        grid = self.simd_grid
        expected = grid.cores * grid.local_memory_kib
        for i, mem in enumerate(self.memories):
            if "activations" in mem.holds and abs(mem.size_kib - expected) > 1e-9 * expected:
                raise SpecError(
                    f"{mem.name} is the grid's local memories together: expected {expected:g} KiB "
                    f"({grid.rows} x {grid.cols} cores x {grid.local_memory_kib:g} KiB), got {mem.size_kib:g}",
                    where, f"memories[{i}].size_kib")

    @property
    def clock_mhz(self) -> float:
        """Reference clock of the run (the matrix unit's, else the grid's, else the vector unit's)."""
        if self.simd_grid is not None:
            return self.simd_grid.clock_mhz
        if self.matrix_unit is not None:
            return self.matrix_unit.clock_mhz
        return self.vector_unit.clock_mhz or 1000.0

    def memory_holding(self, tensor: str) -> MemorySpec | None:
        for mem in self.memories:
            if tensor in mem.holds:
                return mem
        return None

    def spill_level(self, tensor: str) -> SecondaryMemorySpec | None:
        """The secondary memory level that takes ``tensor`` when it does not fit on chip, if any."""
        sec = self.secondary_memory
        return sec if sec is not None and tensor in sec.holds else None

    def fetch_bytes_per_cycle(self, level: str) -> float:
        """Bytes per clock a matrix unit's weight stream gets from ``level``: the secondary memory's
        read path, else the DRAM's sustained bandwidth."""
        sec = self.secondary_memory
        if sec is not None and level == sec.name:
            return sec.read_bandwidth_gbps * 1e3 / self.clock_mhz
        return self.dram_sustained_bytes_per_cycle

    @property
    def sram_sizes_kib(self) -> dict[str, float]:
        """Every SRAM level priced by capacity: the on-chip buffers and the secondary memory."""
        sizes = {m.name: m.size_kib for m in self.memories}
        if self.secondary_memory is not None:
            sizes[self.secondary_memory.name] = self.secondary_memory.size_kib
        return sizes

    @property
    def dram_bytes_per_cycle(self) -> float:
        """Peak DRAM bytes per reference cycle (the roofline's slope)."""
        return self.dram.bandwidth_gbps * 1e9 / (self.clock_mhz * 1e6)

    @property
    def dram_sustained_bytes_per_cycle(self) -> float:
        """DRAM bytes per reference cycle that transfers actually get (peak x sustained_fraction)."""
        return self.dram_bytes_per_cycle * self.dram.sustained_fraction
