"""Lowering: a workload graph + an architecture -> a program of tasks on units (see lowering.py)."""
