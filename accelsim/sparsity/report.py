"""The ``extra["sparsity"]`` section of a run: effective vs dense-equivalent throughput, bytes saved
by compression (metadata included), MAC energy saved by skipping vs gating, imbalance stalls.

Everything is derived from the sparse Program (its SparseGemmWork and CompressedTransfer records)
and the run's result; nothing is re-simulated.
"""
from __future__ import annotations

from ..costs.energy import PJ
from ..lower.work import Program
from ..report.build import TaskPricer, run_energy_by_component
from ..spec.arch import ArchSpec
from .program import CompressedTransfer, SparseGemmWork


def _hardware_summary(arch: ArchSpec) -> dict | None:
    hw = arch.sparsity
    if hw is None:
        return None
    return {
        "weight_format": hw.weight_format.format, "activation_format": hw.activation_format.format,
        "gating": hw.gating, "skipping": hw.skipping,
        "structured": None if hw.structured is None else f"{hw.structured.n}:{hw.structured.m}",
        "lanes": hw.lanes or (arch.matrix_unit.rows if arch.matrix_unit else None),
        "broadcast_operand": hw.broadcast_operand, "queue_depth": hw.queue_depth,
    }


def sparsity_report(program: Program, arch: ArchSpec, result) -> dict:
    """A JSON-ready dictionary for ``result.extra["sparsity"]``.

    ``program``: the output of :func:`~accelsim.sparsity.program.apply_sparsity`; ``result``: the
    RunResult built from it (its layers in program order, its seconds). Units are in the keys.
    """
    pricer = TaskPricer(arch, program.precision)  # the energies the run itself was priced with
    mac_pj = pricer.params.mac_energy_pj(pricer.prec.name)
    by_name = {layer.name: layer for layer in result.layers}
    layers = []
    dense_macs = effective_macs = 0
    skipped_j = gated_j = 0.0
    stall_cycles = 0
    weights = {"dense_bytes": 0, "data_bytes": 0, "metadata_bytes": 0}
    acts = {"dense_bytes": 0, "data_bytes": 0, "metadata_bytes": 0}
    for task in program.tasks:
        for tr in task.loads + task.stores:
            if isinstance(tr, CompressedTransfer):
                acts["dense_bytes"] += tr.dense_nbytes
                acts["data_bytes"] += tr.data_nbytes
                acts["metadata_bytes"] += tr.metadata_nbytes
        g = task.gemm
        if not isinstance(g, SparseGemmWork) or g.effect is None:
            if g is not None:
                dense_macs += task.macs
                effective_macs += task.macs
            continue
        e = g.effect
        task_dense = e.dense_macs * g.count
        dense_macs += task_dense
        effective_macs += task.macs
        skipped_j += task_dense * e.skipped_fraction * mac_pj * PJ
        gated_j += task_dense * e.gated_fraction * mac_pj * PJ
        compute = by_name[task.name].cycles_by_cause.get("compute", 0) if task.name in by_name else 0
        stall = round(compute * (1.0 - 1.0 / e.imbalance_cycle_factor)) if e.imbalance_cycle_factor > 1 else 0
        stall_cycles += stall
        weights["dense_bytes"] += g.dense_weight_bytes * g.count
        weights["data_bytes"] += g.weight_data_bytes * g.count
        weights["metadata_bytes"] += g.weight_metadata_bytes * g.count
        layers.append({
            "name": task.name, "weight_density": g.weight_density, "activation_density": g.activation_density,
            "cycle_factor": round(e.cycle_factor, 6), "imbalance_cycle_factor": round(e.imbalance_cycle_factor, 6),
            "mac_energy_factor": round(e.mac_energy_factor, 6), "structured": e.structured,
            "dense_macs": task_dense, "effective_macs": task.macs, "imbalance_stall_cycles": stall,
            "weight_dense_bytes": g.dense_weight_bytes * g.count,
            "weight_compressed_bytes": (g.weight_data_bytes + g.weight_metadata_bytes) * g.count,
            "notes": list(e.notes),
        })
    for part in (weights, acts):
        part["saved_bytes"] = part["dense_bytes"] - part["data_bytes"] - part["metadata_bytes"]
    seconds = result.totals.seconds
    return {
        "hardware": _hardware_summary(arch),
        "dense_macs": dense_macs,
        "effective_macs": effective_macs,
        "effective_tops": (2 * effective_macs / seconds / 1e12) if seconds else 0.0,
        "dense_equivalent_tops": (2 * dense_macs / seconds / 1e12) if seconds else 0.0,
        "weights": weights,
        "activations_dram": acts,
        "mac_energy_j": {
            "dense": dense_macs * mac_pj * PJ, "spent": effective_macs * mac_pj * PJ,
            "saved_by_skipping": skipped_j, "saved_by_gating": gated_j,
        },
        "imbalance_stall_cycles": stall_cycles,
        "layers": layers,
    }


def energy_breakdown(program: Program, arch: ArchSpec, engine) -> dict[str, float]:
    """Energy in joules by component of the run of ``program`` (``engine``: its EngineResult),
    with the sparse buffer-byte counts of :func:`~accelsim.sparsity.program.adjust_activity`:
    exactly the run's ``totals.energy_j_by_component`` (report/build.py prices both, including
    an LNS SIMD grid's own per-action energies)."""
    return run_energy_by_component(arch, program, engine)
