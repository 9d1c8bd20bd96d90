"""The SVG writer draws what Graphviz draws: for every bundled model, every box, circle,
text line and edge end of :func:`sphinx_llmarch.draw.svg.to_svg` lies within half a
point of where ``neato -n2 -Tjson`` puts it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from sphinx_llmarch.draw import diagram, render
from sphinx_llmarch.draw.render import render_bytes
from sphinx_llmarch.draw.svg import to_svg
from sphinx_llmarch.spec.registry import bundled_registry

from .conftest import needs_dot, project

SVG = "{http://www.w3.org/2000/svg}"
TOLERANCE = 0.5
Point = tuple[float, float]


def _numbers(text: str) -> list[Point]:
    values = [float(v) for v in re.findall(r"-?[\d.]+", text)]
    return list(zip(values[::2], values[1::2], strict=True))


def _spans(ops: list[dict]) -> dict[float, tuple[float, float]]:
    """Graphviz's text lines: baseline -> (left, right), from its T operations."""
    found: dict[float, tuple[float, float]] = {}
    for op in ops:
        if op["op"] == "T":
            (x, y), width = op["pt"], op["width"]
            left = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
            old = found.get(y, (left, left + width))
            found[y] = (min(old[0], left), max(old[1], left + width))
    return found


def graphviz_geometry(dot: str) -> dict[str, list[tuple[str, float]]]:
    """Named numbers (SVG user space: y down) of Graphviz's drawing, per node or edge."""
    data = json.loads(render_bytes(dot, "json"))
    width, height = _numbers(data["bb"])[1]
    out: dict[str, list[tuple[str, float]]] = {"drawing": [("width", width), ("height", height)]}
    names = {}
    for obj in data["objects"]:
        if obj["name"].startswith("cluster"):
            x0, y0, x1, y1 = map(float, obj["bb"].split(","))
            out[obj["name"]] = [("x0", x0), ("y0", -y1), ("x1", x1), ("y1", -y0)]
        if "pos" not in obj:
            continue
        names[obj["_gvid"]] = obj["name"]
        if "invis" in obj.get("style", ""):
            continue
        x, y = map(float, obj["pos"].split(","))
        w, h = float(obj["width"]) * 36, float(obj["height"]) * 36
        numbers = [("x0", x - w), ("y0", -y - h), ("x1", x + w), ("y1", -y + h)]
        if obj["shape"] == "plaintext":  # no outline: the box is the room its text must stay in
            numbers = [("room", value) for _, value in numbers]
        if "lm-strip" in obj.get("class", ""):  # cell tops, then baselines, each from the top left
            cells = [op["points"] for op in obj["_ldraw_"] if op["op"] == "P"]
            numbers += sorted(("cell", -max(y for _, y in points)) for points in cells)
            numbers += [("baseline", -y) for y in sorted(_spans(obj["_ldraw_"]), reverse=True)]
        else:
            aligned = re.search(r'balign="(left|right)"', obj["label"]) is not None
            for baseline, (left, right) in sorted(_spans(obj.get("_ldraw_", [])).items(), reverse=True):
                numbers += [("baseline", -baseline), ("aligned", left) if aligned else ("centre", (left + right) / 2)]
        out[obj["name"]] = numbers
    for edge in data.get("edges", []):
        points = [p for op in edge["_draw_"] if op["op"] == "b" for p in op["points"]]
        heads = [op["points"] for op in edge.get("_hdraw_", []) if op["op"] == "P"]
        end = heads[0][1] if heads else points[-1]
        key = f"{names[edge['tail']]}->{names[edge['head']]}"
        out[key] = [("sx", points[0][0]), ("sy", -points[0][1]), ("ex", end[0]), ("ey", -end[1])]
        if heads:  # the middle of the arrowhead's base
            (x0, y0), _, (x1, y1) = heads[0][:3]
            out[key] += [("bx", (x0 + x1) / 2), ("by", -(y0 + y1) / 2)]
    return out


