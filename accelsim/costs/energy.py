"""Energy model: per-action energies for one architecture and the energy of an activity.

The engine counts actions (MACs by precision, vector ops, bits latched in the matrix unit's
pipeline registers, register-file/SRAM/DRAM bytes, wire byte-millimetres, link bytes) and calls
:func:`energy_by_component`. The per-action energies come from :func:`energy_params`, with
unit-suffixed overrides taking precedence. All energies are in pJ; the results are in joules.

Rules (the same for every architecture; docs/energy_and_precision.md has the numbers):

- MAC and vector op: Horowitz's 45 nm table (tables.py), derived where a format is not in the
  table (arithmetic.py), scaled to the node (scaling.py). A matrix-unit MAC is one multiply of the
  operand format plus one add at the partial-sum width (``psum_out = psum_in + product``, see
  :func:`arithmetic.accumulate_add`); a vector op is one multiply plus one add of its own format.
- Pipeline registers: a systolic PE does not read a register file per MAC; it latches the
  operands that move through it and the partial sum it passes on (engine/activity.py counts the
  bits). Each latched bit costs Aladdin's register-to-32-bit-add energy ratio times Horowitz's
  32-bit add (tables.py: 4.3 fJ at 45 nm), scaled to the node.
- Register file: Horowitz's 32-bit access (for PEs that do read a register file; the systolic
  matrix units of the shipped configs do not).
- SRAM: one bank's access by the bank's capacity plus the H-tree wire from the bank to the
  buffer's port (sram.py); a buffer's banks come from its spec (``banks``), and a floorplan that
  puts each bank beside its consumer gives the wire length as ``sram_wire_mm:<buffer>``.
- DRAM by interface kind, off-chip links, on-chip wires: tables.py.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from types import MappingProxyType

from ..errors import AccelsimError, did_you_mean
from ..precision import PRECISIONS, Precision, get_precision
from . import arithmetic, scaling, tables
from .area import sram_mm2_per_mib
from .sram import htree_mm, sram_pj_per_byte_45nm

PJ = 1e-12  # joules per picojoule
BUFFER_KEYS = ("sram_pj_per_byte", "sram_read_pj_per_byte", "sram_write_pj_per_byte")
SCALAR_KEYS = ("register_file_pj_per_byte", "pipeline_register_pj_per_bit", "dram_pj_per_byte",
               "wire_pj_per_byte_mm", "link_pj_per_byte")
DISTANCE_KEY = "sram_wire_mm"  # mm between a buffer's banks and its port (not an energy)


@dataclass(frozen=True)
class Activity:
    """Action counts for one layer or one run."""

    macs_by_precision: Mapping[str, int]  # multiply-accumulates, e.g. {"int8": 1_000_000}
    vector_ops_by_precision: Mapping[str, int]  # elementwise/nonlinear ops on vector units
    register_file_bytes: int  # bytes read + written in PE register files
    sram_read_bytes: Mapping[str, int]  # keyed by buffer name
    sram_write_bytes: Mapping[str, int]
    dram_bytes: int  # bytes read + written off chip
    wire_byte_mm: float = 0.0  # bytes moved times millimetres travelled on chip
    link_bytes: int = 0  # bytes over chip-to-chip links
    pipeline_register_bits: int = 0  # bits latched in the matrix unit's PE pipeline registers


@dataclass(frozen=True)
class EnergyParams:
    """Resolved per-action energies (pJ) for one architecture at one node."""

    process_nm: float
    dram_kind: str
    energy_factor: float  # logic energy relative to 45 nm
    mac_pj: Mapping[str, float]  # per MAC, by precision name
    vector_op_pj: Mapping[str, float]  # per vector op, by precision name
    register_file_pj_per_byte: float
    pipeline_register_pj_per_bit: float
    sram_read_pj_per_byte: Mapping[str, float]  # by buffer name
    sram_write_pj_per_byte: Mapping[str, float]
    dram_pj_per_byte: float
    wire_pj_per_byte_mm: float
    link_pj_per_byte: float
    overridden: tuple[str, ...] = field(default=())  # override names applied
    accumulator_bits: int | None = None  # matrix-unit accumulator width; None: same format as operands
    products_per_sum: int | None = None  # products a partial sum collects in the array; None: unbounded
    sram_wire_mm: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))  # mm, by buffer

    def mac_energy_pj(self, precision: str) -> float:
        """Energy of one MAC in ``precision`` (any registry name, alias or lns_i<I>f<F>)."""
        return self._per_op(precision, self.mac_pj, "macs_by_precision", self.accumulator_bits, self.products_per_sum)

    def vector_op_energy_pj(self, precision: str) -> float:
        """Energy of one vector-unit op in ``precision``."""
        return self._per_op(precision, self.vector_op_pj, "vector_ops_by_precision", None, None)

    def _per_op(self, precision: str, table: Mapping[str, float], field_name: str,
                accumulator_bits: int | None, products_per_sum: int | None) -> float:
        if precision in table:
            return table[precision]
        try:
            p = get_precision(precision)
        except AccelsimError as exc:
            raise AccelsimError(exc.message, field=f"{field_name}.{precision}") from None
        if p.name in table:
            return table[p.name]
        return mac_pj_45nm(p, accumulator_bits, products_per_sum) * self.energy_factor  # a parametrised format (lns_i<I>f<F>)


def mac_pj_45nm(p: Precision, accumulator_bits: int | None = None, products_per_sum: int | None = None) -> float:
    """One multiply of format ``p`` plus one accumulating add at 45 nm, pJ. ``accumulator_bits``
    None: the add is of format ``p`` too."""
    return arithmetic.mac(arithmetic.ENERGY_45NM, p, accumulator_bits, products_per_sum)


def override_names(buffers: Mapping[str, float]) -> list[str]:
    """Every accepted override name for an architecture with these buffers."""
    names = [f"mac_{p}_pj" for p in PRECISIONS] + [f"vector_{p}_pj" for p in PRECISIONS]
    names += list(SCALAR_KEYS)
    names += [f"{key}:{b}" for key in (*BUFFER_KEYS, DISTANCE_KEY) for b in buffers]
    return names


def _check_value(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        unit = "mm" if name.startswith(DISTANCE_KEY + ":") else "pJ"
        raise AccelsimError(f"energy override must be a non-negative number of {unit}, got {value!r}",
                            field=f"overrides.{name}")
    return float(value)


def energy_params(process_nm: float, dram_kind: str, buffers: Mapping[str, float],
                  overrides: Mapping[str, float], banks: Mapping[str, int] | None = None,
                  accumulator_bits: int | None = None, products_per_sum: int | None = None) -> EnergyParams:
    """Per-action energies for an architecture.

    process_nm: logic process node in nm (3-180). dram_kind: one of tables.DRAM_PJ_PER_BYTE
    (ddr3, ddr4, lpddr4, gddr5, gddr6, hbm, hbm2, hbm2e, hbm3, hbm3e). buffers: on-chip SRAM
    name -> capacity in KiB. overrides: name -> pJ (``sram_wire_mm:<buffer>``: mm), taking
    precedence over the model (see :func:`override_names`); an unknown name is an AccelsimError
    with a did-you-mean. banks: buffer name -> number of banks (1 where not given).
    accumulator_bits: the matrix unit's accumulator width (``matrix_unit.accumulator_bits``);
    products_per_sum: how many products a sum collects inside the array
    (``matrix_unit.products_per_sum``; None: unbounded). A MAC adds at the in-array partial-sum
    width these give (:func:`arithmetic.partial_sum_bits`). accumulator_bits None (no matrix unit,
    or a direct caller that wants it): each MAC adds in its own format. Vector ops always use
    their own format.
    """
    factor = scaling.energy_factor(process_nm)
    kind = str(dram_kind).lower()
    if kind not in tables.DRAM_PJ_PER_BYTE:
        raise AccelsimError(
            f"unknown DRAM kind '{dram_kind}'{did_you_mean(kind, tables.DRAM_PJ_PER_BYTE)}; known: "
            f"{', '.join(tables.DRAM_PJ_PER_BYTE)}", field="dram_kind"
        )
    for name, size_kib in buffers.items():
        if isinstance(size_kib, bool) or not isinstance(size_kib, Real) or not size_kib > 0:
            raise AccelsimError(f"buffer size must be a positive number of KiB, got {size_kib!r}",
                                field=f"buffers.{name}")
    known = set(override_names(buffers))
    for name in overrides:
        if name not in known:
            raise AccelsimError(f"unknown energy override '{name}'{did_you_mean(name, known)}",
                                field=f"overrides.{name}")
    ov = {name: _check_value(name, value) for name, value in overrides.items()}

    if accumulator_bits is not None:
        if isinstance(accumulator_bits, bool) or not isinstance(accumulator_bits, Integral) or accumulator_bits < 1:
            raise AccelsimError(f"accumulator_bits must be a positive integer, got {accumulator_bits!r}",
                                field="accumulator_bits")
        accumulator_bits = int(accumulator_bits)
    if products_per_sum is not None and (isinstance(products_per_sum, bool) or not isinstance(products_per_sum, Integral)
                                         or products_per_sum < 1):
        raise AccelsimError(f"products_per_sum must be a positive integer, got {products_per_sum!r}",
                            field="products_per_sum")
    mac = {name: ov.get(f"mac_{name}_pj", mac_pj_45nm(p, accumulator_bits, products_per_sum) * factor)
           for name, p in PRECISIONS.items()}
    # Estimate: a vector-unit op (scale, bias, activation step) costs one multiply-add.
    vector = {name: ov.get(f"vector_{name}_pj", mac_pj_45nm(p) * factor)
              for name, p in PRECISIONS.items()}
    banks = dict(banks or {})
    for name in banks:
        if name not in buffers:
            raise AccelsimError(f"banks given for '{name}', which is not a buffer"
                                f"{did_you_mean(name, buffers)}", field=f"banks.{name}")
    wire_28nm = tables.WIRE_PJ_PER_BIT_MM * 8  # Dally, 28 nm
    wire = ov.get("wire_pj_per_byte_mm", wire_28nm * factor / scaling.energy_factor(tables.DALLY_NODE_NM))
    density = sram_mm2_per_mib(process_nm)
    read, write, distance = {}, {}, {}
    for name, size_kib in buffers.items():
        n_banks = banks.get(name, 1)
        distance[name] = ov.get(f"{DISTANCE_KEY}:{name}", htree_mm(float(size_kib), n_banks, density))
        bank_pj = sram_pj_per_byte_45nm(float(size_kib) / n_banks) * factor
        base = ov.get(f"sram_pj_per_byte:{name}", bank_pj + wire * distance[name])
        read[name] = ov.get(f"sram_read_pj_per_byte:{name}", base)
        write[name] = ov.get(f"sram_write_pj_per_byte:{name}", base)
    flop = tables.PIPELINE_REGISTER_PJ_PER_BIT * factor
    return EnergyParams(
        process_nm=float(process_nm),
        dram_kind=kind,
        energy_factor=factor,
        mac_pj=MappingProxyType(mac),
        vector_op_pj=MappingProxyType(vector),
        register_file_pj_per_byte=ov.get("register_file_pj_per_byte",
                                         tables.REGISTER_FILE_32BIT_PJ / 4 * factor),
        pipeline_register_pj_per_bit=ov.get("pipeline_register_pj_per_bit", flop),
        sram_read_pj_per_byte=MappingProxyType(read),
        sram_write_pj_per_byte=MappingProxyType(write),
        dram_pj_per_byte=ov.get("dram_pj_per_byte", tables.DRAM_PJ_PER_BYTE[kind]),
        wire_pj_per_byte_mm=wire,
        link_pj_per_byte=ov.get("link_pj_per_byte", tables.OFF_CHIP_LINK_PJ_PER_64BIT / 8),
        overridden=tuple(sorted(ov)),
        sram_wire_mm=MappingProxyType(distance),
        accumulator_bits=accumulator_bits,
        products_per_sum=products_per_sum,
    )


def _count(value, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        raise AccelsimError(f"activity count must be a non-negative number, got {value!r}",
                            field=f"activity.{field_name}")
    return value


def _buffer_bytes(params: EnergyParams, counts: Mapping[str, int], field_name: str) -> dict[str, float]:
    out = {}
    for name, count in counts.items():
        if name not in params.sram_read_pj_per_byte:
            raise AccelsimError(
                f"activity names buffer '{name}', which the architecture does not have"
                f"{did_you_mean(name, params.sram_read_pj_per_byte)}; buffers: "
                f"{', '.join(params.sram_read_pj_per_byte) or 'none'}",
                field=f"activity.{field_name}.{name}",
            )
        out[name] = _count(count, f"{field_name}.{name}")
    return out


def energy_by_component(params: EnergyParams, activity: Activity, static_power_w: float,
                        seconds: float) -> dict[str, float]:
    """Energy in joules by component: "compute", "pipeline_registers" (matrix-unit PE flops),
    "register_file", "sram:<buffer>" for every buffer
    of the architecture, "dram", "interconnect" (on-chip wires + chip-to-chip links) and "static"
    (static_power_w in W times seconds). The total is ``sum(result.values())`` (see
    :func:`total_energy_j`)."""
    _count(static_power_w, "static_power_w")
    _count(seconds, "seconds")
    compute_pj = math.fsum(
        [_count(n, f"macs_by_precision.{p}") * params.mac_energy_pj(p)
         for p, n in activity.macs_by_precision.items()]
        + [_count(n, f"vector_ops_by_precision.{p}") * params.vector_op_energy_pj(p)
           for p, n in activity.vector_ops_by_precision.items()]
    )
    reads = _buffer_bytes(params, activity.sram_read_bytes, "sram_read_bytes")
    writes = _buffer_bytes(params, activity.sram_write_bytes, "sram_write_bytes")
    result = {
        "compute": compute_pj * PJ,
        "pipeline_registers": _count(activity.pipeline_register_bits, "pipeline_register_bits")
        * params.pipeline_register_pj_per_bit * PJ,
        "register_file": _count(activity.register_file_bytes, "register_file_bytes")
        * params.register_file_pj_per_byte * PJ,
    }
    for name in params.sram_read_pj_per_byte:
        result[f"sram:{name}"] = (reads.get(name, 0) * params.sram_read_pj_per_byte[name]
                                  + writes.get(name, 0) * params.sram_write_pj_per_byte[name]) * PJ
    result["dram"] = _count(activity.dram_bytes, "dram_bytes") * params.dram_pj_per_byte * PJ
    result["interconnect"] = (_count(activity.wire_byte_mm, "wire_byte_mm") * params.wire_pj_per_byte_mm
                              + _count(activity.link_bytes, "link_bytes") * params.link_pj_per_byte) * PJ
    result["static"] = float(static_power_w) * float(seconds)
    return {name: float(value) for name, value in result.items()}


def total_energy_j(breakdown: Mapping[str, float]) -> float:
    """The total of a breakdown from :func:`energy_by_component`: the plain sum of its values in
    order, so a report's total equals the sum of the components it shows."""
    return sum(breakdown.values())
