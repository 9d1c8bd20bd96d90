"""The ``llmarch`` command: list, show, cost, dot, render, validate, import, schema."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .draw import diagram
from .draw.render import FORMATS, RenderError, render_bytes
from .errors import SpecError, UnknownModelError
from .facts import stats
from .facts.cost import PRECISIONS, cost
from .facts.summary import model_json, show_text, summary_json
from .kinds import PLUGIN_PROBLEMS
from .model.architecture import Architecture
from .spec import writer
from .spec.files import files_in, read_toml
from .spec.loader import Lookup, architecture_from_dict, file_name_problem, import_config, load_config, read_raw
from .spec.problems import spec_problems
from .spec.registry import Registry, load_spec
from .spec.schema import spec_schema
from .version import __version__

#: Exit statuses: ``validate`` found a problem; any other error; the reader of the output
#: went away (``llmarch list | head -1``), reported as a program killed by SIGPIPE is.
INVALID, USAGE_ERROR, CLOSED_PIPE = 1, 2, 128 + 13


class CommandError(Exception):
    """A command that cannot do what it was asked: one line on stderr, exit status 2."""


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
    common.add_argument(
        "--read-as",
        default=default(None),
        metavar="MODEL_TYPE",
        help="read a config.json of an unknown model_type as this known type (it is refused otherwise)",
    )
    return common


class _Parser(argparse.ArgumentParser):
    """A mistake in the command line is one line on stderr, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


MODEL = "model id, spec .toml, config.json or a checkpoint folder holding one"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llmarch", description="LLM architecture specs, stats and diagrams.", parents=[_common(True)])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = _common(False)
    commands = parser.add_subparsers(dest="command", required=True)
    add = functools.partial(commands.add_parser, parents=[common])
    listing = add("list", help="list the models")
    listing.add_argument("--json", action="store_true", help="one JSON object per model, as a list")
    show = add("show", help="facts and computed numbers for one model")
    show.add_argument("model", help=MODEL)
    show.add_argument("--json", action="store_true")
    show.add_argument("--context", type=_positive, metavar="TOKENS", help="context length for the KV-cache size")
    costs = add("cost", help="weights, KV cache and state at a context and batch, FLOPs per token")
    costs.add_argument("model", help=MODEL)
    costs.add_argument("--context", type=_positive, metavar="TOKENS", help="tokens per sequence (default: the model's)")
    costs.add_argument("--batch", type=_positive, default=1, metavar="N", help="sequences (default 1)")
    costs.add_argument("--dtype", choices=list(PRECISIONS), default="bf16", help="the weights' precision")
    costs.add_argument("--cache-dtype", choices=list(PRECISIONS), default="bf16", help="the cache's precision")
    costs.add_argument("--json", action="store_true")
    dot = add("dot", help="print the diagram's Graphviz source (render with neato -n2)")
    dot.add_argument("model", help=MODEL)
    render = add("render", help="draw the diagram; the format comes from the suffix")
    render.add_argument("model", help=MODEL)
    render.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="output file: .svg, .png, .pdf, or .json for the laid-out graph; '-' with --format for stdout",
    )
    render.add_argument("--format", choices=FORMATS, help="the output format (default: from the file's suffix)")
    validate = add("validate", help="check specs and config.json files; print each problem")
    validate.add_argument(
        "files", nargs="+", type=Path, help="spec .toml, config .json, or a folder of them (subfolders too)"
    )
    imported = add("import", help="read a Hugging Face config.json; print or write its spec")
    imported.add_argument("config", type=Path, help="a config.json, or a checkpoint folder holding one")
    imported.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write the spec to this .toml file (its id: the file name), or the facts to a .json file",
    )
    imported.add_argument("--id", help="the model id (default: the .toml file name, else the config's folder)")
    imported.add_argument("--json", action="store_true", help="the computed facts, as show --json prints them")
    add("schema", help="print the spec format as JSON Schema")
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _registry(entries: list[str]) -> Registry:
    """The bundled models and those of ``--spec-path``, loaded as a Sphinx build loads them:
    a spec that fails is a warning (its file, key and problem), not the end of every command."""
    from .spec.catalog import load_registry

    for entry in entries:
        if not Path(entry).exists():
            raise CommandError(f"--spec-path {entry}: no such file or folder")
    files = [file for entry in entries for file in files_in(Path(entry))]
    registry, catalog = load_registry(Path.cwd(), files, ())
    for level, message in catalog.messages:
        print(message if level == "info" else f"llmarch: warning: {message}", file=sys.stderr)
    return registry


