"""Design-space sweeps: many (arch overrides x workload x batch x precision) points, run in
parallel, stored in SQLite, exported and reduced to a Pareto front.

Stages, one module each:
spec.py (YAML sweep spec -> SweepSpec) -> points.py (grid/zip/random expansion, point configs and
their hashes; keys.py holds the hashing) -> prepare.py (validate every point up front, area,
pre-run constraints) -> runner.py (executors.py: process pool or Dask; worker.py: one point ->
one outcome; store.py: SQLite, one transaction per finished point, and the claims by which runs
on one database split the points) -> metrics.py, pareto.py, export.py, plot.py (reading a
finished sweep back).

``docs/sweeps.md`` is the user guide.
"""
