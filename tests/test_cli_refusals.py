"""The CLI refuses, in one line and before any work, what it would otherwise mishandle or ignore:
usage errors, flags that would be ignored, output paths that cannot be written, errors that would
not say which of several architectures they came from."""
import pytest


def _one_line_refusal(status: int, out: str, err: str) -> str:
    assert status == 2 and out == "", (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "usage:" not in err and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("argv, needle", [
    (["run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--batch", "0"], "expected a positive integer, got 0"),
    (["run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--format", "xml"], "invalid choice: 'xml'"),
    (["run", "--workload", "tpu_mlp0"], "the following arguments are required: --arch"),
    (["runn"], "(did you mean 'run'?)"),
    (["gemm", "--m", "0"], "--m"),
])
def test_usage_errors_are_one_line_with_the_way_to_the_options(cli, argv, needle):
    line = _one_line_refusal(*cli(*argv))
    assert needle in line and "--help' lists the options" in line


@pytest.mark.parametrize("argv, needle", [
    (["--optimizer", "adam"], "--optimizer: only a training step has an optimizer; add --mode training"),
    (["--gpu", "none", "--gpu-model", "derated"], "--gpu-model: --gpu none asks for no GPU baseline"),
    (["--set", "name="], "name: expected a non-empty name"),
])
def test_run_refuses_flags_it_would_ignore(cli, argv, needle):
    line = _one_line_refusal(*cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", *argv))
    assert needle in line


def test_output_paths_are_checked_before_the_run(cli, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    line = _one_line_refusal(*cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--gpu", "none",
                                  "-o", str(tmp_path / "r.txt"), "--html", str(folder)))
    assert "--html: cannot write output: this is a folder" in line
    assert not (tmp_path / "r.txt").exists()  # nothing was written before the refusal
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = _one_line_refusal(*cli("run", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--gpu", "none",
                                  "--trace", str(blocker / "t.json")))
    assert f"{blocker} is a file, not a folder" in line
    line = _one_line_refusal(*cli("sweep", "pareto", str(tmp_path / "no.sqlite"), "--objective", "seconds:min",
                                  "--plot", str(tmp_path / "p.txt")))
    assert "--plot: expected a .png or .svg file" in line


def test_compare_says_which_architecture_an_error_came_from(cli):
    for extra in ((), ("--precision", "int8,fp16")):
        line = _one_line_refusal(*cli("compare", "--arch", "tpu_v1,nvdla_full", "--workload", "tpu_mlp0", "--gpu", "none",
                                      "--set", "memories.unified_buffer.size_kib=8192", *extra))
        assert "no entry named 'unified_buffer'" in line and line.endswith("(in nvdla_full)")


def test_missing_study_file_suggests_making_that_file(cli, tmp_path):
    target = tmp_path / "mine.json"
    line = _one_line_refusal(*cli("compare", "--arch", "tpu_v1", "--workload", "tpu_mlp0", "--precision", "int8,bf16",
                                  "--gpu", "none", "--accuracy-from", str(target)))
    assert line.endswith(f"make it with: accelsim precision-study --dataset digits --format json -o {target}")


def test_train_refuses_a_min_chips_above_the_data_parallel_width(cli):
    line = _one_line_refusal(*cli("train", "--system", "tpu_v3_8", "--workload", "mnist_mlp", "--global-batch", "64",
                                  "--scaling", "strong", "--min-chips", "16"))
    assert "--min-chips: 16 chips is more than the" in line
