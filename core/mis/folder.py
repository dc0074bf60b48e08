"""Files an MIS drops on a schedule: ``<base>/<URN>/`` per school, picked up by a recurring
job, imported and committed whole, then moved to ``done/`` (or ``failed/`` with a ``.txt``
saying why, naming each bad line or element).

The base folder is ``MAT_MIS_DROP_FOLDER`` (default ``<instance>/mis-drop``). A ``.xml``
file is read as a CTF, a ``.csv`` file with the school's layout called ``folder`` if it has
one (else the default layout). A file whose exact content was imported before is moved to
``done/`` without importing it again.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from core.db import SYSTEM, current_database
from core.models import MisImport, MisLayout, School

SUFFIXES = {".xml": "ctf", ".csv": "csv"}


def base_folder() -> Path:
    from core.runtime import configured

    raw = os.environ.get("MAT_MIS_DROP_FOLDER", "").strip()
    return Path(raw) if raw else configured().instance_path / "mis-drop"


def school_folder(urn: str) -> Path:
    return base_folder() / urn


def _already_done(s, school_id: int, sha: str) -> bool:
    return s.scalar(select(MisImport.id).where(
        MisImport.school_id == school_id, MisImport.sha256 == sha,
        MisImport.status == "committed")) is not None


def _move(path: Path, to: str, note: str = "") -> None:
    target = path.parent / to
    target.mkdir(exist_ok=True)
    path.replace(target / path.name)
    if note:
        (target / f"{path.name}.txt").write_text(note, encoding="utf-8")


def _one(school_id: int, path: Path) -> str:
    import hashlib

    from core.mis import service

    content = path.read_bytes()
    with current_database().transaction(SYSTEM) as s:
        if _already_done(s, school_id, hashlib.sha256(content).hexdigest()):
            return "already imported"
        fmt = SUFFIXES[path.suffix.lower()]
        layout = None
        if fmt == "csv" and s.scalar(select(MisLayout.id).where(
                MisLayout.school_id == school_id, MisLayout.name == "folder")):
            layout = "folder"
        imp = service.start_import(s, None, school_id, content, path.name, fmt, layout,
                                   commit=True)
        report = service.process(s, imp)
        if imp.status != "committed":
            lines = [f"{p['where']}, {p['field']}: {p['message']}" for p in report["problems"]]
            return "failed:" + "\n".join(lines or ["the import stopped"])
    return "committed"


def pick_up(school_id: int) -> dict:
    """Import every file waiting in the school's folder, oldest first."""
    with current_database().transaction(SYSTEM) as s:
        urn = s.get(School, school_id).urn
    folder = school_folder(urn)
    if not folder.is_dir():
        return {"files": 0}
    done: dict[str, str] = {}
    files = sorted((p for p in folder.iterdir()
                    if p.is_file() and p.suffix.lower() in SUFFIXES),
                   key=lambda p: p.stat().st_mtime)
    for path in files:
        outcome = _one(school_id, path)
        if outcome.startswith("failed:"):
            _move(path, "failed", outcome.removeprefix("failed:") + "\n")
            done[path.name] = "failed"
        else:
            _move(path, "done")
            done[path.name] = outcome
    return {"files": len(files), "outcomes": done}