def writer_geometry(svg: str) -> dict[str, list[tuple[str, float]]]:
    """The same numbers, read from the writer's SVG."""
    root = ET.fromstring(svg)
    view = [float(v) for v in root.get("viewBox", "").split()]
    out: dict[str, list[tuple[str, float]]] = {"drawing": [("width", view[2] - 14.4), ("height", view[3] - 14.4)]}
    for group in root.iter(f"{SVG}g"):
        cls = group.get("class", "").split()
        if not cls or cls[0] not in ("node", "edge", "cluster"):
            continue
        title = group.findtext(f"{SVG}title") or ""
        numbers: list[tuple[str, float]] = []
        if cls[0] == "edge":
            path = _numbers(group.find(f"{SVG}path").get("d"))
            arrow = group.find(f"{SVG}polygon")
            corners = _numbers(arrow.get("points")) if arrow is not None else []
            end = corners[1] if corners else path[-1]
            key = re.sub(r":\w+", "", title)
            out[key] = [("sx", path[0][0]), ("sy", path[0][1]), ("ex", end[0]), ("ey", end[1])]
            if corners:
                out[key] += [("bx", (corners[0][0] + corners[2][0]) / 2), ("by", (corners[0][1] + corners[2][1]) / 2)]
            continue
        outlines = [*group.iter(f"{SVG}path"), *group.iter(f"{SVG}polygon")]
        outline = outlines[0] if outlines else None
        ellipse = next(group.iter(f"{SVG}ellipse"), None)
        if ellipse is not None:
            cx, cy, r = (float(ellipse.get(k)) for k in ("cx", "cy", "rx"))
            numbers += [("x0", cx - r), ("y0", cy - r), ("x1", cx + r), ("y1", cy + r)]
        elif outline is not None and "lm-strip" not in cls:
            points = _numbers(outline.get("d") or outline.get("points") or "")
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            numbers += [("x0", min(xs)), ("y0", min(ys)), ("x1", max(xs)), ("y1", max(ys))]
        if cls[0] == "cluster":
            out[title] = numbers
            continue
        if "lm-strip" in cls:  # the words' places in a row depend on Pango's widths: kept inside
            corners = [_numbers(cell.get("points")) for cell in group.iter(f"{SVG}polygon")]
            texts = [(float(text.get("x")), float(text.get("y"))) for text in group.iter(f"{SVG}text")]
            numbers = sorted(("cell", min(y for _, y in points)) for points in corners)
            numbers += [("baseline", y) for y in sorted({y for _, y in texts})]
            numbers += [("inside", x) for points in corners for x, _ in points] + [("inside", x) for x, _ in texts]
            out[title] = numbers
            continue
        for text in group.iter(f"{SVG}text"):
            anchor = "centre" if text.get("text-anchor") == "middle" else "aligned"
            numbers += [("baseline", float(text.get("y"))), (anchor, float(text.get("x")))]
        out[title] = numbers
    return out


def _compare(name: str, mine: list[tuple[str, float]], theirs: list[tuple[str, float]]) -> list[str]:
    """What differs between the writer's numbers of one node or edge and Graphviz's."""
    room = dict(zip(("x0", "y0", "x1", "y1"), [v for k, v in theirs if k == "room"], strict=False))
    theirs = [(key, value) for key, value in theirs if key != "room"]
    outside = [x for key, x in mine if key == "inside" and not _within(x, room)]
    found = [f"{name} draws outside its node at x={x:.2f}" for x in outside[:1]]
    mine = [(key, value) for key, value in mine if key != "inside"]
    if [key for key, _ in mine] != [key for key, _ in theirs]:
        return [*found[:1], f"{name} has {[key for key, _ in mine]}, Graphviz {[key for key, _ in theirs]}"]
    for (key, value), (_, expected) in zip(mine, theirs, strict=True):
        if key == "aligned":  # Graphviz aligns it by Pango's width of the text, unknown here
            if not _within(value, room):
                found.append(f"{name} text at x={value:.2f} is outside its node")
        elif abs(value - expected) > TOLERANCE + 1e-9:
            found.append(f"{name} {key} {value:.2f}, Graphviz {expected:.2f}")
    return found


def _within(x: float, room: dict[str, float]) -> bool:
    return bool(room) and room["x0"] - TOLERANCE <= x <= room["x1"] + TOLERANCE


def differences(arch_id: str) -> list[str]:
    arch = bundled_registry().get(arch_id)
    canvas = diagram.build_canvas(arch)
    expected = graphviz_geometry(canvas.to_graphviz(arch.id).source)
    got = writer_geometry(to_svg(canvas, arch.id))
    found = [f"{name} is missing" for name in expected if name not in got]
    for name, numbers in expected.items():
        found += _compare(name, got.get(name, []), numbers) if name in got else []
    return [f"{arch_id}: {line}" for line in found]


@needs_dot
def test_every_bundled_model_is_drawn_where_graphviz_draws_it() -> None:
    ids = [arch.id for arch in bundled_registry()]
    with ThreadPoolExecutor(4) as pool:
        found = [line for lines in pool.map(differences, ids) for line in lines]
    assert not found, f"{len(found)} differences:\n" + "\n".join(found[:60])


def test_the_svg_renderer_draws_html_without_graphviz(
    make_app: Callable[..., SphinxTestApp], rootdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot to be found
    monkeypatch.setattr(render, "render_bytes", lambda *args, **kwargs: pytest.fail("Graphviz was run"))
    app = make_app("html", srcdir=project(rootdir, tmp_path, "basic", llmarch_renderer="svg"))
    app.build()
    assert app.warning.getvalue() == ""
    page = (Path(app.outdir) / "index.html").read_text(encoding="utf-8")
    assert page.count('<svg class="llmarch-svg" role="img"') == 2
    assert 'id="node' not in page and "<?xml" not in page and "<title>Qwen3 8B:" in page
    assert 'xlink:href="#llmarch-index-qwen3-8b-0-attention" xlink:title="Attention in the fact sheet"' in page
    assert not app.env.reread_always, "nothing waits for Graphviz"
    assert len(list((Path(app.outdir) / "_images").glob("llmarch-*.svg"))) == 3


@needs_dot
def test_switching_the_renderer_redraws_the_pages(
    make_app: Callable[..., SphinxTestApp], rootdir: Path, tmp_path: Path
) -> None:
    source = project(rootdir, tmp_path, "basic")
    make_app("html", srcdir=source).build()
    app = make_app("html", srcdir=source, confoverrides={"llmarch_renderer": "svg"})
    app.build()
    images = list((Path(app.outdir) / "_images").glob("llmarch-*.svg"))
    assert len(images) == 3 and all("Generated by graphviz" not in path.read_text() for path in images)
