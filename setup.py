"""Build script: the package, its shipped data (archs/, workloads/) and the Cython kernels.

Every ``cython/<name>.pyx`` becomes the extension module ``accelsim._native.<name>``.
The generated C files are build outputs (git-ignored), so a clean checkout always re-cythonizes.
"""
import os
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent

extensions = [
    Extension(
        f"accelsim._native.{pyx.stem}",
        [str(pyx.relative_to(HERE))],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for pyx in sorted((HERE / "cython").glob("*.pyx"))
    # Developers may rebuild a subset in place: ACCELSIM_EXT=systolic python setup.py build_ext --inplace
    if not os.environ.get("ACCELSIM_EXT") or pyx.stem in os.environ["ACCELSIM_EXT"].split(",")
]


def data_files_under(folder: str) -> list[str]:
    """Every shipped data file below ``folder``, relative to it."""
    root = HERE / folder
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.suffix in {".yaml", ".yml", ".csv", ".cfg", ".md"}
    )


setup(
    name="accelsim",
    version="0.1.0",
    description="Cycle-level simulator of deep-learning accelerators",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["accelsim", "accelsim.*"]) + ["accelsim.archs", "accelsim.workloads"],
    package_dir={"accelsim.archs": "archs", "accelsim.workloads": "workloads"},
    package_data={
        "accelsim.archs": data_files_under("archs"),
        "accelsim.workloads": data_files_under("workloads"),
        "accelsim.study": ["data/*.json"],
        "accelsim.validation": ["data/*.csv"],
    },
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
    # matplotlib: `run --html`, `validate` and `sweep pareto --plot` draw figures (README commands)
    install_requires=["numpy>=1.24", "simpy>=4.0", "networkx>=3.0", "pyyaml>=6.0", "matplotlib>=3.7"],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6", "scikit-learn>=1.3", "onnx>=1.15", "dask[distributed]>=2024.1", "matplotlib>=3.7", "tqdm>=4.60",
                 "scalesim==2.0.2"],  # the live SCALE-Sim parity tests run against the real package
        "onnx": ["onnx>=1.15"],
        "dask": ["dask[distributed]>=2024.1", "tqdm>=4.60"],
        "sweep": ["tqdm>=4.60", "matplotlib>=3.7"],
        "plots": ["matplotlib>=3.7"],
        "study": ["scikit-learn>=1.3"],
        "bench": ["scalesim==2.0.2", "psutil"],
    },
    entry_points={"console_scripts": ["accelsim = accelsim.cli.main:console_entry"]},
    zip_safe=False,
)
