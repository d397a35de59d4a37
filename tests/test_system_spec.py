"""System spec parsing: shipped specs load; bad input names file:line:col and the field path."""
from __future__ import annotations

import pytest

from accelsim.errors import SpecError
from accelsim.system.spec import load_system, shipped_systems

GOOD = """\
version: 1
name: tiny
description: test
chip: tpu_v3
chips: 8
topology:
  kind: torus2d
  dims: [2, 4]
link:
  bandwidth_gbps: 81.0
  latency_us: 2.0
  links_per_chip: 4
host_link:
  bandwidth_gbps: 16
  latency_us: 5
"""


def _write(tmp_path, text):
    path = tmp_path / "sys.yaml"
    path.write_text(text)
    return str(path)


def test_shipped_systems_load():
    names = shipped_systems()
    assert {"tpu_v2_pod_16x16", "tpu_v3_pod_32x32", "tpu_v3_8", "dgx_like_8"} <= set(names)
    pod = load_system("tpu_v3_pod_32x32")
    assert pod.chips == 1024 and pod.topology.dims == (32, 32)
    assert pod.link.links_per_chip == 4
    assert pod.link.bandwidth_gbps == pytest.approx(60 * 1.35)
    v2 = load_system("tpu_v2_pod_16x16")
    assert v2.chips == 256 and v2.link.bandwidth_gbps == 60


def test_every_number_in_shipped_specs_has_a_comment():
    from accelsim.system.spec import SYSTEMS_DIR

    for path in SYSTEMS_DIR.glob("*.yaml"):
        for line in path.read_text().splitlines():
            body = line.split("#")[0]
            value = body.split(":", 1)[1].strip() if ":" in body else ""
            if value and value.replace(".", "").isdigit() and not body.strip().startswith("version"):
                assert "#" in line, f"{path.name}: number without a source comment: {line}"


def test_good_spec_parses(tmp_path):
    spec = load_system(_write(tmp_path, GOOD))
    assert spec.chips == 8 and spec.link.bytes_per_second == 81e9
    assert spec.link.latency_seconds == pytest.approx(2e-6)


@pytest.mark.parametrize(
    "old,new,field,line,message",
    [
        ("  latency_us: 2.0", "  latncy_us: 2.0", "link.latncy_us", 11, "did you mean 'latency_us'"),
        ("  bandwidth_gbps: 81.0", "  bandwidth_gbps: fast", "link.bandwidth_gbps", 10, "number"),
        ("  bandwidth_gbps: 81.0", "  bandwidth_gbps: -3", "link.bandwidth_gbps", 10, "> 0"),
        ("chips: 8", "chips: 9", "chips", 5, "holds 8"),
        ("  kind: torus2d", "  kind: torus", "topology.kind", 7, "did you mean"),
        ("  dims: [2, 4]", "  dims: [2, 4x]", "topology.dims[1]", 8, "integer"),
        ("  links_per_chip: 4", "  links_per_chip: 2", "link.links_per_chip", 12, "at least 4"),
    ],
)
def test_errors_name_location_and_field(tmp_path, old, new, field, line, message):
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(SpecError) as info:
        load_system(path)
    err = info.value
    assert err.field == field
    assert err.location is not None and err.location.file == path and err.location.line == line
    assert message in str(err)
    assert str(err).startswith(f"{path}:{line}:")


def test_unknown_system_name_suggests():
    with pytest.raises(SpecError, match="did you mean 'tpu_v3_8'"):
        load_system("tpu_v3_88")


def test_hierarchical_needs_intra_node_link(tmp_path):
    text = GOOD.replace("kind: torus2d", "kind: hierarchical").replace(
        "dims: [2, 4]", "dims: [2]\n  chips_per_node: 4").replace("links_per_chip: 4", "links_per_chip: 1")
    with pytest.raises(SpecError, match="intra_node_link"):
        load_system(_write(tmp_path, text))


def test_section_of_wrong_type_and_missing_key(tmp_path):
    path = _write(tmp_path, GOOD.replace("link:\n  bandwidth_gbps: 81.0\n  latency_us: 2.0\n"
                                         "  links_per_chip: 4\n", "link: 81\n"))
    with pytest.raises(SpecError) as info:
        load_system(path)
    assert info.value.field == "link" and "mapping" in str(info.value)
    assert info.value.location.line == 9
    path = _write(tmp_path, GOOD.replace("  latency_us: 2.0\n", "", 1))
    with pytest.raises(SpecError) as info:
        load_system(path)
    assert info.value.field == "link.latency_us" and "missing" in str(info.value)
    assert info.value.location.line == 10


def test_version_and_duplicate_keys(tmp_path):
    with pytest.raises(SpecError, match="version 1"):
        load_system(_write(tmp_path, GOOD.replace("version: 1", "version: 2")))
    from accelsim.errors import AccelsimError

    with pytest.raises(AccelsimError, match="duplicate key 'chips'"):
        load_system(_write(tmp_path, GOOD + "chips: 8\n"))
