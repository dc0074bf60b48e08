"""Body maps: where on a child's body a mark, bruise or injury was seen, as data.

A body map is a list of marks on a front or back outline. Each mark names a region (so it can
be chosen from a list, without pointing, and read in a chronology or a PDF), may carry the
point tapped on the outline (``x``, ``y`` in per cent of the outline's width and height) and a
note of what was seen. It is stored with the concern or DSL entry it belongs to and, like
them, never edited.
"""
from __future__ import annotations

from typing import Any

VIEWS = {"front": "Front", "back": "Back"}
REGIONS: dict[str, str] = {
    "head": "Head", "face": "Face", "neck": "Neck",
    "left_shoulder": "Left shoulder", "right_shoulder": "Right shoulder",
    "chest": "Chest", "abdomen": "Abdomen", "upper_back": "Upper back",
    "lower_back": "Lower back", "buttocks": "Buttocks", "genital_area": "Genital area",
    "left_upper_arm": "Left upper arm", "right_upper_arm": "Right upper arm",
    "left_forearm": "Left forearm", "right_forearm": "Right forearm",
    "left_hand": "Left hand", "right_hand": "Right hand",
    "left_thigh": "Left thigh", "right_thigh": "Right thigh",
    "left_lower_leg": "Left lower leg", "right_lower_leg": "Right lower leg",
    "left_foot": "Left foot", "right_foot": "Right foot",
}
MAX_MARKS = 30
MAX_NOTE = 500


def clean(raw: Any) -> tuple[list[dict], dict[str, list[str]]]:
    """The marks as stored, and the problems with each, named ``body_map.<i>.<field>``."""
    if raw in (None, "", []):
        return [], {}
    if not isinstance(raw, list):
        return [], {"body_map": ["must be a list of marks"]}
    if len(raw) > MAX_MARKS:
        return [], {"body_map": [f"at most {MAX_MARKS} marks"]}
    marks, errors = [], {}
    for i, mark in enumerate(raw):
        cleaned, problems = _clean_mark(mark)
        errors.update({f"body_map.{i}.{k}": v for k, v in problems.items()})
        marks.append(cleaned)
    return (marks if not errors else []), errors


def _clean_mark(mark: Any) -> tuple[dict, dict[str, list[str]]]:
    if not isinstance(mark, dict):
        return {}, {"mark": ["must be an object with view, region and note"]}
    errors: dict[str, list[str]] = {}
    view, region = mark.get("view"), mark.get("region")
    if view not in VIEWS:
        errors["view"] = ["one of front, back"]
    if region not in REGIONS:
        errors["region"] = ["choose a part of the body from the list"]
    note = str(mark.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = [f"must be at most {MAX_NOTE} characters"]
    cleaned = {"view": view, "region": region, "note": note}
    for axis in ("x", "y"):
        value = mark.get(axis)
        if value in (None, ""):
            continue
        try:
            number = round(float(value), 1)
        except (TypeError, ValueError):
            number = -1.0
        if not 0 <= number <= 100:
            errors[axis] = ["a position between 0 and 100 (per cent of the outline)"]
        cleaned[axis] = number
    return cleaned, errors


def describe(marks: list[dict] | None) -> list[str]:
    """Each mark in words, for a chronology, a transfer package or a PDF."""
    return [f"{VIEWS.get(m.get('view'), '')} – {REGIONS.get(m.get('region'), 'body')}"
            + (f": {m['note']}" if m.get("note") else "") for m in marks or []]


def from_form(views: list[str], regions: list[str], notes: list[str],
              xs: list[str], ys: list[str]) -> list[dict]:
    """Marks from a form's parallel lists (one row per mark; empty rows are skipped)."""
    marks = []
    for i, region in enumerate(regions):
        if not region:
            continue
        marks.append({"view": views[i] if i < len(views) else "",
                      "region": region, "note": notes[i] if i < len(notes) else "",
                      "x": xs[i] if i < len(xs) else None, "y": ys[i] if i < len(ys) else None})
    return marks
