"""Workloads: a graph of typed operators with shapes (ops.py, graph.py), built-in networks (zoo/),
the YAML format (yaml_format.py) and the lookup of a workload by name or path (registry.py)."""
