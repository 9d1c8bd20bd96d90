"""The catalog kept between builds (a build that changes no spec reads none) and the
``llmarch_gallery`` pages the extension writes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.spec import catalog
from sphinx_llmarch.sphinxext import runtime
from sphinx_llmarch.sphinxext.gallery import GENERATED

from .conftest import ROOTS, project

MakeApp = Callable[..., SphinxTestApp]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts how often a build parses the spec files."""
    calls: list[int] = []
    original = catalog.load_registry

    def counting(*args: object) -> object:
        calls.append(1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(runtime, "load_registry", counting)
    return calls


def test_a_build_that_changes_no_spec_reads_none(
    make_app: MakeApp, rootdir: Path, tmp_path: Path, loads: list[int]
) -> None:
    source = project(rootdir, tmp_path, "user-spec")
    (source / "specs" / "broken.toml").write_text('id = "broken"\nname = "Broken"\n')
    make_app("html", srcdir=source).build()
    assert len(loads) == 1
    again = make_app("html", srcdir=source)
    again.build()
    assert len(loads) == 1, "the catalog was kept: no spec parsed"
    assert "broken.toml: text: missing required table" in again.warning.getvalue(), "its problems are still reported"
    toy = source / "specs" / "toy-lm.toml"
    toy.write_text(toy.read_text().replace("vocab_size = 1000", "vocab_size = 1001"))
    edited = make_app("html", srcdir=source)
    edited.build()
    assert len(loads) == 2 and "0 added, 2 changed" in edited.status.getvalue()


def test_the_catalog_is_kept_only_after_a_successful_build(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    source = project(rootdir, tmp_path, "user-spec")
    app = make_app("html", srcdir=source)
    app.build()
    saved = catalog.Catalog.read(Path(app.doctreedir) / runtime.CATALOG_FILE)
    assert saved is not None and ("specs/toy-lm.toml", "toy-lm", ("toy",)) in saved.names
    (Path(app.doctreedir) / runtime.CATALOG_FILE).write_text("{not json")
    assert catalog.Catalog.read(Path(app.doctreedir) / runtime.CATALOG_FILE) is None


def test_gallery_pages_are_written_updated_and_removed(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    source = project(
        rootdir, tmp_path, "user-spec", llmarch_gallery="models", llmarch_gallery_models=["toy", "toy-lm-chat"]
    )
    (source / "index.rst").write_text(
        (source / "index.rst").read_text() + "\n.. toctree::\n\n   models/index\n   models/notes\n"
    )
    (source / "models").mkdir()
    (source / "models" / "notes.rst").write_text("Notes\n=====\n\nWritten by hand.\n")
    app = make_app("html", srcdir=source)
    app.build()
    pages = sorted(path.name for path in (source / "models").glob("*.rst"))
    assert pages == ["index.rst", "notes.rst", "toy-lm-chat.rst", "toy-lm.rst"]
    assert (source / "models" / "toy-lm.rst").read_text().startswith(GENERATED)
    overview = (Path(app.outdir) / "models" / "index.html").read_text()
    assert "Toy LM Chat" in overview and "Llama" not in overview
    assert "Toy LM" in (Path(app.outdir) / "models" / "toy-lm.html").read_text()
    assert app._warncount == 0, app.warning.getvalue()

    (source / "specs" / "toy-lm-chat.toml").unlink()  # its page goes; the hand-written one stays
    again = make_app("html", srcdir=source)
    again.build()
    assert sorted(path.name for path in (source / "models").glob("*.rst")) == ["index.rst", "notes.rst", "toy-lm.rst"]
    assert "llmarch_gallery_models: unknown model id 'toy-lm-chat'" in again.warning.getvalue()


def test_changing_the_gallery_models_writes_and_removes_their_pages(
    make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    """The catalog holds (no spec changed), but the setting did: the pages follow it."""
    source = project(rootdir, tmp_path, "user-spec", llmarch_gallery="models", llmarch_gallery_models=["toy"])
    make_app("html", srcdir=source).build()
    assert sorted(path.name for path in (source / "models").glob("*.rst")) == ["index.rst", "toy-lm.rst"]
    conf = source / "conf.py"
    conf.write_text(conf.read_text().replace("['toy']", "['toy-lm-chat', 'qwen3-8b']"))
    app = make_app("html", srcdir=source)
    app.build()
    pages = sorted(path.name for path in (source / "models").glob("*.rst"))
    assert pages == ["index.rst", "qwen3-8b.rst", "toy-lm-chat.rst"]
    index = (source / "models" / "index.rst").read_text()
    assert ':filter: id in ("qwen3-8b")' in index and ':filter: id in ("toy-lm-chat")' in index
    overview = (Path(app.outdir) / "models" / "index.html").read_text()
    assert "Qwen3 8B" in overview and "Qwen3 14B" not in overview, "only the gallery's models, not their families"


@pytest.mark.parametrize("page", ["index.rst", "toy-lm.rst"])
def test_a_hand_written_page_in_the_gallery_folder_is_never_replaced(
    page: str, make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    source = project(rootdir, tmp_path, "user-spec", llmarch_gallery="models", llmarch_gallery_models=["toy"])
    (source / "models").mkdir()
    mine = "Mine\n====\n\nWritten by hand.\n"
    (source / "models" / page).write_text(mine)
    for _ in range(2):  # and the warning is repeated, not said once and forgotten
        app = make_app("html", srcdir=source)
        app.build()
        assert (source / "models" / page).read_text() == mine
        assert (
            f"llmarch_gallery: models/{page} was not written by sphinx-llmarch, so it is left as it is"
            in app.warning.getvalue()
        )
    others = {"index.rst", "toy-lm.rst"} - {page}
    assert all((source / "models" / other).read_text().startswith(GENERATED) for other in others)


@pytest.mark.parametrize("value", [".", "./", "models/.."])
def test_the_source_directory_itself_is_no_gallery_folder(
    value: str, make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    source = project(rootdir, tmp_path, "basic", llmarch_gallery=value)
    index = (source / "index.rst").read_text()
    app = make_app("html", srcdir=source)
    app.build()
    assert (source / "index.rst").read_text() == index
    assert f"llmarch_gallery: {value!r} must be a folder inside the source directory" in app.warning.getvalue()


def test_a_gallery_folder_linked_outside_the_sources_is_refused(
    make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    source = project(rootdir, tmp_path, "basic", llmarch_gallery="models")
    outside = tmp_path / "outside"
    outside.mkdir()
    (source / "models").symlink_to(outside)
    app = make_app("html", srcdir=source)
    app.build()
    assert list(outside.iterdir()) == []
    assert "llmarch_gallery: 'models' is not a folder inside the source directory" in app.warning.getvalue()


@pytest.mark.parametrize(
    ("value", "problem"), [("/abs/models", "must be a folder inside the source directory"), (3, "must be a folder")]
)
def test_a_gallery_outside_the_sources_is_refused(
    value: object, problem: str, make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    app = make_app("html", srcdir=project(rootdir, tmp_path, "basic", llmarch_gallery=value))
    app.build()
    assert f"llmarch_gallery: {value!r} {problem}" in app.warning.getvalue()


def test_pages_are_redrawn_when_the_package_code_changes(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    """An upgrade of sphinx-llmarch changes how diagrams are drawn: pages that show a
    model are read again, though no spec changed (Sphinx would keep the old ones)."""
    source = project(rootdir, tmp_path, "user-spec")
    app = make_app("html", srcdir=source)
    app.build()
    path = Path(app.doctreedir) / runtime.CATALOG_FILE
    saved = catalog.Catalog.read(path)
    assert saved is not None and saved.code()
    module = saved.code()[0]
    stamp = tuple(
        (name, mtime - 1, size) if (name, mtime, size) == module else (name, mtime, size)
        for name, mtime, size in saved.stamp
    )
    older = catalog.Catalog(stamp, saved.names, saved.messages)
    older.write(path)  # as if the last build ran another version of the package
    again = make_app("html", srcdir=source)
    again.build()
    assert "0 added, 2 changed" in again.status.getvalue()


def test_gallery_index_groups_models_by_family_in_order_of_release() -> None:
    from sphinx_llmarch.spec.registry import bundled_registry
    from sphinx_llmarch.sphinxext.gallery import by_family

    families = by_family(bundled_registry())
    names = [family for family, _ in families]
    assert names.index("GPT-2") < names.index("LLaMA") < names.index("Llama 2") < names.index("Llama 3")
    llama3 = [arch.id for arch in dict(families)["Llama 3"]]
    assert llama3[:4] == ["llama-3-8b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"]  # same day: smallest first
    firsts = [members[0].released for _, members in families]
    assert firsts == sorted(firsts)


def test_pages_showing_every_model_are_reread_only_when_what_they_show_changes(
    make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    source = project(rootdir, tmp_path, "user-spec")
    (source / "grid.rst").write_text('Grid\n====\n\n.. llm-arch-gallery::\n   :filter: family == "Toy"\n')
    (source / "glossary.rst").write_text("Glossary\n========\n\n.. llm-concepts::\n   :sections: Normalization\n")
    make_app("html", srcdir=source).build()
    toy = source / "specs" / "toy-lm.toml"

    def reread_after(old: str, new: str) -> set[str]:
        toy.write_text(toy.read_text().replace(old, new))
        app = make_app("html", srcdir=source)
        app.build()
        status = re.sub(r"\x1b\[[\d;]*[A-Za-z]", "", app.status.getvalue())  # without colours or erase-line codes
        return set(re.findall(r"reading sources\.\.\. \[[ \d]+%\] (\S+)", status))

    pages_of_toy = {"index", "chat"}  # it shows toy; chat's model extends it
    assert reread_after("A four-layer test model.", "A small test model.") == pages_of_toy
    assert reread_after("num_hidden_layers = 4", "num_hidden_layers = 5") == {*pages_of_toy, "grid"}
    # which concepts a model uses is also a filter field of the grid
    assert reread_after('placement = "pre"', 'placement = "post"') == {*pages_of_toy, "grid", "glossary"}


def test_parsed_specs_are_kept_for_the_next_build_and_a_no_op_build_leaves_them(
    make_app: MakeApp, rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    from sphinx_llmarch.spec import files

    source = project(rootdir, tmp_path, "user-spec")
    app = make_app("html", srcdir=source)
    app.build()
    kept = Path(app.doctreedir) / runtime.PARSED_FILE
    parsed = pickle.loads(kept.read_bytes())
    toy = str((source / "specs" / "toy-lm.toml").resolve())
    assert toy in parsed and len(parsed) > 80, "every bundled and user spec, parsed"
    before = kept.stat().st_mtime_ns
    loads: list[Path] = []
    monkeypatch.setattr(runtime, "load_parsed", lambda path: loads.append(path))
    make_app("html", srcdir=source).build()
    assert loads == [] and kept.stat().st_mtime_ns == before, "a build that loads no spec reads and writes nothing"
    monkeypatch.undo()
    files.PARSED.clear()  # a new process: only the kept file knows the parsed specs
    reads: list[str] = []
    original = files.read_text
    monkeypatch.setattr(files, "read_text", lambda path, display: reads.append(display) or original(path, display))
    spec = source / "specs" / "toy-lm.toml"
    spec.write_text(spec.read_text().replace("vocab_size = 1000", "vocab_size = 1001"))
    make_app("html", srcdir=source).build()
    # the edited spec, and the spec index.rst names by path as that page is read again
    assert reads == ["specs/toy-lm.toml", "local-model.toml"], "no other spec is read and parsed again"


def test_pages_that_load_a_model_are_found_before_any_page_is_read() -> None:
    rst = """
.. llm-arch:: mine
   :show: facts
   :config: ../models/mine/config.json

.. llm-arch:: local.toml

.. llm-arch-compare:: mine qwen3-8b

.. llm-arch:: qwen3-8b

   :config: not/an/option.json
"""
    myst = """
```{llm-arch}
:config: /models/theirs/config.json
```

:::{llm-arch} other
---
config: other/config.json
read-as: llama
---
:::
"""
    assert catalog.directives_loading_models(rst) == [
        ("config", "../models/mine/config.json", "mine", ""),
        ("spec", "local.toml", "", ""),
    ]
    assert catalog.directives_loading_models(myst) == [
        ("config", "/models/theirs/config.json", "", ""),
        ("config", "other/config.json", "other", "llama"),
    ]


def test_a_model_a_page_loads_is_compared_and_tabled_on_other_pages(make_app: MakeApp, tmp_path: Path) -> None:
    """Editing its config.json re-reads the pages that show it; an id that is taken warns."""
    source = tmp_path / "src"
    (source / "tiny").mkdir(parents=True)
    config = source / "tiny" / "config.json"
    config.write_text((ROOTS / "test-parallel" / "tiny" / "config.json").read_text())
    (source / "conf.py").write_text(
        'extensions = ["sphinx_llmarch"]\nllmarch_default_show = "facts"\n'
        'llmarch_gallery = "models"\nllmarch_gallery_models = ["your-tiny", "llama-3-8b"]\n'
    )
    (source / "index.rst").write_text(
        "Index\n=====\n\n.. toctree::\n\n   zz-model\n   models/index\n"
        "\n.. llm-arch-compare:: your-tiny qwen3-8b local-model\n   :rows: hidden_size\n"
        '\n.. llm-arch-table::\n   :filter: id == "your-tiny"\n'
    )
    (source / "local-model.toml").write_text((ROOTS / "test-user-spec" / "local-model.toml").read_text())
    (source / "zz-model.rst").write_text(
        "Model\n=====\n\n.. llm-arch:: your-tiny\n   :config: tiny/config.json\n"
        "\n.. llm-arch:: qwen3-8b\n   :config: tiny/config.json\n   :no-index:\n"
        "\n.. llm-arch:: local-model.toml\n"
    )
    app = make_app("html", srcdir=source)
    app.build()
    index = (Path(app.outdir) / "index.html").read_text()
    assert "<strong>256</strong>" in index and 'href="zz-model.html#llm-model-your-tiny"' in index
    assert "<strong>64</strong>" in index and 'href="zz-model.html#llm-model-local-model"' in index  # a spec path
    assert re.search(r"<tr[^>]*><td><p><a [^>]*your-tiny", index), "the table has its row"
    assert re.search(
        r"zz-model\.rst:\d+: WARNING: tiny/config\.json gives the model id 'qwen3-8b', which qwen3-8b\.toml "
        r"already has; other pages compare and list that one \(give this model another id\)",
        app.warning.getvalue(),
    )
    assert not (source / "models" / "your-tiny.rst").exists(), "its page is the one that loads it"
    assert (source / "models" / "llama-3-8b.rst").exists()
    config.write_text(config.read_text().replace('"hidden_size": 256', '"hidden_size": 320'))
    again = make_app("html", srcdir=source)
    again.build()
    assert "<strong>320</strong>" in (Path(again.outdir) / "index.html").read_text()


def test_renaming_or_fixing_a_model_id_updates_every_page_that_links_it(
    make_app: MakeApp, rootdir: Path, tmp_path: Path
) -> None:
    """Pages that only link a model (a role, a gallery card) are not re-read when its place
    changes; they are written again, so no link points at an anchor that is gone."""
    source = project(rootdir, tmp_path, "user-spec", llmarch_dot="no-dot")
    toy = (source / "specs" / "toy-lm.toml").read_text()
    (source / "specs" / "mine.toml").write_text(toy.replace('id = "toy-lm"', 'id = "mine"').replace('["toy"]', "[]"))
    (source / "shown.rst").write_text("Shown\n=====\n\n.. llm-arch:: qwen3-8bb\n   :show: facts\n")
    (source / "mine.rst").write_text("Mine\n====\n\n.. llm-arch:: mine\n   :show: facts\n")
    links = "Links\n=====\n\nSee :llm:model:`qwen3-8b` and :llm:model:`mine`.\n\n.. llm-arch-gallery::\n"
    (source / "links.rst").write_text(links + '   :filter: family == "Toy"\n')
    with (source / "index.rst").open("a") as index:
        index.write("   shown\n   mine\n   links\n")

    def build() -> tuple[str, str]:
        app = make_app("html", srcdir=source)
        app.build()
        return (Path(app.outdir) / "links.html").read_text(encoding="utf-8"), app.status.getvalue()

    page, _ = build()
    assert 'href="shown.html' not in page and page.count('href="mine.html#llm-model-mine"') == 3, "role and card"
    (source / "shown.rst").write_text((source / "shown.rst").read_text().replace("qwen3-8bb", "qwen3-8b"))
    page, status = build()
    assert 'href="shown.html#llm-model-qwen3-8b"' in page, "the fixed id is linked from the page that was not read"
    plain = re.sub(r"\x1b\[[\d;]*[A-Za-z]", "", status)  # colours, and the erase-line code
    steps = [line.split("...")[0] for line in plain.splitlines() if line.endswith(" links")]
    assert steps == ["writing output"], "written again, not read again"
    (source / "specs" / "mine.toml").unlink()
    (source / "specs" / "ours.toml").write_text(toy.replace('id = "toy-lm"', 'id = "ours"').replace('["toy"]', "[]"))
    (source / "mine.rst").write_text("Mine\n====\n\n.. llm-arch:: ours\n   :show: facts\n")
    page, _ = build()
    assert "llm-model-mine" not in page, "no link to the anchor of the old id"
    assert 'href="mine.html#llm-model-ours"' in page, "the gallery card follows the new id"


def test_every_models_facts_can_be_exported_beside_the_pages(make_app: MakeApp, rootdir: Path, tmp_path: Path) -> None:
    import csv
    import json

    source = project(rootdir, tmp_path, "user-spec", llmarch_export=["models.json", "models.csv"])
    spec = source / "specs" / "toy-lm.toml"
    spec.write_text(spec.read_text().replace('name = "Toy LM"', 'name = "=HYPERLINK(1)"'))
    app = make_app("html", srcdir=source)
    app.build()
    models = json.loads((Path(app.outdir) / "models.json").read_text())
    toy = next(model for model in models if model["id"] == "toy-lm")
    assert toy["name"] == "=HYPERLINK(1)" and toy["params"]["total"] > 0 and len(models) > 80
    rows = list(csv.DictReader((Path(app.outdir) / "models.csv").open()))
    line = next(row for row in rows if row["id"] == "toy-lm")
    assert line["name"] == "'=HYPERLINK(1)", "a name that starts like a formula stays text in a spreadsheet"
    assert int(line["params"]) == toy["params"]["total"] and line["weights_bf16_bytes"] == str(2 * int(line["params"]))
    bad = make_app("html", srcdir=project(rootdir, tmp_path / "bad", "basic", llmarch_export="../x.json"))
    bad.build()
    assert "llmarch_export: '../x.json' must name files such as 'models.json'" in bad.warning.getvalue()
