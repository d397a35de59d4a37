"""Public entry point: ``simulate(arch, workload, ...) -> RunResult``.

spec + workload -> lowering -> engine (units, memory) -> costs -> report, in one call.
"""
from __future__ import annotations

import dataclasses

from .errors import AccelsimError
from .guards import MAX_BATCH, MAX_LAYERS, check_program
from .report.results import RunResult
from .spec.arch import ArchSpec
from .workload.graph import Workload

__all__ = ["MAX_LAYERS", "simulate"]


def simulate(arch: str | ArchSpec, workload: str | Workload, batch: int | None = None, precision: str | None = None,
             overrides: tuple[str, ...] | list[str] = (), settings: dict | None = None,
             sparsity=None, mode: str = "inference", optimizer: str = "sgd") -> RunResult:
    """Simulate ``workload`` on ``arch``.

    ``arch``: a shipped name, a YAML path or an ArchSpec; ``overrides``: ``field.path=value``
    strings applied to the arch; ``workload``: a built-in name, a file path or a Workload;
    ``batch``: overrides the workload's default batch; ``settings``: size parameters of a
    built-in workload (e.g. ``{"seq_len": 384}``); ``precision``: operand precision (default:
    the arch's); ``sparsity``: a SparsityConfig or a ``--sparsity`` string such as
    ``"weights=0.9,activations=0.5"`` (fractions of zeros) applied after lowering; ``mode``:
    ``"inference"`` or ``"training"`` (one step: forward, backward and the ``optimizer`` update,
    sgd, momentum or adam).
    """
    from .engine.simulator import simulate_program
    from .lower.lowering import lower
    from .report.build import build_result
    from .spec.loader import load_arch
    from .workload.registry import load_workload

    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH):
        raise AccelsimError(f"batch must be an integer from 1 to {MAX_BATCH:,}, got {batch!r}", field="--batch")
    spec = arch if isinstance(arch, ArchSpec) else load_arch(arch, tuple(overrides))
    if isinstance(workload, Workload):
        graph = workload
    else:
        graph = load_workload(workload, batch, settings)
    if mode not in ("inference", "training"):
        raise AccelsimError(f"mode must be 'inference' or 'training', got {mode!r}", field="--mode")
    if mode == "training":
        from .workload.training import to_training

        graph = to_training(graph, optimizer)
    if len(graph.layers) > MAX_LAYERS:
        raise AccelsimError(f"workload has {len(graph.layers)} layers; at most {MAX_LAYERS} are simulated", field="--workload")
    program = lower(graph, spec, precision)
    check_program(program, spec, graph.source)  # refuse runs of absurd length before the engine starts
    if any(layer.phase != "forward" for layer in graph.layers):
        # a training graph, whether built here (mode="training") or passed in ready-made (as
        # `accelsim train` does): its weights and gradients stay on the device either way
        from .lower.memory_plan import keep_training_state_on_device

        program = keep_training_state_on_device(program, graph)
    if sparsity is not None:
        from .sparsity.config import parse_sparsity
        from .sparsity.program import apply_sparsity

        sparsity = parse_sparsity(sparsity) if isinstance(sparsity, str) else sparsity
        program = apply_sparsity(program, spec, sparsity, graph)
    engine = simulate_program(program, spec)
    result = build_result(spec, graph, program, engine)
    if sparsity is not None:
        from .sparsity.report import sparsity_report

        result = dataclasses.replace(result, extra={**result.extra, "sparsity": sparsity_report(program, spec, result)})
    return result
