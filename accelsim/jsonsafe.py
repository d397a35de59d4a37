"""One JSON-safe conversion for every JSON the package writes (run reports, sweep records and exports)."""
from __future__ import annotations

import math
from types import MappingProxyType


def json_safe(value):
    """``value`` with non-finite floats replaced by None (null), tuples by lists, read-only mappings
    (accelsim/readonly.py) by dicts and dict keys by strings; finite floats keep full precision."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dict, MappingProxyType)):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