def _checkpoint(path: Path) -> Path:
    """A downloaded checkpoint's folder stands for its config.json."""
    return path / "config.json" if path.is_dir() else path


def _warn(file: Path, warnings: list[str]) -> None:
    for warning in warnings:
        print(f"llmarch: warning: {file}: {warning}", file=sys.stderr)


def _model(registry: Registry, name: str, read_as: str | None = None) -> Architecture:
    """A model by id or alias, or read from a file with the loaders the ``llm-arch``
    directive uses for a spec path and for ``:config:``."""
    path = Path(name)
    if path.suffix == ".toml":
        return load_spec(path, display=name, lookup=registry.raw_spec)
    if path.suffix == ".json" or (path / "config.json").is_file():
        config = _checkpoint(path)
        arch, warnings = load_config(config, str(config), read_as=read_as)
        _warn(config, warnings)
        return arch
    return registry.model(name)


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit status (0, or one of :data:`INVALID`,
    :data:`USAGE_ERROR`, :data:`CLOSED_PIPE`)."""
    try:
        try:
            return _run(_parser().parse_args(argv))
        finally:
            sys.stdout.flush()  # here, so that a closed pipe is noticed while it can be handled
    except BrokenPipeError:
        # Python's own recipe: what is left in the buffer goes nowhere, and no traceback
        # at exit; the status is the one a shell reports for `yes | head -1`.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE


def _run(args: argparse.Namespace) -> int:
    for problem in PLUGIN_PROBLEMS:
        print(f"llmarch: warning: {problem}", file=sys.stderr)
    try:
        if args.command == "validate":
            return _validate(args.files, _registry(args.spec_path).raw_spec, args.read_as)
        if args.command == "import":
            return _import(args.config, args.output, args.id, args.json, args.read_as)
        if args.command == "schema":
            print(json.dumps(spec_schema(), indent=2))
            return 0
        registry = _registry(args.spec_path)
        if args.command == "list":
            return _list(registry, args.json)
        arch = _model(registry, args.model, args.read_as)
        if args.command == "show":
            print(json.dumps(model_json(arch, args.context), indent=2) if args.json else show_text(arch, args.context))
        elif args.command == "cost":
            print(_cost(arch, args))
        elif args.command == "dot":
            print(diagram.to_dot(arch), end="")
        else:
            _render(arch, args.output, args.format, args.dot)
    except (UnknownModelError, SpecError, CommandError, RenderError) as error:
        # one line, even for what Graphviz says on several
        lines = (line.strip() for line in str(error).splitlines())
        print(f"llmarch: error: {'; '.join(line for line in lines if line)}", file=sys.stderr)
        return USAGE_ERROR
    return 0


def _output_format(output: Path | None, asked: str | None, option: str, formats: Sequence[str]) -> str | None:
    """The format that ``asked`` names, or else the output file's ending; the two disagreeing
    is an error, not a file whose content contradicts its name."""
    if output is None or str(output) == "-" or output.suffix.lstrip(".").lower() not in formats:
        return asked
    ending = output.suffix.lstrip(".").lower()
    if asked and asked != ending:
        raise CommandError(f"{option} contradicts the file name {output.name!r}; drop one or make them agree")
    return ending


def _write(output: Path, data: str | bytes) -> None:
    try:
        if isinstance(data, str):
            output.write_text(data, encoding="utf-8")
        else:
            output.write_bytes(data)
    except OSError as error:
        raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
    print(f"wrote {output}")


def _expand(paths: list[Path]) -> list[Path]:
    """The files to validate: each file named, and every spec and config.json in each folder
    and its subfolders (but not in hidden ones such as .git or .venv)."""
    files = []
    for path in paths:
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        found = [
            file
            for file in files_in(path, ("**/*.toml", "**/config.json"))
            if not any(part.startswith(".") for part in file.relative_to(path).parts)
        ]
        if path.is_dir():  # a project folder also holds pyproject.toml and the like: not specs
            others = [file for file in found if not _may_be_spec(file)]
            for file in others:
                print(f"llmarch: skipped {file}: a TOML file with no id or extends is not a spec", file=sys.stderr)
            found = [file for file in found if file not in others]
        if not found:
            raise CommandError(f"no spec files in {path}")
        files += found
    return files


def _may_be_spec(file: Path) -> bool:
    """A config.json, or a TOML file that names a model (or fails to parse: then it is reported)."""
    if file.suffix != ".toml":
        return True
    try:
        data = read_toml(file, str(file))
    except SpecError:
        return True
    return "id" in data or "extends" in data


def _validate(paths: list[Path], lookup: Lookup, read_as: str | None = None) -> int:
    """Exit 0 when every file is a valid spec or config, 1 otherwise (after checking them all);
    every problem of each spec is printed, not only its first."""
    failed = 0
    for file in _expand(paths):
        try:
            if file.suffix == ".json":
                arch, warnings = load_config(file, str(file), read_as=read_as)
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
    return INVALID if failed else 0


def _import(config: Path, output: Path | None, model_id: str | None, as_json: bool, read_as: str | None) -> int:
    """Import a config.json; the TOML written is the one the loader reads back, named as
    ``validate`` wants it: after its id."""
    config = _checkpoint(config)
    if output is not None and str(output) == "-":  # standard output, as for render
        output = None
    fmt = _output_format(output, "json" if as_json else None, "--json", ("toml", "json")) or "toml"
    spec_file = output if fmt == "toml" else None
    if spec_file is not None:
        if model_id not in (None, spec_file.stem):
            raise CommandError(
                f"--id {model_id!r} contradicts the file name {spec_file.name!r} (a spec's id is its file name)"
            )
        model_id = spec_file.stem
    spec, warnings = import_config(config, str(config), model_id, read_as)
    arch = architecture_from_dict(spec, str(config))
    if spec_file is not None and (misnamed := file_name_problem(arch.id, spec_file, str(spec_file))):
        raise misnamed
    _warn(config, warnings)
    if fmt == "json":
        text = json.dumps(model_json(arch), indent=2) + "\n"
    else:
        header = f"# Imported from {config} by llmarch {__version__}: add summary, key_detail and [official].\n"
        text = header + writer.dumps(spec)
    if output is None:
        print(text, end="")
    else:
        _write(output, text)
    return 0


def _cost(arch: Architecture, args: argparse.Namespace) -> str:
    """``llmarch cost``: the numbers as JSON, or a few lines for a reader."""
    found = cost(arch, args.context, args.batch, args.dtype, args.cache_dtype)
    if args.json:
        return json.dumps(found.as_json(), indent=2)
    size = stats.human_bytes
    return "\n".join(
        [
            f"{arch.name} ({arch.id}) at {found.context:,} tokens, batch {found.batch}",
            f"  weights    {size(found.weights_bytes)} ({found.weights_bytes:,} bytes, {found.dtype})",
            f"  kv cache   {size(found.kv_bytes)} ({found.kv_bytes:,} bytes, {found.cache_dtype})",
            *([f"  state      {size(found.state_bytes)} ({found.state_bytes:,} bytes)"] if found.state_bytes else []),
            f"  total      {size(found.total_bytes)}",
            f"  flops      {stats.human(found.flops_per_token)} per token at position {found.context:,}",
        ]
    )


def _list(registry: Registry, as_json: bool) -> int:
    if as_json:
        print(json.dumps([summary_json(arch) for arch in registry], indent=2))
        return 0
    for arch in registry:
        released = arch.released.isoformat() if arch.released else "?"
        print(f"{arch.id:<24} {released}  {arch.name}")
    return 0


def _render(arch: Architecture, output: Path, fmt: str | None, dot: str) -> None:
    to_stdout = str(output) == "-"
    if output.is_dir():
        raise CommandError(f"{output} is a folder; give the file to write, such as {output / arch.id}.svg")
    fmt = _output_format(output, fmt, f"--format {fmt}", FORMATS)
    if fmt is None:
        where = "'-o -' needs --format" if to_stdout else f"cannot tell the format from {output.name!r}"
        raise CommandError(f"{where}; use .svg, .png, .pdf or .json")
    data = render_bytes(diagram.to_dot(arch), fmt, dot, setting="--dot")
    if to_stdout:
        sys.stdout.buffer.write(data)
    else:
        _write(output, data)
