"""Build the gallery with sphinx-llmarch and a plain-Graphviz baseline, side by side.

Run with the project's venv: ``.venv/bin/python benchmarks/benchmark.py``.

Two projects are built in one run, alternating within each repetition so that
machine noise hits both alike:

* **llmarch**: a copy of ``docs/`` (every bundled model, its page, its diagram
  and fact sheet), with ``qwen3-8b`` read from a user spec folder so that it can
  be edited like an author's own spec;
* **baseline**: the same pages where each directive of the extension is replaced
  by what an author would write without it: the same DOT source in a
  ``.. graphviz::`` directive (``sphinx.ext.graphviz``, same ``dot`` arguments,
  SVG), fact sheets, comparisons and model tables as static ``list-table``s,
  the gallery grid as a list, the glossary as a definition list, and the roles
  as plain text.

Scenarios: a cold build, a no-op rebuild, one page touched, one model's spec
edited (for the baseline: its DOT and table rewritten in the pages that show it),
a cold ``-j 2`` build; then a scale run with ten times as many distinct models
(generated variants of the bundled ones). Reported: medians, the ratio
llmarch / baseline, and the peak memory of a cold build.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))

from docutils import nodes  # noqa: E402

from sphinx_llmarch.draw import diagram  # noqa: E402
from sphinx_llmarch.draw.render import RENDER_ARGS  # noqa: E402
from sphinx_llmarch.facts.tables import fact_rows  # noqa: E402
from sphinx_llmarch.model.architecture import Architecture  # noqa: E402
from sphinx_llmarch.spec.registry import bundled_registry, bundled_spec_files, load_spec  # noqa: E402
from sphinx_llmarch.sphinxext.gallery import write_gallery  # noqa: E402

EDITED = "qwen3-8b"  # the model whose spec the "edit spec" scenario changes
DIRECTIVE = re.compile(
    r"^\.\. (?P<name>llm-arch(?:-compare|-table|-gallery|-memory)?|llm-concepts)::(?P<args>[^\n]*)\n"
    r"(?P<options>(?:   :[^\n]*\n)*)",
    re.M,
)
ROLE = re.compile(r"(?<!`):llm:(?P<kind>model|concept):`(?P<text>[^`]*)`")  # not inside ``...``
#: The extension's own index page, which the baseline has no equivalent of.
INDEX_REF = re.compile(r":ref:`([^`<]*?)\s*<llm-modelindex>`")
BASELINE_CONF = f"""\
project = "baseline"
extensions = ["sphinx.ext.graphviz", "myst_parser"]
source_suffix = {{".rst": "restructuredtext", ".md": "markdown"}}
exclude_patterns = ["_build"]
numfig = True
html_theme = "alabaster"
html_theme_options = {{"page_width": "1180px", "sidebar_width": "220px"}}
graphviz_output_format = "svg"
graphviz_dot_args = {list(RENDER_ARGS)!r}
"""


# -- the two projects ---------------------------------------------------------------------


def _plain(text: str) -> str:
    """Text as reST reads it literally (a note that names ``vt_*`` keys is not a link)."""
    return re.sub(r"([\\`*_|])", r"\\\1", text)


def _indent(text: str) -> str:
    return "".join(f"   {line}\n" if line else "\n" for line in text.splitlines())


def _baseline_block(arch: Architecture, options: dict[str, str]) -> str:
    """What an author writes by hand for one ``llm-arch`` directive."""
    show = options.get("show", "diagram facts").replace(",", " ").split()
    options = {key: value for key, value in options.items() if key not in ("no-index", "compare")}
    out = ""
    if "diagram" in show:
        out += ".. graphviz::\n" + "".join(f"   :{k}: {options[k]}\n" for k in ("name", "caption") if k in options)
        out += "\n" + _indent(diagram.to_dot(arch)) + "\n"
    if "facts" in show:
        out += ".. list-table::\n   :widths: 30 70\n\n"
        for label, cell in fact_rows(arch):
            value = (cell.astext() if hasattr(cell, "astext") else str(cell)).replace("\n", " ")
            out += f"   * - {label}\n     - {_plain(value)}\n"
        out += "\n"
    return out


def _list_table(header: list[str] | None, rows: list[list[str]]) -> str:
    out = ".. list-table::\n" + ("   :header-rows: 1\n" if header else "") + "\n"
    for row in [header, *rows] if header else rows:
        out += "".join(f"   {'*' if i == 0 else ' '} - {_plain(cell)}\n" for i, cell in enumerate(row))
    return out + "\n"


def _compare_block(archs: list[Architecture], options: dict[str, str]) -> str:
    """An ``llm-arch-compare`` written by hand: the table, the summary, the marked diagrams."""
    from sphinx_llmarch.facts.compare import ROWS, compare, summary

    rows = tuple(options["rows"].replace(",", " ").split()) if "rows" in options else ()
    comparison = compare(archs, rows, int(options.get("context", 0)))
    body = [[ROWS[key].label, *comparison.cells[key]] for key in comparison.keys]
    out = _list_table(["", *(arch.name for arch in archs)], body)
    if "no-summary" not in options:
        out += "".join(_plain(paragraph.astext()) + "\n\n" for paragraph in summary(comparison))
    if "diagrams" in options:
        for index, arch in enumerate(archs):
            out += ".. graphviz::\n\n" + _indent(diagram.to_dot(arch, {}, comparison.marked_slots(index))) + "\n"
    return out


def _models_block(name: str, options: dict[str, str], models: dict[str, Architecture]) -> str:
    """``llm-arch-table`` as a list-table, ``llm-arch-gallery`` as a list."""
    from sphinx_llmarch.facts.selection import select
    from sphinx_llmarch.sphinxext.views import TABLE_COLUMNS, card_meta, table_cells

    chosen = select(
        models.values(), options.get("filter", ""), options.get("sort", "date"), int(options.get("limit", 0))
    )
    if name == "llm-arch-table":
        return _list_table([title for title, _ in TABLE_COLUMNS], [[arch.name, *table_cells(arch)] for arch in chosen])
    return "".join(f"* **{arch.name}** — {card_meta(arch)}\n" for arch in chosen) + "\n"


def _memory_block(arch: Architecture, options: dict[str, str]) -> str:
    """``llm-arch-memory`` written by hand: the same table as a list-table."""
    from sphinx_llmarch.facts.memory import DEFAULT_PRECISIONS, memory_table
    from sphinx_llmarch.sphinxext.memory import contexts_option

    contexts = contexts_option(options["contexts"]) if "contexts" in options else ()
    precisions = (
        tuple(options["precisions"].replace(",", " ").split()) if "precisions" in options else DEFAULT_PRECISIONS
    )
    table = memory_table(arch, contexts, precisions, int(options.get("batch", 1)))
    rows = [[entry.astext() for entry in row.findall(nodes.entry)] for row in table.findall(nodes.row)]
    return _list_table(rows[0], rows[1:])


def _concepts_block(options: dict[str, str]) -> str:
    from sphinx_llmarch.facts.concepts import concepts_of, glossary

    users: dict[str, list[str]] = {}
    for arch in bundled_registry():
        for key in concepts_of(arch):
            users.setdefault(key, []).append(arch.name)
    sections = {name.strip().lower() for name in options.get("sections", "").split(",") if name.strip()}
    out = ""
    for key, concept in glossary().items():
        if sections and concept.section.lower() not in sections:
            continue
        out += f"{concept.title}\n   {concept.summary}\n\n"
        out += f"   Reference: `{concept.reference_title} <{concept.reference}>`__\n\n"
        out += f"   Used by: {', '.join(sorted(users.get(key, []))) or 'none'}\n\n"
    return out


def _role_text(match: re.Match[str], models: dict[str, Architecture]) -> str:
    from sphinx_llmarch.facts.concepts import find

    explicit = re.fullmatch(r"(.*?)\s*<([^>]+)>", match["text"])
    if explicit:
        return explicit[1]
    if match["kind"] == "model":
        return models[match["text"]].name if match["text"] in models else match["text"]
    concept = find(match["text"])
    return concept.title if concept else match["text"]


def _to_baseline(text: str, models: dict[str, Architecture]) -> str:
    def replace(match: re.Match[str]) -> str:
        options = dict(
            (re.match(r"   :([^:]+):\s*(.*)", line).groups())  # type: ignore[union-attr]
            for line in match["options"].splitlines()
        )
        args = match["args"].replace(",", " ").split()
        if match["name"] == "llm-arch":
            out = _baseline_block(models[args[0]], options)
            if "compare" in options:
                others = options["compare"].replace(",", " ").split()
                out += _compare_block([models[model] for model in [args[0], *others]], {})
            return out
        if match["name"] == "llm-arch-compare":
            return _compare_block([models[model] for model in args], options)
        if match["name"] == "llm-concepts":
            return _concepts_block(options)
        if match["name"] == "llm-arch-memory":
            return _memory_block(models[args[0]], options)
        return _models_block(match["name"], options, models)

    text = INDEX_REF.sub(lambda match: match[1], DIRECTIVE.sub(replace, text))
    return ROLE.sub(lambda match: _role_text(match, models), text)


def _write(path: Path, text: str) -> None:
    """Write only a changed file, as an author's editor would (unchanged pages keep their mtime)."""
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@dataclass
class Pair:
    """The llmarch project and its baseline twin, kept in step."""

    llmarch: Path
    baseline: Path
    models: dict[str, Architecture]

    def sync_baseline(self) -> None:
        for page in self.llmarch.rglob("*.rst"):
            relative = page.relative_to(self.llmarch)
            if "_build" not in relative.parts:
                _write(self.baseline / relative, _to_baseline(page.read_text(), self.models))


