"""Accuracy for `accelsim compare --precision ...`: test error from a committed precision-study result.

The study (`accelsim precision-study`) trains the same MLP under several arithmetics; this module
reads its JSON output and maps a hardware precision to the study arm that uses that arithmetic:

- int8 -> "int8" (quantisation-aware int8 forward matmuls), bf16 -> "bf16", fp32 -> "fp32";
- an LNS precision (lns16, lns8, lns_i<I>f<F>) -> "lns-everywhere" when the study ran that LNS
  format (same integer and fraction bits), since an LNS accelerator does all its arithmetic in LNS;
- anything else (fp8, fp16, int4, ...) -> not run: the study has no arm for it.

The committed file ships inside the package: accelsim/study/data/precision_study_digits.json, made by
``python -m accelsim precision-study --dataset digits --format json --no-timings
-o accelsim/study/data/precision_study_digits.json`` (the CLI defaults: seed 0, 64 hidden units, 30 epochs,
16-bit LNS with 1024-point tables).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import AccelsimError
from ..precision import get_precision

DEFAULT_STUDY_FILE = Path(__file__).resolve().parent / "data" / "precision_study_digits.json"
REGENERATE = ("python -m accelsim precision-study --dataset digits --format json --no-timings "
              "-o accelsim/study/data/precision_study_digits.json")
DIRECT_ARMS = {"int8": "int8", "bf16": "bf16", "fp32": "fp32"}
NOT_RUN = "not run"


@dataclass(frozen=True)
class StudyAccuracy:
    """Test errors of one study run, by arm, with what it was run on."""

    path: str
    dataset: str
    seed: int
    epochs: int
    hidden_units: int
    train_images: int
    test_images: int
    lns_integer_bits: int
    lns_fraction_bits: int
    errors_percent: dict[str, float]

    @property
    def source(self) -> str:
        """One line naming the dataset, split, seed and training setup."""
        return (f"precision study on {self.dataset} ({self.train_images} train / {self.test_images} test "
                f"images), seed {self.seed}, MLP {self.hidden_units} hidden units, {self.epochs} epochs, "
                f"LNS I{self.lns_integer_bits} F{self.lns_fraction_bits}; {self.path}")

    def arm_for(self, precision: str) -> str:
        """The study arm whose arithmetic ``precision`` hardware runs, or "not run"."""
        p = get_precision(precision)
        arm = DIRECT_ARMS.get(p.name)
        if arm is None and p.kind == "lns" and (p.exponent_bits, p.mantissa_bits) == (
                self.lns_integer_bits, self.lns_fraction_bits):
            arm = "lns-everywhere"
        return arm if arm in self.errors_percent else NOT_RUN

    def accuracy_percent(self, precision: str) -> float | None:
        """Test accuracy (100 - test error) of the matching arm, None where the study did not run it."""
        arm = self.arm_for(precision)
        return None if arm == NOT_RUN else round(100.0 - self.errors_percent[arm], 3)


def load_study(path: str | Path = DEFAULT_STUDY_FILE) -> StudyAccuracy:
    """Read a `accelsim precision-study --format json` result; a missing or malformed file is an
    AccelsimError naming it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        make = (REGENERATE if path.resolve() == DEFAULT_STUDY_FILE
                else f"accelsim precision-study --dataset digits --format json -o {path}")
        raise AccelsimError(f"precision-study result {path} not found; make it with: {make}",
                            field="--accuracy-from") from None
    except (OSError, ValueError) as exc:
        raise AccelsimError(f"cannot read precision-study result {path}: {exc}", field="--accuracy-from") from None
    try:
        errors = {r["variant"]: float(r["test_error_percent"]) for r in doc["results"]}
        # the shipped file is named by its place in the package, wherever the package is installed
        package_root = DEFAULT_STUDY_FILE.parents[3]
        shown = path.relative_to(package_root) if path.is_absolute() and package_root in path.parents else path
        return StudyAccuracy(str(shown), str(doc["dataset"]), int(doc["seed"]), int(doc["epochs"]),
                             int(doc["hidden_units"]), int(doc["train_images"]), int(doc["test_images"]),
                             int(doc["lns_integer_bits"]), int(doc["lns_fraction_bits"]), errors)
    except (KeyError, TypeError, ValueError) as exc:
        raise AccelsimError(f"{path} is not a precision-study result (missing or bad field {exc})",
                            field="--accuracy-from") from None
