"""The precision study: train the same MLP under each arithmetic variant and report test error.

Reference (hardware.md, LNS section; Chuangsuwanich, "Deep Learning and Hardware"): on full MNIST,
FP 2.14 %, LNS matrix multiply only 2.12 %, LNS everywhere 3.62 %, LNS everywhere with
Kahan-compensated weight updates 2.29 %.
"""
from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass

from .. import numerics as nm
from .arithmetic_modes import VARIANTS, make_arithmetic
from .data import load_dataset
from .mlp import TrainingSetup, evaluate_error, train

REFERENCE_MNIST_ERROR_PERCENT = {"fp32": 2.14, "lns-matmul": 2.12, "lns-everywhere": 3.62, "lns-kahan": 2.29}
DEFAULT_LNS = nm.LnsFormat(integer_bits=7, fraction_bits=8, table_size=1024)  # the lns16 format


@dataclass(frozen=True)
class VariantResult:
    variant: str
    test_error_percent: float
    train_seconds: float


@dataclass(frozen=True)
class StudyResult:
    dataset: str
    seed: int
    epochs: int
    hidden_units: int
    batch_size: int
    learning_rate: float
    lns_integer_bits: int
    lns_fraction_bits: int
    lns_table_size: int
    train_images: int
    test_images: int
    results: tuple[VariantResult, ...]

    def error(self, variant: str) -> float:
        """Test error of ``variant`` in percent."""
        return next(r.test_error_percent for r in self.results if r.variant == variant)


def _single_threaded_blas():
    """The matrices here are small: BLAS threads only add overhead, and on a shared machine they
    spin against each other (measured: fp32 training 70 s instead of 1 s under load)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up; results do not depend on it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_precision_study(dataset: str = "digits", seed: int = 0, epochs: int = 10,
                        variants: tuple[str, ...] = VARIANTS, hidden_units: int = 64,
                        batch_size: int = 32, learning_rate: float = 0.1,
                        lns: nm.LnsFormat = DEFAULT_LNS) -> StudyResult:
    """Train one MLP per arithmetic variant on ``dataset`` and measure test error."""
    data = load_dataset(dataset, seed)
    setup = TrainingSetup(hidden_units, epochs, batch_size, learning_rate, seed)
    rows = []
    with _single_threaded_blas():
        for name in variants:
            arith = make_arithmetic(name, lns)
            started = time.perf_counter()
            state = train(arith, data, setup)
            error = evaluate_error(arith, state, data)
            rows.append(VariantResult(name, round(100 * error, 3), round(time.perf_counter() - started, 2)))
    return StudyResult(dataset, seed, epochs, hidden_units, batch_size, learning_rate,
                       lns.integer_bits, lns.fraction_bits, lns.table_size,
                       int(data.y_train.size), int(data.y_test.size), tuple(rows))


def format_table(result: StudyResult, timings: bool = True) -> str:
    """A plain-text table of the study's results (``timings=False``: without the training times, so
    the same inputs give byte-identical output)."""
    lines = [
        (f"precision study: {result.dataset}, {result.train_images} train / {result.test_images} test "
        f"images, MLP {result.hidden_units} hidden units, {result.epochs} epochs, batch "
        f"{result.batch_size}, learning rate {result.learning_rate}, seed {result.seed}"),
        (f"LNS format: {result.lns_integer_bits} integer + {result.lns_fraction_bits} fraction bits, "
        f"G table {result.lns_table_size} points"),
        "",
        f"{'variant':<16}{'test error %':>14}{'reference % (MNIST)':>22}" + (f"{'train s':>10}" if timings else ""),
    ]
    for r in result.results:
        ref = REFERENCE_MNIST_ERROR_PERCENT.get(r.variant)
        ref_text = f"{ref:.2f}" if ref is not None else "-"
        time_text = f"{r.train_seconds:>10.2f}" if timings else ""
        lines.append(f"{r.variant:<16}{r.test_error_percent:>14.2f}{ref_text:>22}{time_text}")
    return "\n".join(lines) + "\n"


def to_json(result: StudyResult, timings: bool = True) -> str:
    """The result as JSON (field names carry units: *_percent, *_seconds). ``timings=False`` leaves
    out the training times, so the same inputs give byte-identical output (for committed files)."""
    payload = asdict(result)
    if not timings:
        for row in payload["results"]:
            del row["train_seconds"]
    payload["reference_mnist_error_percent"] = REFERENCE_MNIST_ERROR_PERCENT
    return json.dumps(payload, indent=2) + "\n"
