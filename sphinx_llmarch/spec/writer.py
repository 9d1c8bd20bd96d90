"""Write a spec dict as TOML (the standard library reads TOML but cannot write it).

Only what specs hold: strings, numbers, booleans, dates, lists of those, lists
of small tables (sublayers, written inline) and nested tables.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            raise ValueError(f"TOML has no place for {value!r} in a spec")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        items = [_value(item) for item in value]
        one_line = "[" + ", ".join(items) + "]"
        if len(one_line) <= 100:
            return one_line
        return "[\n" + "".join(f"  {item},\n" for item in items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as TOML")


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def dumps(data: Mapping[str, Any], path: str = "") -> str:
    """TOML text for ``data``; tables after plain keys, as TOML requires."""
    lines = []
    for key, value in data.items():
        inline_list = _is_table_list(value) and key == "sublayers"
        if not isinstance(value, Mapping) and (inline_list or not _is_table_list(value)):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in data.items():
        full = f"{path}.{_key(key)}" if path else _key(key)
        if isinstance(value, Mapping):
            plain = any(not isinstance(v, Mapping) for v in value.values())
            body = dumps(value, full)
            lines.append(f"\n[{full}]\n{body}" if plain else f"\n{body}")
        elif _is_table_list(value) and key != "sublayers":
            for item in value:
                lines.append(f"\n[[{full}]]\n{dumps(item, full)}")
    text = "\n".join(line for line in lines if line.strip()).strip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)
