"""Which models a gallery grid or table shows: a small filter language, sorting, a limit.

    decoder == "moe" and released >= 2025-01-01
    attention in ("mla", "gqa") and not family == "Qwen3"
    params >= 100B or concepts == "mtp"

Fields are the keys of :func:`record` (or a name in :data:`FIELD_ALIASES`); ``id``
matches a model's aliases too. Strings compare without regard to case; dates are
written YYYY-MM-DD; numbers may carry the units the tables print (:data:`UNITS`):
``2.5B`` parameters, ``128k`` or ``1M`` tokens of context (binary, as model cards say
them), ``64 KiB`` of cache. A field that holds several values (``attention``,
``concepts``) matches ``==`` when any of them does, and ``in (...)`` when any of them
is listed. A malformed expression raises :class:`FilterError` with the position where
reading it failed.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .memo import per_model

if TYPE_CHECKING:
    from ..model.architecture import Architecture


class FilterError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@per_model
def record(arch: Architecture) -> dict[str, Any]:
    """What an expression can ask about one model."""
    from . import stats
    from .concepts import concepts_of
    from .cost import weights_bytes

    p = stats.params(arch)
    mixers = {word for kind, _ in arch.kind_counts() for op in kind.ops for word in op.filter_words()}
    decoder = stats.decoder_type(arch)  # "hybrid ..." and "attention-free ..." name the mixing
    mixing = next((kind for kind in ("hybrid", "attention-free") if decoder.startswith(kind)), "attention")
    return {
        "id": arch.id,
        "aliases": frozenset(arch.aliases),
        "name": arch.name,
        "family": arch.family,
        "organization": arch.organization,
        "license": arch.license or "",
        "decoder": "moe" if arch.is_moe else "dense",
        "mixing": mixing,
        "attention": frozenset(mixers),
        "concepts": frozenset(concepts_of(arch)),
        "released": arch.released or datetime.date.min,
        "params": p.total,
        "active": p.active,
        "layers": arch.num_layers,
        "hidden_size": arch.hidden_size,
        "context": arch.context_length,
        "vocab": arch.vocab_size,
        "kv_cache": stats.kv_cache_bytes_per_token(arch),
        "weights": weights_bytes(arch, "bf16"),
    }


#: The keys of :func:`record`, in the order the error message lists them.
FIELDS = (
    *("id", "name", "family", "organization", "license", "decoder", "mixing", "attention", "concepts"),
    *("released", "params", "active", "layers", "hidden_size", "context", "vocab", "kv_cache", "weights"),
)

#: Other names of fields, as specs, config.json files and the tables call them.
FIELD_ALIASES = {
    "model": "id",
    "org": "organization",
    "organisation": "organization",
    "date": "released",
    "release": "released",
    "release_date": "released",
    "parameters": "params",
    "total": "params",
    "active_params": "active",
    "active_parameters": "active",
    "num_layers": "layers",
    "num_hidden_layers": "layers",
    "depth": "layers",
    "hidden": "hidden_size",
    "width": "hidden_size",
    "d_model": "hidden_size",
    "context_length": "context",
    "max_position_embeddings": "context",
    "vocab_size": "vocab",
    "vocabulary": "vocab",
    "kv_cache_per_token": "kv_cache",
    "weights_bf16": "weights",
    "weights_bytes": "weights",
    "mixer": "attention",
    "mixers": "attention",
    "concept": "concepts",
}

#: What a unit multiplies by, for each kind of number: the tables print counts as
#: ``2.5B``, context lengths as ``128k`` and ``1M`` (powers of two, as model cards
#: say them) and cache sizes as ``64 KiB``. Units are read without regard to case.
UNITS: dict[str, dict[str, int]] = {
    "count": {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12},
    "tokens": {"": 1, "k": 2**10, "m": 2**20},
    "bytes": {"": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40},
}
#: The numeric fields and the kind of number each holds.
_NUMBERS = {
    **dict.fromkeys(("params", "active", "layers", "hidden_size", "vocab"), "count"),
    "context": "tokens",
    **dict.fromkeys(("kv_cache", "weights"), "bytes"),
}
_EXAMPLES = {"count": "2.5B", "tokens": "128k", "bytes": "64 KiB"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>\d+(?:\.\d+)?)(?:[ \t]*(?P<unit>[KMGT]iB|[kmbtKMBT]))?(?![\w.])
    | (?P<string>"[^"]*"|'[^']*')
    | (?P<op>==|!=|<=|>=|<|>|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
    )""",
    re.VERBOSE,
)


