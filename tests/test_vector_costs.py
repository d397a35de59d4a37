"""Vector, fixed-function and scalar unit cost models against hand-computed cycle counts."""
from __future__ import annotations

import math

import pytest

from accelsim.api import simulate
from accelsim.errors import WorkloadError
from accelsim.lower import vector_costs as V
from accelsim.lower.lowering import fusable_name, lower
from accelsim.lower.scalar_costs import scalar_instructions
from accelsim.spec.arch import FunctionUnitSpec, ScalarUnitSpec, VectorUnitSpec
from accelsim.spec.loader import load_arch
from accelsim.workload import ops as O
from accelsim.workload.graph import WorkloadBuilder

# 8 lanes x 2 sublanes x 1 op = 16 elements per cycle
VU = VectorUnitSpec(lanes=8, sublanes=2, op_cycles={"exp": 4.0})


def cost(op, vu=VU, ref_mhz=1000.0, streamed=False):
    return V.cost_on_vector_unit(V.program_for(op), vu, ref_mhz, streamed)


def test_elementwise_add_spreads_over_lanes_and_sublanes():
    c = cost(O.Elementwise((4, 64), "add", 2))
    assert (c.cycles, c.latency_cycles, c.element_ops) == (256 // 16, 0, 256)


def test_local_memory_bandwidth_bounds_unfused_work():
    vu = VectorUnitSpec(lanes=8, sublanes=2, load_elements_per_cycle=8, store_elements_per_cycle=16)
    op = O.Elementwise((4, 64), "add", 2)
    c = cost(op, vu)
    assert c.cycles == 512 // 8  # two 256-element operands at 8 loads per cycle
    assert "local-memory bandwidth" in c.detail
    assert cost(op, vu, streamed=True).cycles == 16  # from the output pipeline: no local-memory reads


def test_softmax_decomposes_into_passes_and_tree_reductions():
    # rows = 6, length 32 on 8 lanes: each reduction = 6 x (32 - 8) / 16 chunk combines = 9 cycles,
    # plus a 3-level tree for 2 rows at a time (2 sublanes): ceil(6 / 2) x 3 = 9 cycles
    c = cost(O.Softmax((6, 32)))
    n = 192
    expected = (9 + 9) + n / 16 + n * 4 / 16 + (9 + 9) + 6 / 16 + n / 16  # max, sub, exp, sum, 1/x, mul
    assert c.cycles == math.ceil(expected) == 109
    assert "2 reductions of 6 rows x 32 (3-level cross-lane tree)" in c.detail



@pytest.mark.parametrize("size", [3, 5, 9])
def test_lrn_window_is_the_ops_size(size):
    """LRN: square, a sum over ``size`` channels, power, scale = (size + 2) element ops per element;
    the default window (AlexNet's and GoogLeNet's) is 5."""
    n = 2 * 4 * 4 * 16
    op = O.Norm((2, 4, 4, 16), "lrn", 16, affine=False, size=size)
    prog = V.program_for(op)
    assert [(step.func, step.elements) for step in prog.steps] == [
        ("mul", n), ("add", (size - 1) * n), ("pow", n), ("mul", n)]
    assert prog.element_ops == op.vector_ops == (size + 2) * n
    assert cost(op).cycles == math.ceil((size + 2) * n / 16)
    default = O.Norm((2, 4, 4, 16), "lrn", 16, affine=False)
    assert default.size == 5 and V.program_for(default).element_ops == 7 * n


def test_lrn_size_from_the_builder_and_a_bad_size_refused():
    b = WorkloadBuilder("lrn", batch=1)
    x = b.input("x", (1, 4, 4, 16))
    b.norm("norm", x, "lrn", size=3)
    assert b.build().by_name()["norm"].op.size == 3
    with pytest.raises(WorkloadError, match="lrn size"):
        b.norm("bad", x, "lrn", size=0)

def test_native_function_is_one_pass():
    vu = VectorUnitSpec(lanes=8, sublanes=2, op_cycles={"softmax": 10.0}, op_latency_cycles={"softmax": 7.0})
    c = cost(O.Softmax((6, 32)), vu)
    assert (c.cycles, c.latency_cycles) == (192 * 10 // 16, 7)


def test_short_rows_pack_several_to_a_lane_vector():
    step = V.VectorStep("add", 32 * 3, rows=32, length=4)
    # 2 rows of 4 per 8-lane vector, 2 sublanes: 4 rows per cycle, 2 tree levels each
    assert V.reduction_cycles(step, VU) == math.ceil(32 / 4) * 2 == 16


def test_layer_norm_steps_and_latency():
    vu = VectorUnitSpec(lanes=8, sublanes=2, latency_cycles=5, op_latency_cycles={"rsqrt": 11.0})
    c = cost(O.Norm((4, 8), "layer", 8), vu)
    # 4 rows of 8: each reduction is a 3-level tree, ceil(4 / 2) x 3 = 6 cycles, no chunk combines
    # element passes: mean scale 4, sub 32, square 32, rsqrt 4, normalise 32, scale 32, shift 32 elements
    expected = 6 + 4 / 16 + 32 / 16 + 32 / 16 + 6 + 4 / 16 + 32 / 16 * 3
    assert c.cycles == math.ceil(expected) == 23
    assert c.latency_cycles == 5 + 11


def test_transpose_uses_the_transpose_unit_when_there_is_one():
    op = O.DataMovement((16, 16), (16, 16), "transpose", True)
    assert cost(op).cycles == 256 // 16  # a copy through the vector unit
    vu = VectorUnitSpec(lanes=8, sublanes=2, transpose_elements_per_cycle=32, transpose_latency_cycles=5)
    c = cost(op, vu)
    assert (c.cycles, c.latency_cycles) == (8, 5)


def test_pooling_on_a_fixed_function_unit_and_clock_scaling():
    pool = O.Pool(1, 8, 8, 4, 3, 3, 2, 2, func="max")
    pdp = FunctionUnitSpec(name="pdp", elements_per_cycle={"pool": 8.0}, latency_cycles=3)
    c = V.cost_on_function_unit(V.program_for(pool), pdp, 1000.0)
    assert (c.unit, c.cycles, c.latency_cycles) == ("pdp", 256 // 8, 3)  # each input element read once
    slow = FunctionUnitSpec(name="pdp", elements_per_cycle={"pool": 8.0}, clock_mhz=500.0)
    assert V.cost_on_function_unit(V.program_for(pool), slow, 1000.0).cycles == 64  # half clock: twice the cycles
    # on the vector unit: 3x3 windows over 3x3 outputs, 8 max ops each
    assert cost(pool).element_ops == 3 * 3 * 4 * 8


def test_compound_elementwise_functions_expand_to_primitives():
    prog = V.program_for(O.Elementwise((2, 10), "lstm_cell_update", 4))
    assert [(s.func, s.elements) for s in prog.steps] == [("mul", 40), ("add", 20)]
    prog = V.program_for(O.Activation((2, 10), "gelu"))
    assert prog.element_ops == 8 * 20
    assert V.program_for(O.DataMovement((4,), (4,), "reshape", False)) is None


def test_scalar_instructions_count_issue_loops_config_and_sync():
    su = ScalarUnitSpec(cpi=2, instructions_per_layer=3, instructions_per_tile=1, instructions_per_vector_tile=0.5,
                        config_registers_per_layer=10, cycles_per_config_register=4, sync_cycles=6)
    n = scalar_instructions(su, folds=5, vector_element_ops=100, vector_width=16, cross_unit_producers=2)
    # 3 + 5 x 1 + ceil(100 / 16) x 0.5 + (10 x 4 + 2 x 6) cycles / CPI 2
    assert n == pytest.approx(3 + 5 + 3.5 + 26)
    free = ScalarUnitSpec(cpi=0, config_registers_per_layer=10, sync_cycles=6)
    assert scalar_instructions(free, folds=1, vector_element_ops=0, vector_width=16, cross_unit_producers=1) == 0


def _fc_gelu(m=256, k=128, n=256):
    b = WorkloadBuilder("fc_gelu", 1)
    x = b.input("x", (m, k))
    b.act("gelu", b.fc("fc", x, n, bias=True), "gelu")
    return b.build()


@pytest.mark.parametrize("parallel,expected", [("true", 176), ("false", 16 + 176)])
def test_fused_stages_add_on_a_shared_vector_unit_and_overlap_on_separate_hardware(parallel, expected):
    arch = load_arch("tpu_v2", [f"vector_unit.fused_stages_parallel={parallel}"])
    task = next(t for t in lower(_fc_gelu(), arch).tasks if t.unit == "matrix")
    assert task.layers == ("fc", "gelu")
    # 65,536 outputs on 128 x 8 lanes x 2 ALUs x 2 cores = 4096 per cycle: bias 16 cycles;
    # gelu = 5 mul + 2 add + tanh (4 lane-cycles) = 11 lane-cycles per element = 176 cycles
    assert task.output_pipeline_cycles == expected
    assert task.vector_element_ops == 65536 * (1 + 8)


def test_sync_cost_for_a_producer_on_another_unit():
    arch = load_arch("tpu_v2", ["matrix_unit.fused_ops=[]"])
    tasks = {t.name: t for t in lower(_fc_gelu(), arch).tasks}
    su = arch.scalar_unit
    assert tasks["gelu"].unit == "vector" and tasks["fc"].unit == "matrix"
    assert tasks["gelu"].scalar_instructions == pytest.approx(su.instructions_per_layer + su.sync_cycles / su.cpi)


def test_output_tail_is_the_last_column_folds_share_plus_latency_and_is_what_the_engine_exposes():
    arch = load_arch("tpu_v2", ["vector_unit.fused_stages_parallel=true"])
    task = next(t for t in lower(_fc_gelu(), arch).tasks if t.unit == "matrix")
    # the last of the two 128-column folds leaves 256 x 128 of the 256 x 256 outputs to the end:
    # half of the 176-cycle pipeline, 88 cycles, plus gelu's latency (the unit's 10 + tanh's 20)
    assert (task.output_pipeline_cycles, task.output_tail_cycles) == (176, 88 + 30)
    # the 176 pipeline cycles hide behind the matrix unit; only the tail follows it
    r = simulate(arch, _fc_gelu())
    matrix_end = max(e.end_cycle for e in r.timeline if e.layer == "fc" and e.track == "matrix")
    vector = [(e.start_cycle, e.end_cycle) for e in r.timeline if e.layer == "fc" and e.track == "vector"]
    assert vector[-1] == (matrix_end, matrix_end + 118)


def test_scalar_instructions_of_a_matrix_task_count_the_tiles_of_every_unit():
    # tpu_v2: 100 instructions per layer, 4 per weight tile, two 128 x 128 units. fc 128 -> 300:
    # each unit takes ceil(300 / 2) = 150 columns, 2 column folds x 1 row fold, 4 tiles in all:
    # 100 + 4 x 4 = 116. Its only producer is the graph input (no unit): no sync.
    arch = load_arch("tpu_v2", ["matrix_unit.fused_ops=[]"])
    tasks = {t.name: t for t in lower(_fc_gelu(n=300), arch).tasks}
    assert tasks["fc"].scalar_instructions == 100 + 4 * 4
    assert tasks["gelu"].scalar_instructions == 100 + 20  # one producer on the matrix unit: one sync


@pytest.mark.parametrize("op,name", [
    (O.Activation((4, 8), "relu"), "relu"),
    (O.Activation((4, 8), "gelu"), "gelu"),
    (O.Norm((1, 8, 8, 4), "batch", 4), "batch_norm"),
    (O.Norm((1, 8, 8, 4), "lrn", 4), "lrn"),
    (O.Norm((4, 8), "layer", 8), None),  # a layer norm needs a reduction: never in the pipeline
    (O.Pool(1, 8, 8, 4, 2, 2, 2, 2, func="max"), "pool"),
    (O.Elementwise((4, 8), "add", 2), "residual_add"),
    (O.Elementwise((4, 8), "add", 1), "bias"),
    (O.Elementwise((4, 8), "mul", 2), None),
])
def test_fusable_names_are_the_spec_vocabulary(op, name):
    # docs/operators.md, matrix_unit.fused_ops: the name each operator is listed under
    assert fusable_name(op) == name
