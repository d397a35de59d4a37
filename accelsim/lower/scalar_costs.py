"""Scalar/control-unit work of one task: instruction issue, loop overhead, configuration, sync.

The engine's issue stage runs the scalar unit ahead of execution in program order, taking
``scalar_instructions × cpi`` cycles per task. This module counts those instructions:

- ``instructions_per_layer`` to set the layer up;
- ``instructions_per_tile`` for each stationary tile (fold) of the matrix unit: loop and address
  control, the weight-load and multiply instructions;
- ``instructions_per_vector_tile`` for each vector register (lanes × sublanes elements) of vector
  work that the vector unit's own issue slots do not cover;
- configuration: ``config_registers_per_layer × cycles_per_config_register`` cycles (NVDLA programs
  each hardware layer through CSB register writes; its registers are double-buffered, so this
  overlaps the previous layer exactly as the issue stage runs ahead);
- synchronisation: ``sync_cycles`` per producer that ran on another unit (a fence or an interrupt
  round trip before the consumer may start).

Cycles that are not instructions are converted at the unit's CPI, so the engine's
``instructions × cpi`` gives them back; with ``cpi = 0`` issue is free and so are they.
"""
from __future__ import annotations

import math

from ..spec.arch import ScalarUnitSpec


def scalar_instructions(su: ScalarUnitSpec, *, folds: int, vector_element_ops: int, vector_width: int,
                        cross_unit_producers: int) -> float:
    """Instructions (cycle-equivalents at ``su.cpi``) the scalar unit issues for one task."""
    instructions = su.instructions_per_layer + su.instructions_per_tile * folds
    if vector_width > 0 and vector_element_ops > 0:
        instructions += su.instructions_per_vector_tile * math.ceil(vector_element_ops / vector_width)
    extra_cycles = su.config_registers_per_layer * su.cycles_per_config_register + su.sync_cycles * cross_unit_producers
    if su.cpi > 0:
        instructions += extra_cycles / su.cpi
    return instructions
