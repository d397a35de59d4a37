"""accelsim: a cycle-level simulator of deep-learning accelerators.

Data flow: spec + workload -> lowering -> engine (units, memory, interconnect) -> costs -> report.
The public entry point is :func:`accelsim.api.simulate`; importing this package stays cheap.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
