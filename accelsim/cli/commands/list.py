"""accelsim list: shipped architectures, GPU baselines, built-in workloads, precisions, arch fields."""
from __future__ import annotations

NAME = "list"
HELP = "list shipped architectures, GPU baselines, built-in workloads, precisions or the arch YAML fields"


def add_arguments(parser) -> None:
    parser.add_argument("what", choices=("archs", "gpus", "workloads", "precisions", "fields"),
                        help="archs: name, description, source; gpus: GPU baselines; workloads: name, default batch, "
                             "settings, description; precisions: name and bits; fields: every arch YAML field with its unit")


def run(args) -> int:
    if args.what == "archs":
        from ...spec.loader import load_arch, shipped_archs

        rows = []
        for name in shipped_archs():
            spec = load_arch(name)
            rows.append((name, spec.description, spec.source))
        width = max(len(r[0]) for r in rows) if rows else 4
        for name, desc, source in rows:
            print(f"{name:<{width}}  {desc}\n{'':<{width}}  source: {source}")
    elif args.what == "gpus":
        from ...baselines.gpu_spec import shipped_gpus

        for name, path in shipped_gpus().items():
            print(f"{name:<12} {path.name}")
    elif args.what == "workloads":
        from ...workload.registry import builtin_workloads, shipped_workload_files

        entries, files = builtin_workloads(), shipped_workload_files()
        width = max(len(n) for n in [*entries, *files])
        for name, entry in entries.items():
            settings = ", ".join(f"{k}={v}" for k, v in entry.settings.items())
            print(f"{name:<{width}}  batch {entry.default_batch:<4} {entry.description}" + (f"  [settings: {settings}]" if settings else ""))
        formats = {".csv": "SCALE-Sim topology", ".onnx": "ONNX"}
        for name, path in files.items():
            print(f"{name:<{width}}  ({formats.get(path.suffix.lower(), 'YAML')}) {path.name}")
    elif args.what == "precisions":
        from ...precision import ALIASES, PRECISIONS

        for p in PRECISIONS.values():
            aliases = sorted(alias for alias, name in ALIASES.items() if name == p.name)
            line = f"{p.name:<10} {p.bits:>2} bit{'' if p.bits == 1 else 's'}  {p.kind:<6}"
            print((line + (f"  also: {', '.join(aliases)}" if aliases else "")).rstrip())
        print("lns_i<I>f<F>  LNS with I integer and F fraction bits, e.g. lns_i7f8 (= lns16)")
    else:
        from ...spec.arch import ArchSpec
        from ...spec.schema import field_docs

        for path, tp, doc in field_docs(ArchSpec):
            print(f"{path:<40} {doc}")
    return 0
