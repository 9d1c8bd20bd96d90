"""The ``llmarch`` command: list, show, dot, render, validate, import, schema."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
from pathlib import Path
from typing import Any

from . import __version__, diagram, stats, toml_writer
from .audio import audio_json
from .errors import SpecError, UnknownModelError
from .files import files_in
from .kinds import Op
from .loader import (
    architecture_from_dict,
    import_config,
    load_config,
    load_spec,
    read_raw,
)
from .model import Architecture
from .problems import spec_problems
from .registry import Registry, bundled_registry, with_bundled
from .render import FORMATS, RenderError, render_bytes
from .schema import spec_schema
from .vision import vision_json

USAGE_ERROR = 2


def _summary(arch: Architecture) -> dict[str, Any]:
    return {
        "id": arch.id,
        "name": arch.name,
        "family": arch.family,
        "organization": arch.organization,
        "released": arch.released.isoformat() if arch.released else None,
        "aliases": list(arch.aliases),
    }


def _op_json(op: Op, hidden_size: int) -> dict[str, Any]:
    data = {"type": op.type, "title": op.title, **dataclasses.asdict(op)}
    data["params"] = sum(op.params(hidden_size).values())
    return data


def model_json(arch: Architecture, context: int | None = None) -> dict[str, Any]:
    """Everything ``show --json`` (and ``import --json``) prints; numbers are exact integers.

    ``context`` is the length (tokens) for the KV-cache size; default: the model's own.
    """
    context = context or arch.context_length
    p = stats.params(arch)
    data = _summary(arch) | {
        "license": arch.license,
        "extends": arch.base,
        "decoder_type": stats.decoder_type(arch),
        "params": {
            "total": p.total,
            "active": p.active,
            "embedding": p.embedding,
            "non_embedding": p.non_embedding,
            "components": dict(p.components),
            "mtp": p.mtp,
            "total_with_mtp": p.total_with_mtp,
            "vision_encoder": p.vision_encoder,
            "vision_projector": p.vision_projector,
            "audio_encoder": p.audio_encoder,
            "audio_projector": p.audio_projector,
        },
        "kv_cache": {
            "dtype": "bf16",
            "bytes_per_token": stats.kv_cache_bytes_per_token(arch),
            "context_tokens": context,
            "bytes_at_context": stats.kv_cache_bytes(arch, context),
        },
        "state_bytes": stats.state_bytes(arch),
        "num_layers": arch.num_layers,
        "hidden_size": arch.hidden_size,
        "vocab_size": arch.vocab_size,
        "context_length": arch.context_length,
        "layer_mix": stats.layer_mix(arch),
        "layer_kinds": [
            {
                "key": kind.key,
                "label": kind.label,
                "layers": count,
                "sublayers": [
                    {
                        "op": sub.op_key,
                        "norm": sub.norm,
                        "parallel": sub.parallel,
                        "sum_norm": sub.sum_norm,
                        **_op_json(sub.op, arch.hidden_size),
                    }
                    for sub in kind.sublayers
                ],
            }
            for kind, count in arch.kind_counts()
        ],
        "schedule": {"prefix": list(arch.schedule.prefix), "cycle": list(arch.schedule.cycle)},
        "official": {
            name: getattr(arch.official, name).value
            for name in stats.OFFICIAL_FIGURES
            if getattr(arch.official, name) is not None
        },
        "sources": dict(arch.sources),
    }
    if arch.vision:
        data["vision"] = vision_json(arch.vision)
    if arch.audio:
        data["audio"] = audio_json(arch.audio)
    return data


def _show_text(arch: Architecture, context: int | None) -> str:
    data = model_json(arch, context)
    p = data["params"]
    lines = [
        f"{arch.name} ({arch.id})",
        stats.describe(arch),
        f"  params     {p['total']:,} total, {p['active']:,} active, {p['embedding']:,} embedding",
        f"  kv cache   {data['kv_cache']['bytes_per_token']:,} bytes/token (bf16), "
        f"{stats.human_bytes(data['kv_cache']['bytes_at_context'])} at {data['kv_cache']['context_tokens']:,} tokens",
        f"  layers     {arch.num_layers} ({data['layer_mix']})",
        *(
            [f"  state      {stats.human_bytes(data['state_bytes'])} per sequence (bf16)"]
            if data["state_bytes"]
            else []
        ),
        f"  context    {arch.context_length:,} tokens",
    ]
    for tower in ("vision", "audio"):  # counted apart from the text stack, as the fact sheet does
        if tower in data:
            part = data[tower]
            name = f" ({part['name']})" if part["name"] else ""
            lines.append(
                f"  {tower:<10} {part['encoder_params']:,} encoder{name}, {part['projector_params']:,} projector "
                f"({part['projector']}); not in the totals above"
            )
    return "\n".join(lines)


def _common(defaults: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after its name."""
    common = argparse.ArgumentParser(add_help=False)

    def default(value: Any) -> Any:  # after the command, an absent option keeps the value given before it
        return value if defaults else argparse.SUPPRESS

    common.add_argument(
        "--spec-path",
        action="append",
        default=default([]),
        metavar="PATH",
        help="extra spec file or directory (may repeat); overrides bundled ids",
    )
    common.add_argument(
        "--dot", default=default("dot"), metavar="PROGRAM", help="the Graphviz dot program (default: dot)"
    )
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llmarch", description="LLM architecture specs, stats and diagrams.", parents=[_common(True)]
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = _common(False)
    commands = parser.add_subparsers(dest="command", required=True)
    add = functools.partial(commands.add_parser, parents=[common])
    listing = add("list", help="list the models")
    listing.add_argument("--json", action="store_true", help="one JSON object per model, as a list")
    show = add("show", help="facts and computed numbers for one model")
    show.add_argument("model")
    show.add_argument("--json", action="store_true")
    show.add_argument("--context", type=_positive, metavar="TOKENS", help="context length for the KV-cache size")
    dot = add("dot", help="print the diagram's Graphviz source (render with neato -n2)")
    dot.add_argument("model")
    render = add("render", help="draw the diagram; the format comes from the suffix")
    render.add_argument("model")
    render.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file: .svg, .png, .pdf, or .json for the laid-out graph; '-' with --format for stdout",
    )
    render.add_argument("--format", choices=FORMATS, help="the output format (default: from the file's suffix)")
    validate = add("validate", help="check specs and config.json files; print each problem")
    validate.add_argument("files", nargs="+", type=Path, help="spec .toml, config .json, or a folder of them")
    imported = add("import", help="read a Hugging Face config.json; print or write its spec")
    imported.add_argument("config", type=Path)
    imported.add_argument("-o", "--output", type=Path, help="write the spec to this .toml file (its id: the file name)")
    imported.add_argument("--id", help="the model id (default: the config's folder, or the file name)")
    imported.add_argument("--json", action="store_true", help="print the computed facts as show --json does")
    add("schema", help="print the spec format as JSON Schema")
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _registry(paths: list[str]) -> Registry:
    registry, problems = with_bundled()
    for problem in problems:
        print(f"llmarch: warning: {problem}", file=sys.stderr)
    registry.add_files((file, str(file)) for entry in paths for file in files_in(Path(entry)))
    return registry


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.files)
        if args.command == "import":
            return _import(args.config, args.output, args.id, args.json)
        if args.command == "schema":
            print(json.dumps(spec_schema(), indent=2))
            return 0
        registry = _registry(args.spec_path)
        if args.command == "list":
            return _list(registry, args.json)
        arch = registry.get(args.model)
        if args.command == "show":
            print(json.dumps(model_json(arch, args.context), indent=2) if args.json else _show_text(arch, args.context))
        elif args.command == "dot":
            print(diagram.to_dot(arch), end="")
        else:
            return _render(arch, args.output, args.format, args.dot)
    except (UnknownModelError, SpecError) as error:
        print(f"llmarch: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    return 0


def _expand(paths: list[Path]) -> list[Path]:
    return [file for path in paths for file in files_in(path, ("*.toml", "config.json"))]


def _validate(paths: list[Path]) -> int:
    """Exit 0 when every file is a valid spec or config, 1 otherwise (after checking them all);
    every problem of each spec is printed, not only its first."""
    failed = 0
    lookup = bundled_registry().raw_spec
    for file in _expand(paths):
        try:
            if file.suffix == ".json":
                arch, warnings = load_config(file, display=str(file))
                for warning in warnings:
                    print(f"{file}: warning: {warning}", file=sys.stderr)
            else:
                problems = spec_problems(read_raw(file, str(file)), lookup)
                for problem in problems:
                    print(f"{problem}", file=sys.stderr)
                if problems:
                    failed += 1
                    continue
                arch = load_spec(file, display=str(file), lookup=lookup)
                for key, problem in stats.official_disagreements(arch):
                    print(f"{file}: warning: {key}: {problem}", file=sys.stderr)
        except SpecError as error:
            print(f"{error}", file=sys.stderr)
            failed += 1
        else:
            print(f"{file}: ok ({arch.id}, {arch.name})")
    return 1 if failed else 0


def _import(config: Path, output: Path | None, model_id: str | None, as_json: bool) -> int:
    """Import a config.json; the TOML written is the one the loader reads back."""
    model_id = model_id or (output.stem if output else None)
    spec, warnings = import_config(config, str(config), model_id)
    arch = architecture_from_dict(spec, str(config))
    for warning in warnings:
        print(f"llmarch: warning: {warning}", file=sys.stderr)
    if as_json:
        print(json.dumps(model_json(arch), indent=2))
        return 0
    header = f"# Imported from {config} by llmarch {__version__}: add summary, key_detail and [official].\n"
    text = header + toml_writer.dumps(spec)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}")
    return 0


def _list(registry: Registry, as_json: bool) -> int:
    if as_json:
        print(json.dumps([_summary(arch) for arch in registry], indent=2))
        return 0
    for arch in registry:
        released = arch.released.isoformat() if arch.released else "?"
        print(f"{arch.id:<24} {released}  {arch.name}")
    return 0


def _render(arch: Architecture, output: Path, fmt: str | None, dot: str) -> int:
    to_stdout = str(output) == "-"
    if output.is_dir():
        print(
            f"llmarch: error: {output} is a folder; give the file to write, such as {output / arch.id}.svg",
            file=sys.stderr,
        )
        return USAGE_ERROR
    fmt = fmt or ("" if to_stdout else output.suffix.lstrip(".").lower())
    if fmt not in FORMATS:
        where = "'-o -' needs --format" if to_stdout else f"cannot tell the format from {output.name!r}"
        print(f"llmarch: error: {where}; use .svg, .png, .pdf or .json", file=sys.stderr)
        return USAGE_ERROR
    try:
        data = render_bytes(diagram.to_dot(arch), fmt, dot, setting="--dot")
        if to_stdout:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return 0
        output.write_bytes(data)
    except RenderError as error:
        print(f"llmarch: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"llmarch: error: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"wrote {output}")
    return 0
