"""Compiled kernels built from the top-level ``cython/`` sources (see setup.py).

Each kernel has a pure-Python twin elsewhere in the package; tests compare the two.
"""
