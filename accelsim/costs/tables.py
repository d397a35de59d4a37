"""Published per-operation energies and areas the cost model is built from, with their sources.

Status letters follow docs/energy_and_precision.md: V read in the primary text or a figure that
reproduces it, V2 read in a secondary copy, M recalled and not verified here (treated as an
estimate), E an estimate made for accelsim.

All values are immutable (tuples or read-only mappings).
"""
from __future__ import annotations

from types import MappingProxyType

HOROWITZ_NODE_NM = 45.0
"""Horowitz, "Computing's Energy Problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V."""

# Energy per operation in pJ at 45 nm (Horowitz 2014; reproduced in Han et al. arXiv:1506.02626 Fig. 1).
INT_ADD_PJ = MappingProxyType({8: 0.03, 16: 0.05, 32: 0.1})  # V2, V2, V
INT_MULT_PJ = MappingProxyType({8: 0.2, 32: 3.1})  # V2, V
FLOAT_ADD_PJ = MappingProxyType({"fp16": 0.4, "fp32": 0.9})  # V2, V
FLOAT_MULT_PJ = MappingProxyType({"fp16": 1.1, "fp32": 3.7})  # V2, V
REGISTER_FILE_32BIT_PJ = 1.0  # V: 32-bit register-file access
# SRAM 64-bit access energy by capacity in bytes (8 KB V, 32 KB V2, 1 MB V2); KB read as KiB.
SRAM_64BIT_ACCESS_PJ = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))
DRAM_32BIT_ACCESS_PJ = 640.0  # V: DDR3-class DRAM, 32-bit access

# Area per operator in um^2 at 45 nm (Horowitz 2014, area column). Status M: recalled. They agree
# with the TPU v1 paper's ratios (8-bit int multiply ~6x less area than fp16, add ~38x less:
# 1640/282 = 5.8, 1360/36 = 37.8), which is the check we rely on.
INT_ADD_UM2 = MappingProxyType({8: 36.0, 32: 137.0})
INT_MULT_UM2 = MappingProxyType({8: 282.0, 32: 3495.0})
FLOAT_ADD_UM2 = MappingProxyType({"fp16": 1360.0, "fp32": 4184.0})
FLOAT_MULT_UM2 = MappingProxyType({"fp16": 1640.0, "fp32": 7700.0})

# Dally / NVIDIA at 28 nm (quoted in BMC Bioinformatics 19:2389 (2018), Table 7), V2.
DALLY_NODE_NM = 28.0
WIRE_PJ_PER_BIT_MM = 0.2
OFF_CHIP_LINK_PJ_PER_64BIT = 500.0
DALLY_DRAM_CACHE_LINE_PJ = 16_000.0  # cross-check only: 250 pJ/B for a 64-byte line

# Pipeline register (flip-flop) energy per bit latched. Aladdin's 40 nm, 1 GHz tables (Shao et al.,
# "Aladdin", ISCA 2014), as shipped in Accelergy's/hwcomponents' Aladdin plug-in: register
# "40nm,1e-9,1,0.009,...,read" = 0.009 pJ per bit; 32-bit add "40nm,1e-9,32,0.21,...,add" =
# 0.21 pJ (V2). Aladdin prices the 32-bit add 2.1x (2.4x at equal node) higher than Horowitz, so
# accelsim keeps Aladdin's RATIO (a latched bit = 0.009 / 0.21 = 0.043 of a 32-bit add) and prices
# it on Horowitz's 32-bit add, the scale of every other logic energy here: 4.3 fJ per bit at 45 nm (D).
ALADDIN_REGISTER_PJ_PER_BIT = 0.009
ALADDIN_INT32_ADD_PJ = 0.21
PIPELINE_REGISTER_PJ_PER_BIT = ALADDIN_REGISTER_PJ_PER_BIT / ALADDIN_INT32_ADD_PJ * INT_ADD_PJ[32]  # 45 nm

# DRAM energy per byte by interface kind. It is set by the DRAM process and the I/O, not by the
# accelerator's logic node, so it never scales with process_nm.
DDR_CLASS_PJ_PER_BYTE = DRAM_32BIT_ACCESS_PJ / 4  # 160 pJ/B = 20 pJ/bit (Horowitz, V)
HBM_ADVANTAGE = 3.5  # E: energy.md "HBM roughly 3-4x cheaper per bit than DDR"; midpoint
DRAM_PJ_PER_BYTE = MappingProxyType({
    "ddr3": DDR_CLASS_PJ_PER_BYTE,  # V (Horowitz)
    "ddr4": DDR_CLASS_PJ_PER_BYTE,  # E: same class as DDR3
    "lpddr4": DDR_CLASS_PJ_PER_BYTE,  # E
    "gddr5": DDR_CLASS_PJ_PER_BYTE,  # E: grouped with DDR as in energy.md
    "gddr6": DDR_CLASS_PJ_PER_BYTE,  # E
    "hbm": DDR_CLASS_PJ_PER_BYTE / HBM_ADVANTAGE,  # E
    "hbm2": DDR_CLASS_PJ_PER_BYTE / HBM_ADVANTAGE,  # E
    "hbm2e": DDR_CLASS_PJ_PER_BYTE / HBM_ADVANTAGE,  # E
    "hbm3": DDR_CLASS_PJ_PER_BYTE / HBM_ADVANTAGE,  # E
    "hbm3e": DDR_CLASS_PJ_PER_BYTE / HBM_ADVANTAGE,  # E
})
