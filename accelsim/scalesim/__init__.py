"""SCALE-Sim v2 compatibility mode: its config and topology files in, its three reports out.

``config`` parses the .cfg (INI) file, ``topology`` the layer CSV, ``model`` computes one layer's
report fields (CALC mode: exact; USER mode: the buffer model of docs/scalesim_differences.md) with
the Cython kernel in ``accelsim._native.systolic``, and ``reports`` writes SCALE-Sim's CSV files.
"""
