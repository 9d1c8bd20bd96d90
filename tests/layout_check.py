"""Geometry checks on a rendered diagram, read from Graphviz's ``-Tjson`` output."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from sphinx_llmarch.draw import diagram
from sphinx_llmarch.draw.render import render_bytes
from sphinx_llmarch.model.architecture import Architecture

MAIN_COLUMN = ("input", "embedding", "final_norm", "head", "output")


@dataclass(frozen=True)
class Box:
    name: str
    cls: str
    x: float
    y: float
    w: float
    h: float

    def contains(self, x: float, y: float, inset: float) -> bool:
        return abs(x - self.x) < self.w / 2 - inset and abs(y - self.y) < self.h / 2 - inset

    def overlaps(self, other: Box, tolerance: float = 0.5) -> bool:
        return (
            abs(self.x - other.x) < (self.w + other.w) / 2 - tolerance
            and abs(self.y - other.y) < (self.h + other.h) / 2 - tolerance
        )


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    edges: list[tuple[str, str, str, list[tuple[float, float]]]]  # tail, head, class, points
    clusters: dict[str, tuple[float, float, float, float]]
    bb: tuple[float, float, float, float]


def layout(arch: Architecture) -> Layout:
    data = json.loads(render_bytes(diagram.to_dot(arch), "json"))
    boxes, names = {}, {}
    for obj in data.get("objects", []):
        if "pos" in obj:
            x, y = map(float, obj["pos"].split(","))
            box = Box(obj["name"], obj.get("class", ""), x, y, float(obj["width"]) * 72, float(obj["height"]) * 72)
            boxes[box.name] = box
            names[obj["_gvid"]] = box.name
    clusters = {
        obj["name"]: tuple(map(float, obj["bb"].split(",")))
        for obj in data.get("objects", [])
        if obj["name"].startswith("cluster")
    }
    edges = []
    for edge in data.get("edges", []):
        points = [tuple(p) for op in edge.get("_draw_", []) if op["op"] == "b" for p in op["points"]]
        edges.append((names[edge["tail"]], names[edge["head"]], edge.get("class", ""), points))
    return Layout(boxes, edges, clusters, tuple(map(float, data["bb"].split(","))))


def _samples(points: list[tuple[float, float]], steps: int = 40) -> list[tuple[float, float]]:
    out = []
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        out += [(x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps) for t in range(steps + 1)]
    return out


def _cross(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    """Whether two polylines properly cross (touching ends do not count)."""

    def side(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return any(
        side(p3, p4, p1) * side(p3, p4, p2) < 0 and side(p1, p2, p3) * side(p1, p2, p4) < 0
        for p1, p2 in itertools.pairwise(a)
        for p3, p4 in itertools.pairwise(b)
    )


def problems(result: Layout) -> list[str]:
    """Every violation of the clean-diagram rules, as readable strings."""
    found = []
    visible = [b for b in result.boxes.values() if "lm-anchor" not in b.cls]
    for i, a in enumerate(visible):
        for b in visible[i + 1 :]:
            if a.overlaps(b):
                found.append(f"nodes overlap: {a.name} and {b.name}")
    for tail, head, _cls, points in result.edges:
        for box in visible:
            if box.name in (tail, head) or "lm-junction" in box.cls:
                continue
            if any(box.contains(x, y, inset=1.5) for x, y in _samples(points)):
                found.append(f"edge {tail} -> {head} runs through {box.name}")
                break
    column = [
        box.x
        for name, box in result.boxes.items()
        if name in MAIN_COLUMN or (name.endswith((".split", ".add")) and not name.startswith("panel."))
    ]
    if max(column) - min(column) > 0.5:
        found.append(f"main column is not straight: x from {min(column)} to {max(column)}")
    for name, (x0, y0, x1, y1) in result.clusters.items():
        for box in visible:
            inside = x0 <= box.x - box.w / 2 and box.x + box.w / 2 <= x1 and y0 <= box.y - box.h / 2
            inside = inside and box.y + box.h / 2 <= y1
            apart = box.x + box.w / 2 <= x0 or box.x - box.w / 2 >= x1 or box.y + box.h / 2 <= y0
            apart = apart or box.y - box.h / 2 >= y1
            if not (inside or apart):
                found.append(f"{box.name} straddles the edge of {name}")
    for tail, head, cls, points in result.edges:
        if "lm-leader" in cls and "lm-panel-leader" not in cls and points:
            (x0, y0), (x1, y1) = points[0], points[-1]
            if abs(x1 - x0) > 420 or abs(y1 - y0) > 90:
                found.append(f"callout {head} is far from {tail}: dx={x1 - x0:.0f} dy={y1 - y0:.0f}")
    # a panel leader may have to cross a callout's (which stays level with its box) when the
    # room between that callout and the next is too small for the panel; never another panel's
    leaders = [(t, h, cls, points) for t, h, cls, points in result.edges if "lm-leader" in cls and points]
    for (t1, h1, c1, p1), (t2, h2, c2, p2) in itertools.combinations(leaders, 2):
        if ("lm-panel-leader" in c1) == ("lm-panel-leader" in c2) and _cross(p1, p2):
            found.append(f"leaders cross: {t1} -> {h1} and {t2} -> {h2}")
    bx0, _by0, bx1, by1 = result.bb
    for box in visible:
        if box.x - box.w / 2 < bx0 - 0.5 or box.x + box.w / 2 > bx1 + 0.5 or box.y + box.h / 2 > by1 + 0.5:
            found.append(f"{box.name} is clipped by the drawing's bounding box")
    return found
