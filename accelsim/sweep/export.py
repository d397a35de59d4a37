"""Export a sweep's points as CSV, JSON or Parquet (Parquet needs pyarrow).

CSV and Parquet hold the table of table.py (one row per point, parameters and headline metrics;
list or mapping parameters as JSON text). JSON holds every point in full: parameters, status, the
whole stored result (totals, area, arch summary, layers if kept) and any error. Output is
deterministic for the same database.
"""
from __future__ import annotations

import csv
import io
import json

from ..errors import AccelsimError
from ..jsonsafe import json_safe
from .table import SweepTable

FORMATS = ("csv", "json", "parquet")


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
