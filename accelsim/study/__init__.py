"""Accuracy studies of numeric formats: a small MLP trained under emulated arithmetic
(see ``precision_study``). Importing this package is cheap; the heavy parts import on use."""