def gallery_pair(work: Path, renderer: str) -> Pair:
    llmarch = work / "llmarch"
    shutil.copytree(DOCS, llmarch, ignore=shutil.ignore_patterns("_build"))
    registry = bundled_registry()
    write_gallery(llmarch / "models", registry)
    (llmarch / "bench-specs").mkdir()
    shutil.copy(_bundled_file(EDITED), llmarch / "bench-specs" / f"{EDITED}.toml")
    with (llmarch / "conf.py").open("a") as conf:
        conf.write(f'\nllmarch_spec_paths = ["bench-specs"]\nllmarch_renderer = "{renderer}"\n')
    baseline = work / "baseline"
    baseline.mkdir()
    (baseline / "conf.py").write_text(BASELINE_CONF)
    pair = Pair(llmarch, baseline, {arch.id: arch for arch in registry})
    pair.sync_baseline()
    return pair


def _bundled_file(model: str) -> Path:
    return next(path for path in bundled_spec_files() if path.stem == model)


def scaled_pair(work: Path, copies: int, renderer: str) -> Pair:
    """``copies`` distinct variants of every bundled model, one page each: each variant
    extends its model with another vocabulary size, so every diagram differs."""
    llmarch, baseline = work / "llmarch", work / "baseline"
    (llmarch / "specs").mkdir(parents=True)
    baseline.mkdir()
    (llmarch / "conf.py").write_text(
        f'extensions = ["sphinx_llmarch"]\nllmarch_spec_paths = ["specs"]\nllmarch_renderer = "{renderer}"\n'
    )
    (baseline / "conf.py").write_text(BASELINE_CONF)
    models: dict[str, Architecture] = {}
    for arch in bundled_registry():
        for copy in range(copies):
            spec = llmarch / "specs" / f"{arch.id}-v{copy}.toml"
            source = next(url for key, url in arch.sources if key in ("config", "paper"))
            spec.write_text(
                f'id = "{arch.id}-v{copy}"\nextends = "{arch.id}"\nname = "{arch.name} v{copy}"\n'
                f'sources = {{ config = "{source}" }}\n\n[text]\nvocab_size = {arch.vocab_size + copy + 1}\n'
            )
            models[f"{arch.id}-v{copy}"] = load_spec(spec)
    pages = sorted(models)
    for name in pages:
        (llmarch / f"{name}.rst").write_text(f"{name}\n{'=' * len(name)}\n\n.. llm-arch:: {name}\n")
    toctree = "Models\n======\n\n.. toctree::\n\n" + "".join(f"   {name}\n" for name in pages)
    (llmarch / "index.rst").write_text(toctree)
    pair = Pair(llmarch, baseline, models)
    pair.sync_baseline()
    return pair


