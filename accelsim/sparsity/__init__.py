"""Sparsity: sparse workloads, sparse-hardware options and what they do to cycles, bytes and energy.

The stage sits between the lowering and the engine (docs/sparsity.md):

    program = lower(graph, arch)                      # dense tasks
    program = apply_sparsity(program, arch, config)   # sparsity/program.py
    engine  = simulate_program(program, arch)         # unchanged engine

Modules, one job each:

- ``spec.py``: the arch YAML ``sparsity:`` section (formats, gating, skipping, structured unit).
- ``config.py``: the workload side (densities, structure) and the ``--sparsity`` string parser.
- ``formats.py``: compressed size of a tensor per storage format (expected and exact).
- ``prune.py``: numpy pruning (magnitude, N:M, block) producing real sparse tensors.
- ``imbalance.py``: the expected slowest lane under unstructured skipping.
- ``effect.py``: ``sparse_gemm_effect``, the per-GEMM cycle and energy factors.
- ``program.py``: ``apply_sparsity`` and ``adjust_activity`` (the engine-facing records).
- ``pe_model.py``: a cycle-by-cycle sparse PE array (twin of ``cython/sparse_pe.pyx``).
- ``report.py``: the ``extra["sparsity"]`` dictionary of a run.

This package imports nothing at package level so that ``spec/arch.py`` can import ``spec.py``.
"""
