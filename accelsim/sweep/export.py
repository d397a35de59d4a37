"""Export a sweep's points as CSV, JSON or Parquet (Parquet needs pyarrow); render its Pareto front.

CSV and Parquet hold the table of table.py (one row per point, parameters and headline metrics;
list or mapping parameters as JSON text). JSON holds every point in full: parameters, status, the
whole stored result (totals, area, arch summary, layers if kept) and any error. A Pareto front
renders as a text table, CSV or JSON (:func:`render_front`). Output is deterministic for the same
database.
"""
from __future__ import annotations

import csv
import io
import json

from ..errors import AccelsimError
from ..jsonsafe import json_safe
from .table import FrontResult, SweepTable

FORMATS = ("csv", "json", "parquet")
#: formats of a Pareto front (:func:`render_front`)
FRONT_FORMATS = ("table", "csv", "json")


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def to_csv(table: SweepTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = _cell(row[column])
            cells.append("" if value is None else repr(value) if isinstance(value, float) else value)
        writer.writerow(cells)
    return buffer.getvalue()


def to_json(table: SweepTable) -> str:
    points = []
    for row, point in zip(table.rows, table.points, strict=True):
        points.append({"index": point.index, "key": point.key, "status": point.status, "params": point.params,
                       "feasible": row["feasible"], "result": point.result, "error": point.error,
                       "code_sha256": point.code_sha256})
    document = {"sweep": table.sweep.name, "spec": table.sweep.spec, "points": points}
    return json.dumps(json_safe(document), indent=1, sort_keys=True, allow_nan=False) + "\n"


def to_parquet(table: SweepTable) -> bytes:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise AccelsimError("Parquet export needs pyarrow, which is not installed (pip install pyarrow); "
                            "--format csv or json need nothing extra", field="--format") from None
    columns = {}
    for column in table.columns:
        values = [_cell(row[column]) for row in table.rows]
        kinds = {type(v) for v in values if v is not None}
        if kinds == {int, float}:
            values = [None if v is None else float(v) for v in values]
        elif len(kinds) > 1:
            values = [None if v is None else str(v) for v in values]
        columns[column] = values
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def export(table: SweepTable, fmt: str) -> str | bytes:
    """The table in ``fmt`` (csv, json: text; parquet: bytes)."""
    if fmt == "csv":
        return to_csv(table)
    if fmt == "json":
        return to_json(table)
    if fmt == "parquet":
        return to_parquet(table)
    raise AccelsimError(f"unknown export format '{fmt}'; known: {', '.join(FORMATS)}", field="--format")


def render_front(table: SweepTable, result: FrontResult, objectives, fmt: str) -> str:
    """A Pareto front (:func:`~accelsim.sweep.table.front_of`) as ``fmt``: "json" (the front's rows,
    objectives, candidates and left-out count), "csv" (index, swept parameters, objective metrics)
    or "table" (aligned text with a heading)."""
    swept = list(table.sweep.swept)
    columns = ["index", *swept, *(o.metric for o in objectives)]
    if fmt == "json":
        rows = [{c: row.get(c) for c in columns} | {"key": row["key"]} for row in result.front]
        doc = {"sweep": table.sweep.name, "objectives": [o.describe() for o in objectives],
               "candidates": len(result.candidates), "left_out": result.left_out, "front": rows}
        return json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in result.front:
            writer.writerow([repr(row[c]) if isinstance(row[c], float) else row[c] for c in columns])
        return buffer.getvalue()
    shown = [c.split(".", 1)[1] if c.startswith(("set.", "settings.")) else c for c in columns]

    def cell(column: str, value) -> str:
        if value is None:  # a parameter the point left at its default (sparsity: a dense point)
            return "dense" if column == "sparsity" else "-"
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    body = [[cell(c, row[c]) for c in columns] for row in result.front]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(shown)]
    lines = [(f"Pareto front of sweep {table.sweep.name}: {len(result.front)} of {len(result.candidates)} feasible "
             f"points ({', '.join(o.describe() for o in objectives)})")]
    if result.left_out:
        lines.append(f"({result.left_out} finished points left out: outside the constraints or missing an objective)")
    lines.append("  ".join(h.rjust(w) for h, w in zip(shown, widths, strict=True)))
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines) + "\n"
