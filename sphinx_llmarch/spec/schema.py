"""The spec format as JSON Schema (``llmarch schema``), for editors and other tools.

Each op kind's table is recorded from the reader itself: the reader runs once
against a table that notes every key it asks for, with its type, default and
choices, so the schema cannot drift from what the loader accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..draw.style import PALETTE
from ..kinds import KINDS
from ..model import audio, vision
from ..model.architecture import PLACEMENTS
from .table import REQUIRED, SpecTable

_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array"}


class _Recorder(SpecTable):
    """A table that answers every read with a harmless value and remembers the question."""

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        super().__init__("schema", "", {})
        self.properties: dict[str, dict[str, Any]] = {}
        self.required: list[str] = []
        #: What :meth:`choice` answers instead of the first choice, to follow another branch.
        self.answers = answers or {}

    def get(self, name: str, kinds: tuple[type, ...], what: str, default: Any = None) -> Any:
        types = sorted({_TYPES[kind] for kind in kinds if kind in _TYPES})
        if "number" in types:  # JSON Schema's numbers include the integers
            types = ["number"]
        prop: dict[str, Any] = {"type": types[0] if len(types) == 1 else types, "description": what}
        if default is REQUIRED:
            self.required.append(name)
        elif default is not None and (not isinstance(default, int) or isinstance(default, bool)):
            prop["default"] = default  # integer defaults are often another key's value: leave them out
        self.properties.setdefault(name, prop)
        if default is not REQUIRED:
            return default
        return {"string": "x", "boolean": False, "integer": 1, "number": 1.0, "array": []}[types[0]]

    def choice(self, name: str, choices: Any, default: Any = None) -> Any:
        choices = list(choices)
        value = self.str(name, default)
        self.properties[name]["enum"] = choices
        if name in self.answers:
            return self.answers[name]
        return choices[0] if value in (None, "x") else value


def op_schema(type_: str) -> dict[str, Any]:
    recorder = _Recorder()
    KINDS[type_].read(recorder, 64)
    properties = {"type": {"const": type_}, **recorder.properties}
    return {
        "type": "object",
        "properties": properties,
        "required": ["type", *recorder.required],
        "additionalProperties": False,
    }


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


_INT, _STR, _BOOL, _NUM = {"type": "integer", "minimum": 1}, {"type": "string"}, {"type": "boolean"}, {"type": "number"}
_NAMES = {"type": "array", "items": {"type": "string"}}


def _tower_schema(read_tower: Callable[[SpecTable], object], step: dict[str, Any]) -> dict[str, Any]:
    """``[vision]`` or ``[audio]``: the reader's keys and the projector steps they share.
    Keys that only one ``kind`` of tower requires are required under that kind (the
    first, the default, also applies when ``kind`` is left out)."""
    recorder = _Recorder()
    read_tower(recorder)
    properties = {**recorder.properties, "projector": {"type": "array", "items": step}}
    kinds = properties.get("kind", {}).get("enum", [])
    by_kind = {}
    for kind in kinds:
        branch = _Recorder({"kind": kind})
        read_tower(branch)
        by_kind[kind] = branch.required
    common = [key for key in recorder.required if all(key in required for required in by_kind.values())]
    schema = {"type": "object", "properties": properties, "required": common, "additionalProperties": False}
    rules = [  # "kind" itself is required for any but the default, the first
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"] if index else []},
            "then": {"required": extra},
        }
        for index, (kind, required) in enumerate(by_kind.items())
        if (extra := [key for key in required if key not in common])
    ]
    return schema | ({"allOf": rules} if rules else {})


def spec_schema() -> dict[str, Any]:
    """The whole spec format, for a spec file as written (a spec that ``extends`` another
    gives only what it changes). The explicit form's tables are described key by key; the
    uniform form's (``[attention]``, ``[position]``, ``[ffn]``, ...) are described in the docs."""
    figure = {
        f"{p}_{k}": v
        for p in ("total", "active", "non_embedding", "total_with_mtp")
        for k, v in (
            ("params", _NUM),
            ("stated", _STR),
            ("source", _STR),
            ("excludes", _NAMES),
            ("plus", _NAMES),
            ("plus_params", _NUM),
            ("rounding", {"enum": ["nearest", "down", "class"]}),
        )
    }
    conventions = ("total_includes", "active_convention", "non_embedding_convention", "total_with_mtp_convention")
    sublayer = _object({"op": _STR, "norm": {"enum": list(PLACEMENTS)}, "parallel": _BOOL, "sum_norm": _BOOL}, ("op",))
    step = {
        "type": "object",
        "properties": {"step": {"enum": ["linear", "norm", "pool", "pixel_shuffle", "conv", "activation"]}},
        "required": ["step"],
    }
    spec = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z0-9]+(?:[-.][a-z0-9]+)*$"},
            "extends": _STR,
            "name": _STR,
            "family": _STR,
            "organization": _STR,
            "released": _STR,
            "license": _STR,
            "aliases": _NAMES,
            "summary": _STR,
            "key_detail": _STR,
            "colour": {"enum": list(PALETTE)},
            "sources": {
                "type": "object",
                "additionalProperties": _STR,
                "description": "links (config, paper, model_card, ...): optional in your own specs; every bundled "
                "spec must have one, linking its config or paper (the loader checks this)",
            },
            "official": _object(
                {
                    **figure,
                    **dict.fromkeys(conventions, _STR),
                    "note": _STR,
                }
            ),
            "text": _object(
                {
                    "vocab_size": _INT,
                    "hidden_size": _INT,
                    "num_hidden_layers": _INT,
                    "context_length": _INT,
                    "max_position_embeddings": _INT,
                    "tie_word_embeddings": _BOOL,
                    "learned_positions": _BOOL,
                    "extended_context_length": _INT,
                    "extended_context_method": _STR,
                    "hidden_size_per_layer_input": _INT,
                    "vocab_size_per_layer_input": _INT,
                    "hyper_connections": {"type": "integer", "minimum": 2},
                    "residual_scales": _BOOL,
                }
            ),
            # kind is required of a spec that extends none (the loader says so); placement is the uniform form's
            "norm": _object(
                {
                    "kind": {"enum": ["rmsnorm", "layernorm"]},
                    "bias": _BOOL,
                    "eps": _NUM,
                    "placement": {"enum": ["pre", "post", "sandwich"]},
                }
            ),
            "ops": {"type": "object", "additionalProperties": {"oneOf": [op_schema(t) for t in KINDS]}},
            "layer_kinds": {
                "type": "object",
                "additionalProperties": _object(
                    {
                        "label": _STR,
                        "norm": {"enum": list(PLACEMENTS)},
                        "sublayers": {"type": "array", "items": sublayer},
                    },
                    ("sublayers",),
                ),
            },
            "schedule": _object({"prefix": _NAMES, "cycle": _NAMES, "layers": _NAMES}),
            "mtp": _object(
                {
                    "num_modules": {"type": "integer", "minimum": 0},
                    "layer_kind": _STR,
                    "embedding_copies": {"type": "integer", "minimum": 0},
                }
            ),
            "vision": _tower_schema(vision.read_tower, step),
            "audio": _tower_schema(audio.read_tower, step),
        },
        "required": ["id", "name", "family", "text"],
    }
    # A spec that extends another gives only what it changes (not its name: that is not inherited).
    extension = _partial(spec) | {"required": ["id", "name", "extends"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sphinx-llmarch model spec",
        "$defs": {"spec": spec, "extension": extension},
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/extension"},
        "else": {"$ref": "#/$defs/spec"},
    }


def _partial(schema: Any) -> Any:
    """``schema`` with nothing required: what a spec that extends another may give
    (any op table may then match more than one op kind, so one of them is enough)."""
    if isinstance(schema, list):
        return [_partial(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    dropped = ("required", "allOf", "if", "then")
    return {
        ("anyOf" if key == "oneOf" else key): _partial(value) for key, value in schema.items() if key not in dropped
    }
