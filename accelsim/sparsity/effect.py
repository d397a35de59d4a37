"""What sparsity does to one GEMM on one matrix unit: a cycle factor and a MAC-energy factor.

Pure function of frozen inputs. The factors apply to the GEMM's streaming (compute) cycles and to
its MAC energy; fold overheads (weight fetch, shift, fill/drain skew) are left to the engine, so a
2x faster stream is at most 2x faster end to end.

Per operand, following Sparseloop (systems.md):

- **skipping** zeros of an operand removes their cycles and their energy: the stream scales by the
  operand's density;
- **gating** keeps the cycle and saves the energy;
- a **structured unit** ({n: 2, m: 4}) runs N:M weights at M/N times the math rate: exactly 2x for
  2:4, however sparse the weights are beyond that, and only when the tensor's pattern fits
  (same M, at most N kept);
- **imbalance**: lanes that skip independently wait for the busiest at each synchronisation. Zeros
  of the operand every lane shares (``broadcast_operand``) are skipped by all lanes together and cost
  none; zeros of the lane-private operand give each lane Binomial(slots, density) work, and the
  stream stretches by E[max over lanes] / mean (imbalance.py). N:M and block structure balance the
  work (a block of k x k zeros moves k lanes together).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..engine.dataflow import spatial_temporal
from ..errors import AccelsimError
from .config import UNSTRUCTURED, SparsityStructure
from .imbalance import imbalance_factor
from .spec import SparsityHardwareSpec


@dataclass(frozen=True)
class SparseGemmEffect:
    """Factors sparsity applies to one GEMM (relative to the same GEMM dense on the same unit)."""

    #: streaming cycles relative to dense: density_cycle_factor x imbalance_cycle_factor (<= 1)
    cycle_factor: float
    #: the part from skipped work alone (perfect balance)
    density_cycle_factor: float
    #: the stretch from the busiest lane (>= 1; 1 with no unstructured skipping of private zeros)
    imbalance_cycle_factor: float
    #: MAC energy relative to dense (1 - skipped_fraction - gated_fraction)
    mac_energy_factor: float
    #: MACs that spend energy (dense MACs x mac_energy_factor, rounded)
    effective_macs: int
    dense_macs: int
    #: fraction of dense MACs skipped (no cycle, no energy) and gated (cycle kept, no energy)
    skipped_fraction: float
    gated_fraction: float
    structured: bool  # the structured unit ran this GEMM
    notes: tuple[str, ...] = ()


def _check_density(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
        raise AccelsimError(f"{name} must be a density in (0, 1], got {value!r}", field=name)
    return float(value)


def queue_window_items(queue_depth: int, slots_per_item: float, density: float, items: float) -> float:
    """Broadcast items over which lanes behind a queue of ``queue_depth`` items effectively balance.

    The gap between two lanes is a random walk: per item each gains Binomial(slots, density) cycles
    of work, so the gap in cycles drifts by sqrt(slots d (1 - d)) per item and needs about
    (Q x slots x d)^2 / (slots d (1 - d)) = Q^2 slots d / (1 - d) items to overrun a queue of Q
    items of mean work. Checked against the cycle-by-cycle model (tests/test_sparsity_pe_model.py):
    within ~5 % for Q >= 4, conservative (up to ~40 % high) for Q = 1
    at low density. Never more than the run's items.
    """
    if density >= 1.0:
        return float(min(items, queue_depth))
    window = max(float(queue_depth), queue_depth * queue_depth * slots_per_item * density / (1.0 - density))
    return float(max(1.0, min(items, window)))


def structured_fits(structure: SparsityStructure, hw: SparsityHardwareSpec | None) -> bool:
    """True when ``structure`` is an N:M pattern the structured unit of ``hw`` can run."""
    if hw is None or hw.structured is None or structure.kind != "nm":
        return False
    n_hw, m_hw = hw.structured_pattern
    return structure.m == m_hw and structure.n <= n_hw


def sparse_gemm_effect(gemm_m: int, gemm_k: int, gemm_n: int, rows: int, cols: int, dataflow: str,
                       weight_density: float, act_density: float, hw: SparsityHardwareSpec | None,
                       structure: SparsityStructure = UNSTRUCTURED) -> SparseGemmEffect:
    """Cycle and MAC-energy factors of an (m x k) . (k x n) GEMM with the given operand densities on
    a ``rows`` x ``cols`` matrix unit with ``dataflow`` and sparsity hardware ``hw`` (None: dense
    hardware, factors 1). ``structure`` is how the weight zeros are arranged."""
    for name, v in (("gemm_m", gemm_m), ("gemm_k", gemm_k), ("gemm_n", gemm_n), ("rows", rows), ("cols", cols)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise AccelsimError(f"{name} must be a positive integer, got {v!r}", field=name)
    dw = _check_density("weight_density", weight_density)
    da = _check_density("act_density", act_density)
    dense_macs = gemm_m * gemm_k * gemm_n
    if hw is None:
        return SparseGemmEffect(1.0, 1.0, 1.0, 1.0, dense_macs, dense_macs, 0.0, 0.0, False,
                                ("dense hardware: zeros cost like any value",))
    notes: list[str] = []
    structured = structured_fits(structure, hw)
    # weights: fraction of dense slots that take a cycle, and that spend energy
    if structured:
        n_hw, m_hw = hw.structured_pattern
        w_cycle = n_hw / m_hw
        w_energy = dw if hw.gates("weights") else w_cycle
        notes.append(f"structured {n_hw}:{m_hw} unit: weights stream at {m_hw / n_hw:g}x the math rate")
    else:
        if structure.kind == "nm" and hw.structured is not None:
            notes.append(f"{structure} weights do not fit the {hw.structured.n}:{hw.structured.m} unit: "
                         "run as unstructured")
        w_cycle = dw if hw.skips("weights") else 1.0
        w_energy = dw if hw.gates("weights") else 1.0
    a_cycle = da if hw.skips("activations") else 1.0
    a_energy = da if hw.gates("activations") else 1.0
    density_cycle = w_cycle * a_cycle
    energy = w_energy * a_energy

    # imbalance from the lane-private operand's zeros
    imbalance = 1.0
    private = "weights" if hw.broadcast_operand == "activations" else "activations"
    shared = "activations" if private == "weights" else "weights"
    private_skipped = hw.skips(private) and not (private == "weights" and structured)
    balanced = private == "weights" and structure.kind == "nm"
    shared_cycle = w_cycle if shared == "weights" else a_cycle
    d_private = dw if private == "weights" else da
    lanes = hw.lanes or rows
    floor = 0.0
    if hw.queue_depth is not None:
        # broadcast design (EIE): lane p owns outputs p, p + lanes, ... of the private operand's
        # free dimension; every broadcast item brings it per_item dense slots and takes >= 1 cycle
        free, reduced = (gemm_n, gemm_m) if private == "weights" else (gemm_m, gemm_n)
        per_item = math.ceil(free / lanes)
        items = gemm_k * reduced * shared_cycle
        floor = shared_cycle / per_item
    if private_skipped and not balanced:
        block = structure.block if (private == "weights" and structure.kind == "block") else 1
        groups = max(1, math.ceil(lanes / block))
        if hw.queue_depth is None:
            # lanes synchronise at the end of each fold's stream
            trials = spatial_temporal(dataflow, gemm_m, gemm_k, gemm_n)[2] * shared_cycle / block
        else:
            trials = queue_window_items(hw.queue_depth, per_item, d_private, items) * per_item / block
        imbalance = imbalance_factor(groups, trials, d_private)
        if imbalance > 1.0:
            notes.append(f"imbalance: {groups} lanes x Binomial({trials:.0f}, {d_private:g}) "
                         f"per sync -> busiest lane {imbalance:.3f}x the mean")
    elif balanced and private_skipped:
        notes.append(f"{structure} weights give every lane the same work: no imbalance")
    if floor > density_cycle * imbalance:
        notes.append(f"issue-bound: one broadcast item per cycle, {floor:.3f} of the dense cycles")
    cycle_factor = min(1.0, max(density_cycle * imbalance, floor))
    skipped = 1.0 - density_cycle
    gated = max(0.0, density_cycle - energy)
    return SparseGemmEffect(
        cycle_factor=cycle_factor, density_cycle_factor=density_cycle, imbalance_cycle_factor=imbalance,
        mac_energy_factor=energy, effective_macs=round(dense_macs * energy), dense_macs=dense_macs,
        skipped_fraction=skipped, gated_fraction=gated, structured=structured, notes=tuple(notes))