def edit_spec(pair: Pair) -> None:
    """Change one architecture number of the edited model, in both projects."""
    spec = pair.llmarch / "bench-specs" / f"{EDITED}.toml"
    text = spec.read_text()
    layers = int(re.search(r"^num_hidden_layers = (\d+)", text, re.M)[1])  # type: ignore[index]
    text = text.replace(f"num_hidden_layers = {layers}", f"num_hidden_layers = {layers + 1}", 1)
    # a layer more is no longer the released model: its official figures would (rightly) warn
    text = re.sub(r"^\[official\]\n.*?(?=^\[)", "", text, count=1, flags=re.M | re.S)
    spec.write_text(text)
    pair.models[EDITED] = load_spec(spec)
    pair.sync_baseline()


def touch_page(project: Path) -> None:
    with (project / "index.rst").open("a") as page:
        page.write("\nOne more sentence.\n")


# -- timing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    seconds: float
    memory: float  # peak resident MiB
    reread: int  # pages Sphinx read (added or changed)


def sphinx(src: Path, out: Path, *extra: str) -> Build:
    """Time one ``sphinx-build`` and take its peak memory and the pages it re-read."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", *extra, str(src), str(out)]
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        output, errors = stdout.read().decode(), stderr.read().decode()
    if status != 0 or "WARNING" in errors or "ERROR" in errors:
        raise SystemExit(f"sphinx-build {src.name} failed:\n{errors}")
    counts = re.search(r"updating environment: .*?(\d+) added, (\d+) changed", output)
    reread = int(counts[1]) + int(counts[2]) if counts else 0
    return Build(seconds, usage.ru_maxrss / 1024, reread)


@dataclass
class Table:
    runs: dict[str, dict[str, list[Build]]]

    def add(self, name: str, which: str, build: Build) -> None:
        self.runs.setdefault(name, {}).setdefault(which, []).append(build)

    def median(self, name: str, which: str) -> float:
        return statistics.median(build.seconds for build in self.runs[name][which])


def gallery_round(table: Table, order: tuple[str, str], quick: int, renderer: str) -> None:
    """Every gallery scenario, each built for both projects back to back."""
    with tempfile.TemporaryDirectory() as tmp:
        pair = gallery_pair(Path(tmp), renderer)

        def both(name: str, *extra: str, out: str = "html") -> None:
            for which in order:
                table.add(name, which, sphinx(getattr(pair, which), Path(tmp) / f"out-{which}" / out, *extra))

        both("cold")
        for _ in range(quick):
            both("no-op")
        for _ in range(quick):
            for which in order:
                touch_page(getattr(pair, which))
            both("one page touched")
        edit_spec(pair)
        both("one spec edited")
        both("cold -j 2", "-j", "2", out="html-j2")


def scale_round(table: Table, order: tuple[str, str], copies: int, renderer: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pair = scaled_pair(Path(tmp), copies, renderer)
        for which in order:
            table.add(
                f"cold, {len(pair.models)} models", which, sphinx(getattr(pair, which), Path(tmp) / f"out-{which}")
            )


def run(repeat: int, scale: int, quick: int, renderer: str = "graphviz") -> Table:
    table = Table({})
    for round_ in range(repeat):
        order = ("llmarch", "baseline") if round_ % 2 == 0 else ("baseline", "llmarch")
        gallery_round(table, order, quick, renderer)
        for copies in (1, scale):
            scale_round(table, order, copies, renderer)
    return table


def report(table: Table) -> str:
    lines = [
        "| scenario | sphinx-llmarch (s) | baseline (s) | ratio | pages re-read |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in table.runs:
        ours, theirs = table.median(name, "llmarch"), table.median(name, "baseline")
        reread = "{} / {}".format(*(table.runs[name][which][-1].reread for which in ("llmarch", "baseline")))
        lines.append(f"| {name} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f} | {reread} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported (default 3)")
    parser.add_argument("--quick", type=int, default=3, help="no-op and touched builds per round (default 3)")
    parser.add_argument("--scale", type=int, default=10, help="variants per bundled model in the scale run")
    parser.add_argument(
        "--renderer", choices=("graphviz", "svg"), default="graphviz", help="llmarch_renderer of the llmarch project"
    )
    args = parser.parse_args()
    table = run(args.repeat, args.scale, args.quick, args.renderer)
    print(report(table))
    scaled = [name for name in table.runs if name.startswith("cold, ")]
    for which in ("llmarch", "baseline"):
        small, large = (table.median(name, which) for name in scaled)
        j2 = table.median("cold -j 2", which) / table.median("cold", which)
        print(f"{which}: {scaled[1]} / {scaled[0]} = {large / small:.2f}; cold -j 2 / cold = {j2:.2f}")
    memory = {which: max(build.memory for build in table.runs["cold"][which]) for which in ("llmarch", "baseline")}
    print(f"peak memory of a cold build: llmarch {memory['llmarch']:.0f} MiB, baseline {memory['baseline']:.0f} MiB")


if __name__ == "__main__":
    main()
