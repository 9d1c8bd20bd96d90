"""What every bundled model looks like to a reader, recorded: its diagram's DOT, its fact
sheet (doctree) and ``llmarch show --json``.

A change meant to move code without changing behaviour (a new home for a module, a
kind made a plug-in) must keep this test green. After a change meant to alter what a
model shows, record again with ``LLMARCH_UPDATE_GOLDEN=1`` and say why in the commit.
Only fingerprints are kept; to see what changed, compare ``llmarch dot`` and
``llmarch show --json`` of the named model before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from sphinx_llmarch.draw import diagram
from sphinx_llmarch.facts.summary import model_json
from sphinx_llmarch.facts.tables import diagram_links, fact_rows, fact_sheet
from sphinx_llmarch.model.architecture import Architecture
from sphinx_llmarch.spec.registry import bundled_registry

GOLDEN = Path(__file__).parent / "snapshots" / "golden.json"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def fingerprint(arch: Architecture, models: list[Architecture]) -> dict[str, str]:
    """The three views of a model, as the directive and the command line make them."""
    rows = fact_rows(arch, 0, models)
    links = diagram_links(arch, "golden", [label for label, _ in rows])
    return {
        "dot": _digest(diagram.to_dot(arch, links)),
        "facts": _digest(fact_sheet(rows, "golden").pformat()),
        "show": _digest(json.dumps(model_json(arch), sort_keys=True)),
    }


def test_every_bundled_model_shows_what_was_recorded() -> None:
    models = list(bundled_registry())
    found = {arch.id: fingerprint(arch, models) for arch in models}
    if os.environ.get("LLMARCH_UPDATE_GOLDEN") or not GOLDEN.exists():
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        pytest.skip("recorded")
    recorded = json.loads(GOLDEN.read_text())
    changed = {
        model: [view for view in ("dot", "facts", "show") if found.get(model, {}).get(view) != views.get(view)]
        for model, views in recorded.items()
    }
    changed = {model: views for model, views in changed.items() if views}
    assert sorted(found) == sorted(recorded), "models were added or removed: record again"
    assert changed == {}, "these views changed (record again only if that was meant)"
