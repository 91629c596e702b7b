"""Results JSON that stays small enough to commit and diff: strict JSON (no NaN/Infinity), floats
to 6 significant digits, and per-pair records stored as columns + one row per line (the field
names once, not 900 times). `load_results` gives the records back as dicts."""
from __future__ import annotations

import json
import math
from pathlib import Path


def json_safe(obj):
    """Non-finite floats (lossless PSNR, missing values) become null; floats keep 6 digits,
    far below the run-to-run noise of any number here."""
    if isinstance(obj, float):
        return float(f"{obj:.6g}") if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def dumps_results(result: dict) -> str:
    """`result["records"]` (list of dicts with the same keys) is written as {columns, rows}."""
    result = json_safe(result)
    records = result.pop("records", None)
    text = json.dumps(result, indent=1)
    if records is None:
        return text + "\n"
    columns = list(records[0]) if records else []
    rows = ",\n  ".join(json.dumps([r.get(c) for c in columns], separators=(",", ":")) for r in records)
    table = (f'"records": {{\n "columns": {json.dumps(columns)},\n "rows": [\n  {rows}\n ]\n}}' if records
             else '"records": {"columns": [], "rows": []}')
    return text[:-2] + ",\n " + table + "\n}\n"


def write_results(result: dict, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_results(result))
    return path


def load_results(path: str | Path) -> dict:
    """A results file with `records` as a list of dicts again."""
    result = json.loads(Path(path).read_text())
    rec = result.get("records")
    if isinstance(rec, dict) and "columns" in rec:
        result["records"] = [dict(zip(rec["columns"], row)) for row in rec["rows"]]
    return result
