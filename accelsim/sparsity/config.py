"""The workload side of sparsity: how dense each tensor is and how its zeros are arranged.

``--sparsity`` takes comma-separated ``key=value`` pairs. **Sparsity** is the fraction of zeros,
**density** the fraction of non-zeros (density = 1 - sparsity); both spellings are accepted so
that ``weights=0.9`` (90 % of the weights are zero, the way pruning papers speak) and
``weight_density=0.1`` mean the same thing:

    weights=0.9                  weight sparsity (fraction of zeros)
    weight_density=0.1           the same, as a density
    activations=0.5              sparsity of activations fed to a GEMM (not after a ReLU)
    activation_density=0.5
    relu_activations=0.6         sparsity of activations produced by a ReLU (default: activations=)
    relu_activation_density=0.4
    structure=2:4                unstructured (default) | N:M (N kept in every M) | block4 | block4x4
    fc6.weights=0.91             a per-layer override (any key above except structure, after LAYER.)

Graph inputs (the image, token ids) are dense unless a layer override says otherwise.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import AccelsimError, Location, did_you_mean
from .spec import parse_nm

STRUCTURE_KINDS = ("unstructured", "nm", "block")
_BLOCK = re.compile(r"^block\s*(\d{1,4})(?:\s*x\s*(\d{1,4}))?$")


@dataclass(frozen=True)
class SparsityStructure:
    """How zeros are arranged in the weights: anywhere, N kept in every M, or whole k x k blocks."""

    kind: str = "unstructured"  # one of STRUCTURE_KINDS
    n: int = 0  # nm: values kept per group
    m: int = 0  # nm: group size
    block: int = 1  # block: edge of the square zero block

    def __post_init__(self) -> None:
        if self.kind not in STRUCTURE_KINDS:
            raise AccelsimError(f"unknown structure kind {self.kind!r}; expected one of {', '.join(STRUCTURE_KINDS)}")
        if self.kind == "nm" and not (1 <= self.n < self.m <= 64):
            raise AccelsimError(f"N:M structure needs 1 <= N < M <= 64, got {self.n}:{self.m}")
        if self.kind == "block" and not 1 <= self.block <= 4096:
            raise AccelsimError(f"block size must be 1..4096, got {self.block}")

    @property
    def max_density(self) -> float:
        """Highest weight density the structure allows (N/M for N:M, 1 otherwise)."""
        return self.n / self.m if self.kind == "nm" else 1.0

    def __str__(self) -> str:
        if self.kind == "nm":
            return f"{self.n}:{self.m}"
        if self.kind == "block":
            return f"block{self.block}x{self.block}"
        return "unstructured"


UNSTRUCTURED = SparsityStructure()


@dataclass(frozen=True)
class LayerSparsity:
    """Densities for one named layer; None keeps the run-wide default."""

    layer: str
    weight_density: float | None = None
    activation_density: float | None = None


@dataclass(frozen=True)
class SparsityConfig:
    """Per-tensor densities of a run (1.0 = dense) and the structure of the weight zeros."""

    weight_density: float = 1.0
    activation_density: float = 1.0
    #: density of activations produced by a ReLU; None: ``activation_density``
    relu_activation_density: float | None = None
    structure: SparsityStructure = UNSTRUCTURED
    layers: tuple[LayerSparsity, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("weight_density", "activation_density", "relu_activation_density"):
            _check_density(getattr(self, name), name, allow_none=name == "relu_activation_density")
        for item in self.layers:
            _check_density(item.weight_density, f"{item.layer}.weight_density", allow_none=True)
            _check_density(item.activation_density, f"{item.layer}.activation_density", allow_none=True)
        limit = self.structure.max_density
        for where, d in [("weight_density", self.weight_density)] + [
                (f"{i.layer}.weight_density", i.weight_density) for i in self.layers if i.weight_density is not None]:
            if d > limit + 1e-12 and not (where == "weight_density" and d == 1.0):
                raise AccelsimError(f"{self.structure} structure keeps at most {limit:g} of the weights; "
                                    f"a weight density of {d:g} does not fit it", field=f"--sparsity {where}")

    @property
    def relu_density(self) -> float:
        """Density of activations after a ReLU."""
        return self.activation_density if self.relu_activation_density is None else self.relu_activation_density

    def layer_override(self, names: tuple[str, ...] | list[str]) -> LayerSparsity | None:
        """The override for the first of ``names`` that has one."""
        by_name = {item.layer: item for item in self.layers}
        for name in names:
            if name in by_name:
                return by_name[name]
        return None

    def weight_density_for(self, names: tuple[str, ...] | list[str]) -> float:
        """Weight density of the layer group ``names`` (overrides first; N:M default is N/M)."""
        override = self.layer_override(names)
        if override is not None and override.weight_density is not None:
            return override.weight_density
        if self.structure.kind == "nm" and self.weight_density == 1.0:
            return self.structure.max_density
        return self.weight_density

    @property
    def is_dense(self) -> bool:
        return (self.weight_density == 1.0 and self.activation_density == 1.0 and self.relu_density == 1.0
                and not self.layers and self.structure.kind == "unstructured")


def _check_density(value, name: str, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
        raise AccelsimError(f"{name} must be a density in (0, 1] (a sparsity in [0, 1)), got {value!r}",
                            field=f"--sparsity {name}")


_DENSITY_KEYS = {
    "weight_density": ("weight_density", False), "weights": ("weight_density", True),
    "activation_density": ("activation_density", False), "activations": ("activation_density", True),
    "relu_activation_density": ("relu_activation_density", False),
    "relu_activations": ("relu_activation_density", True),
}
_ALL_KEYS = tuple(_DENSITY_KEYS) + ("structure",)


def parse_structure(text: str, where: Location | None = None) -> SparsityStructure:
    """``unstructured``, ``N:M`` (e.g. ``2:4``), ``blockK`` or ``blockKxK`` -> SparsityStructure."""
    value = text.strip().lower()
    if value in ("", "unstructured", "none"):
        return UNSTRUCTURED
    nm = parse_nm(value)
    if nm is not None:
        return SparsityStructure("nm", n=nm[0], m=nm[1])
    match = _BLOCK.match(value)
    if match:
        k, k2 = int(match.group(1)), match.group(2)
        if k2 is not None and int(k2) != k:
            raise AccelsimError(f"only square blocks are modelled, got {text!r}", where, "--sparsity structure")
        if k < 1:
            raise AccelsimError(f"block size must be at least 1, got {text!r}", where, "--sparsity structure")
        return SparsityStructure("block", block=k)
    raise AccelsimError(f"unknown structure {text!r}; expected unstructured, N:M with 1 <= N < M <= 64 "
                        "(e.g. 2:4), blockK or blockKxK (e.g. block4x4)", where, "--sparsity structure")


def _number(raw: str, key: str, where: Location) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise AccelsimError(f"expected a number, got {raw!r}", where, f"--sparsity {key}") from None
    if not math.isfinite(value):
        raise AccelsimError(f"expected a finite number, got {raw!r}", where, f"--sparsity {key}")
    return value


def _to_density(key: str, raw: str, where: Location) -> tuple[str, float]:
    target, is_sparsity = _DENSITY_KEYS[key]
    value = _number(raw, key, where)
    if is_sparsity:
        if not 0.0 <= value < 1.0:
            raise AccelsimError(f"'{key}' is a sparsity (fraction of zeros) in [0, 1), got {raw}; "
                                f"use {target}= for a density", where, f"--sparsity {key}")
        return target, round(1.0 - value, 12)  # 1 - 0.9 is 0.09999999999999998 in binary
    if not 0.0 < value <= 1.0:
        raise AccelsimError(f"'{key}' is a density (fraction of non-zeros) in (0, 1], got {raw}",
                            where, f"--sparsity {key}")
    return target, value


def parse_sparsity(text: str) -> SparsityConfig:
    """Parse a ``--sparsity`` string (see the module docstring) into a SparsityConfig.

    Errors are AccelsimErrors naming the offending key, e.g.
    ``--sparsity weights=1.5: --sparsity weights: 'weights' is a sparsity (fraction of zeros) in [0, 1)``.
    """
    where = Location(f"--sparsity {text}")
    run: dict[str, float] = {}
    layers: dict[str, dict[str, float]] = {}
    structure = UNSTRUCTURED
    seen: set[str] = set()
    parts = [p for p in (s.strip() for s in str(text).split(",")) if p]
    if not parts:
        raise AccelsimError("expected KEY=VALUE pairs, e.g. weights=0.9,activations=0.5,structure=2:4", where, "--sparsity")
    for part in parts:
        if "=" not in part:
            raise AccelsimError(f"expected KEY=VALUE, got {part!r}; keys: {', '.join(_ALL_KEYS)}", where, "--sparsity")
        key, raw = (s.strip() for s in part.split("=", 1))
        layer, _, base = key.rpartition(".")
        if base not in _ALL_KEYS:
            raise AccelsimError(f"unknown key '{base}'{did_you_mean(base, _ALL_KEYS)}; keys: {', '.join(_ALL_KEYS)} "
                                "(optionally after LAYER.)", where, f"--sparsity {key}")
        if key in seen:
            raise AccelsimError(f"'{key}' given twice", where, f"--sparsity {key}")
        seen.add(key)
        if base == "structure":
            if layer:
                raise AccelsimError("structure applies to the whole run, not to one layer", where, f"--sparsity {key}")
            structure = parse_structure(raw, where)
            continue
        target, density = _to_density(base, raw, where)
        if layer:
            if target == "relu_activation_density":
                raise AccelsimError("per-layer overrides take weights/activations (the layer's own input)",
                                    where, f"--sparsity {key}")
            entry = layers.setdefault(layer, {})
            if target in entry:
                raise AccelsimError(f"'{layer}.{target}' given twice (as a sparsity and a density)", where, f"--sparsity {key}")
            entry[target] = density
        else:
            if target in run:
                raise AccelsimError(f"'{target}' given twice (as a sparsity and a density)", where, f"--sparsity {key}")
            run[target] = density
    overrides = tuple(LayerSparsity(name, v.get("weight_density"), v.get("activation_density"))
                      for name, v in layers.items())
    try:
        return SparsityConfig(structure=structure, layers=overrides, **run)
    except AccelsimError as exc:
        raise AccelsimError(exc.message, where, exc.field) from None


#: help text for a ``--sparsity`` command-line option
SPARSITY_HELP = ("zeros in the workload, as KEY=VALUE pairs: weights=0.9 (90%% of weights are zero) or "
                 "weight_density=0.1, activations=0.5 or activation_density=0.5, relu_activations= (after a ReLU), "
                 "structure=unstructured|2:4|block4x4, LAYER.weights= per layer")
