"""SCALE-Sim v2 ``.cfg`` files (INI; key names case-insensitive, section names exact).

Only the keys SCALE-Sim v2 reads are interpreted; others (``MemoryBanks``, v3 sections) are
accepted and ignored, as SCALE-Sim does. Every problem is an :class:`AccelsimError` naming the
file, the line and the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import AccelsimError, Location

DATAFLOWS = ("os", "ws", "is")


@dataclass(frozen=True)
class ScaleSimConfig:
    """One SCALE-Sim architecture. SRAM sizes in kB of 1-byte words (words = kB * 1024)."""

    run_name: str
    array_rows: int
    array_cols: int
    ifmap_sram_kb: int
    filter_sram_kb: int
    ofmap_sram_kb: int
    dataflow: str
    bandwidth_mode: str  # "CALC" or "USER"
    bandwidth_words_per_cycle: int  # first value of Bandwidth; used in USER mode only
    ifmap_offset: int = 0
    filter_offset: int = 10000000
    ofmap_offset: int = 20000000

    @property
    def ifmap_sram_words(self) -> int:
        return self.ifmap_sram_kb * 1024

    @property
    def filter_sram_words(self) -> int:
        return self.filter_sram_kb * 1024

    @property
    def ofmap_sram_words(self) -> int:
        return self.ofmap_sram_kb * 1024


_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^\s*([^:=\s][^:=]*?)\s*[:=]\s*(.*?)\s*$")


def _parse_ini(text: str, file: str) -> dict[tuple[str, str], tuple[str, int, int]]:
    """(section, lower-case key) -> (value, line, column of the value)."""
    values: dict[tuple[str, str], tuple[str, int, int]] = {}
    section = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        match = _SECTION.match(line)
        if match:
            section = match.group(1).strip()
            continue
        match = _KEY.match(line)
        if match is None:
            raise AccelsimError(f"cannot parse line {stripped!r}; expected 'key : value' or "
                                "'[section]'", Location(file, number, 1))
        if section is None:
            raise AccelsimError("key before the first [section]", Location(file, number, 1),
                                field=match.group(1))
        value = match.group(2)
        if (section, match.group(1).lower()) in values:  # configparser (SCALE-Sim's reader) refuses these too
            raise AccelsimError(f"duplicate key (first given at line {values[(section, match.group(1).lower())][1]})",
                                Location(file, number, 1), field=f"{section}.{match.group(1)}")
        values[(section, match.group(1).lower())] = (value, number, match.start(2) + 1)
    return values


def load_config(path: str | Path) -> ScaleSimConfig:
    """Read a SCALE-Sim v2 config file."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AccelsimError(f"cannot read config: {exc.strerror or exc}", Location(file)) from None
    except UnicodeDecodeError as exc:  # binary or another encoding: a bad input, not a crash
        raise AccelsimError(f"not UTF-8 text (byte {exc.start})", Location(file)) from None
    return parse_config(text, file)


def parse_config(text: str, file: str = "<config>") -> ScaleSimConfig:
    """Parse the text of a SCALE-Sim v2 config file."""
    values = _parse_ini(text, file)

    def raw(section: str, key: str) -> tuple[str, int, int]:
        found = values.get((section, key.lower()))
        if found is None:
            raise AccelsimError(f"missing key {key!r} in section [{section}]", Location(file),
                                field=f"{section}.{key}")
        return found

    def integer(section: str, key: str, minimum: int) -> int:
        value, line, col = raw(section, key)
        try:
            number = int(value)
        except ValueError:
            raise AccelsimError(f"expected an integer, got {value!r}", Location(file, line, col),
                                field=f"{section}.{key}") from None
        if number < minimum:
            raise AccelsimError(f"must be at least {minimum}, got {number}",
                                Location(file, line, col), field=f"{section}.{key}")
        if number > 10**12:  # guard: the native kernel counts in 64-bit integers
            raise AccelsimError(f"must be at most 10^12, got {number}", Location(file, line, col),
                                field=f"{section}.{key}")
        return number

    run_name, line, col = raw("general", "run_name")
    if (not run_name or run_name in (".", "..") or any(c in run_name for c in "/\\")
            or not run_name.isprintable()):
        raise AccelsimError(f"expected a folder name for the reports (no '/', '\\', '.' or '..'), got {run_name!r}",
                            Location(file, line, col), field="general.run_name")
    mode, line, col = raw("run_presets", "InterfaceBandwidth")
    if mode not in ("CALC", "USER"):
        raise AccelsimError(f"expected CALC or USER, got {mode!r}", Location(file, line, col),
                            field="run_presets.InterfaceBandwidth")
    dataflow, line, col = raw("architecture_presets", "Dataflow")
    if dataflow not in DATAFLOWS:
        raise AccelsimError(f"expected one of os, ws, is, got {dataflow!r}",
                            Location(file, line, col), field="architecture_presets.Dataflow")
    bandwidth = 0
    if mode == "USER":
        value, line, col = raw("architecture_presets", "Bandwidth")
        first = value.split(",")[0].strip()
        try:
            bandwidth = int(first)
        except ValueError:
            raise AccelsimError(f"expected an integer number of words/cycle, got {first!r}",
                                Location(file, line, col),
                                field="architecture_presets.Bandwidth") from None
        if bandwidth < 1:
            raise AccelsimError(f"must be at least 1 word/cycle, got {bandwidth}",
                                Location(file, line, col), field="architecture_presets.Bandwidth")
        if bandwidth > 10**12:  # guard: the native kernel counts in 64-bit integers
            raise AccelsimError(f"must be at most 10^12 words/cycle, got {bandwidth}",
                                Location(file, line, col), field="architecture_presets.Bandwidth")
    arch = "architecture_presets"
    return ScaleSimConfig(
        run_name=run_name,
        array_rows=integer(arch, "ArrayHeight", 1),
        array_cols=integer(arch, "ArrayWidth", 1),
        ifmap_sram_kb=integer(arch, "IfmapSramSzkB", 1),
        filter_sram_kb=integer(arch, "FilterSramSzkB", 1),
        ofmap_sram_kb=integer(arch, "OfmapSramSzkB", 1),
        dataflow=dataflow,
        bandwidth_mode=mode,
        bandwidth_words_per_cycle=bandwidth,
        ifmap_offset=integer(arch, "IfmapOffset", 0),
        filter_offset=integer(arch, "FilterOffset", 0),
        ofmap_offset=integer(arch, "OfmapOffset", 0),
    )
