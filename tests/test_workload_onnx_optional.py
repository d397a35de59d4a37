"""``onnx`` is an optional dependency: accelsim imports without it, and loading a .onnx file without
it is one clean WorkloadError (run in a fresh interpreter with ``onnx`` blocked)."""
from __future__ import annotations

import os
import subprocess
import sys

import accelsim

PACKAGE_ROOT = os.path.dirname(os.path.dirname(accelsim.__file__))  # the accelsim under test (installed or checkout)

SCRIPT = """
import sys
sys.modules["onnx"] = None  # import onnx now raises ImportError
import accelsim.workload.registry
import accelsim.workload.onnx
import accelsim.workload.onnx_import
from accelsim.errors import WorkloadError
from accelsim.workload.onnx import load_onnx
from accelsim.workload.registry import load_workload
for load in (load_onnx, load_workload):
    try:
        load(sys.argv[1])
    except WorkloadError as exc:
        print(exc.message)
    else:
        raise SystemExit("loaded without onnx")
"""


def test_onnx_file_without_onnx_installed_is_a_clean_error(tmp_path):
    path = tmp_path / "tiny.onnx"
    path.write_bytes(b"\x08\x07")  # never parsed: the missing dependency is reported first
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], check=False, env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    message = "reading .onnx files needs the optional dependency 'onnx' (pip install onnx)"
    assert proc.stdout.splitlines() == [message, message]
