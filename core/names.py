"""Names as people type them: the one normalisation that pupil search and name matching share.

A phone types "zoe" for Zoë, "obrien" or a curly "O’Brien" for O'Brien, "smith jones" for
Smith-Jones. :func:`fold` compares names by their letters (case and accents dropped, letters
that do not decompose spelt out); :func:`search_form` also drops what people leave out or type
differently (apostrophes, hyphens and dashes, dots, spaces). The pupils table stores each
pupil's names in that form (``Pupil.search_key``), so a search is plain SQL on SQLite and
PostgreSQL alike; a change to these rules needs a migration that re-computes the stored keys.
"""
from __future__ import annotations

import re
import unicodedata

# letters NFKD leaves whole (no base letter plus accent); casefold already makes ß "ss"
_SPELT_OUT = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe",
                            "þ": "th", "ð": "d", "ħ": "h", "ŧ": "t"})
# apostrophes (straight, curly, modifier letter, backtick, acute, prime), hyphens and dashes,
# dots and every kind of space: what a typed name may have or leave out
_IGNORED = re.compile(r"[\s'\u2018\u2019\u201b\u02bc`\u00b4\u2032\-\u2010-\u2015\u2212.]+")


def fold(text: str | None) -> str:
    """Case-fold and strip accents (é→e, ø→o, ß→ss), so spellings compare by their letters.
    Everything else (spaces, punctuation) is kept as it is."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text or "").casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_SPELT_OUT)


def search_form(text: str | None) -> str:
    """A name or a search word as it is stored and compared: folded, with apostrophes,
    hyphens, dots and spaces removed ("O’Brien" → "obrien", "Smith-Jones" → "smithjones").
    Other characters stay, so a ``%`` or ``_`` typed in a search is looked for literally."""
    return _IGNORED.sub("", fold(text))


def pupil_search_key(first_name: str | None, preferred_name: str | None,
                     last_name: str | None) -> str:
    """What ``Pupil.search_key`` holds: each name in its :func:`search_form`, separated by a
    space (which no search word contains, so a word is found within one name)."""
    return " ".join(k for k in (search_form(first_name), search_form(preferred_name),
                                search_form(last_name)) if k)


def search_words(query: str | None, limit: int = 4) -> list[tuple[str, str]]:
    """The words of a typed search as ``(as typed, search form)`` pairs; a word that is only
    apostrophes or hyphens drops out. At most ``limit`` words."""
    out = []
    for word in (query or "").split():
        key = search_form(word)
        if key:
            out.append((word, key))
    return out[:limit]


def like_pattern(key: str) -> str:
    """``%key%`` for ``LIKE ... ESCAPE '\\'`` with ``%``, ``_`` and ``\\`` in ``key``
    matched literally."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