@dataclass
class _Token:
    kind: str
    value: Any
    position: int


@dataclass(frozen=True)
class _Number:
    """A number as written: its unit is read by the field it is compared with."""

    amount: float
    unit: str

    def scaled(self, field: str, position: int) -> float:
        kind = _NUMBERS[field]
        scale = UNITS[kind].get(self.unit.lower())
        if scale is None:
            raise FilterError(f"{field} does not take {self.unit!r} (write, e.g., {_EXAMPLES[kind]})", position)
        return self.amount * scale


def _tokens(text: str) -> list[_Token]:
    out, at = [], 0
    while text[at:].strip():
        match = _TOKEN.match(text, at)
        if match is None:
            start = at + len(text[at:]) - len(text[at:].lstrip())
            raise FilterError(f"cannot read {text[start : start + 12]!r}", start)
        start = match.end() - len(match.group(0).lstrip())  # where the token begins
        if match.group("date"):
            try:
                out.append(_Token("value", datetime.date.fromisoformat(match.group("date")), start))
            except ValueError:
                raise FilterError(f"{match.group('date')} is not a date", start) from None
        elif match.group("number"):
            out.append(_Token("value", _Number(float(match.group("number")), match.group("unit") or ""), start))
        elif match.group("string"):
            out.append(_Token("value", match.group("string")[1:-1], start))
        elif match.group("op"):
            out.append(_Token("op", match.group("op"), start))
        else:
            word = match.group("word")
            out.append(_Token("keyword" if word in ("and", "or", "not", "in") else "field", word, start))
        at = match.end()
    out.append(_Token("end", None, len(text)))
    return out


Predicate = Callable[[dict[str, Any]], bool]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class _Parser:
    """expr := and ("or" and)*; and := not ("and" not)*; not := "not" not | "(" expr ")" | test;
    test := field op value | field "in" "(" value ("," value)* ")"."""

    def __init__(self, text: str) -> None:
        self.tokens, self.at = _tokens(text), 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self, kind: str, value: Any = None) -> _Token:
        token = self.peek()
        if token.kind != kind or (value is not None and token.value != value):
            wanted = repr(value) if value is not None else {"field": "a field name", "value": "a value"}.get(kind, kind)
            found = "the end" if token.kind == "end" else repr(token.value)
            raise FilterError(f"expected {wanted}, found {found}", token.position)
        self.at += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.expression()
        self.take("end")
        return predicate

    def expression(self) -> Predicate:
        return self._joined("or", self.conjunction, any)

    def conjunction(self) -> Predicate:
        return self._joined("and", self.negation, all)

    def _joined(self, word: str, operand: Callable[[], Predicate], combine: Callable[[Any], bool]) -> Predicate:
        """Operands separated by ``word``, true when ``combine`` (any, all) of them are."""
        parts = [operand()]
        while self.peek().kind == "keyword" and self.peek().value == word:
            self.at += 1
            parts.append(operand())
        return parts[0] if len(parts) == 1 else lambda r: combine(p(r) for p in parts)

    def negation(self) -> Predicate:
        token = self.peek()
        if token.kind == "keyword" and token.value == "not":
            self.at += 1
            inner = self.negation()
            return lambda r: not inner(r)
        if token.kind == "op" and token.value == "(":
            self.at += 1
            inner = self.expression()
            self.take("op", ")")
            return inner
        return self.test()

    def test(self) -> Predicate:
        field = self.take("field")
        name = FIELD_ALIASES.get(field.value.lower(), field.value.lower())
        if name not in FIELDS:
            close = difflib.get_close_matches(field.value, [*FIELDS, *FIELD_ALIASES], n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"fields: {', '.join(FIELDS)}"
            raise FilterError(f"unknown field {field.value!r} ({hint})", field.position)
        read = _ids if name == "id" else lambda r: r[name]
        if self.peek().kind == "keyword" and self.peek().value == "in":
            self.at += 1
            self.take("op", "(")
            values = [self.value(name)]
            while self.peek().value == ",":
                self.at += 1
                values.append(self.value(name))
            self.take("op", ")")
            return lambda r: _matches(read(r), lambda v: v in values)
        op = self.peek()
        if op.kind != "op" or op.value not in _COMPARE:
            raise FilterError(f"expected a comparison (== != < <= > >= in) after {field.value}", op.position)
        self.at += 1
        compare, wanted = _COMPARE[op.value], self.value(name)
        return lambda r: _matches(read(r), lambda v: compare(v, wanted))

    def value(self, name: str) -> Any:
        """The next value, as ``name`` compares it: a number in that field's units."""
        token = self.take("value")
        value = token.value
        if name == "released" and not isinstance(value, datetime.date):
            raise FilterError("released compares with a date, YYYY-MM-DD", token.position)
        if name in _NUMBERS:
            if not isinstance(value, _Number):
                raise FilterError(f"{name} compares with a number", token.position)
            return value.scaled(name, token.position)
        if isinstance(value, _Number):  # a number where text is kept: as written, so never equal
            return f"{value.amount:g}{value.unit}"
        return _fold(value)


def _ids(fields: dict[str, Any]) -> frozenset[str]:
    """A model's id and aliases: ``id == "gpt2-xl"`` finds GPT-2 XL."""
    return frozenset({fields["id"], *fields.get("aliases", ())})


def _matches(value: Any, test: Callable[[Any], bool]) -> bool:
    if isinstance(value, frozenset):
        return any(test(_fold(v)) for v in value)
    return test(_fold(value))


def compile_filter(text: str) -> Predicate:
    """The predicate an expression describes; :class:`FilterError` if it is malformed."""
    return _Parser(text).parse()


SORTS = ("date", "params", "active", "name", "layers", "context")


def sort_option(argument: str | None) -> str:
    """``date``, ``params``, ``name``, ... with ``-`` in front for descending order; the
    filter language's names for the same fields (``num_hidden_layers``, ``released``) too."""
    value = (argument or "").strip()
    name = value.lstrip("-").lower()
    field = FIELD_ALIASES.get(name, name)
    key = "date" if field == "released" else field
    if key not in SORTS:
        raise ValueError(f"give one of {', '.join(SORTS)}, with - in front for descending order")
    return ("-" if value.startswith("-") else "") + key


def select(
    models: Iterable[Architecture], expression: str = "", sort: str = "date", limit: int = 0
) -> list[Architecture]:
    """The models an expression keeps, sorted, at most ``limit`` (0: all)."""
    by_id = {arch.id: arch for arch in models}
    return [by_id[r["id"]] for r in select_records([record(arch) for arch in by_id.values()], expression, sort, limit)]


def select_records(
    records: Iterable[dict[str, Any]], expression: str = "", sort: str = "date", limit: int = 0
) -> list[dict[str, Any]]:
    """:func:`select` over records (see :func:`record`), which a build keeps without the models."""
    predicate = compile_filter(expression) if expression.strip() else None
    kept = [r for r in records if predicate is None or predicate(r)]
    key = {"date": "released"}.get(sort.lstrip("-"), sort.lstrip("-"))
    kept.sort(key=lambda r: (_fold(r[key]), r["params"], r["name"].lower()), reverse=sort.startswith("-"))
    return kept[: limit or None]


def record_to_json(fields: dict[str, Any]) -> dict[str, Any]:
    """A record as JSON can hold it (sets as sorted lists, dates as text)."""
    return {
        key: sorted(value) if isinstance(value, frozenset) else value.isoformat() if key == "released" else value
        for key, value in fields.items()
    }


def record_from_json(fields: dict[str, Any]) -> dict[str, Any]:
    """The record :func:`record_to_json` wrote."""
    return {
        key: frozenset(value)
        if isinstance(value, list)
        else datetime.date.fromisoformat(value)
        if key == "released"
        else value
        for key, value in fields.items()
    }
