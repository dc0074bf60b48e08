"""Taking the identifying details out of a text for a case study: people's names replaced by
their roles, dates by how long after the first event they fell ("day 12"), and UPNs,
postcodes, addresses, phone numbers, emails and long reference numbers removed.

Over-removal is the safe error: a common word that is also someone's name is replaced too,
and the lead's review (:mod:`core.case_study`) puts the sense back. A :class:`Redactor` is
built once per case study from everything the platform knows identifies someone in that file.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_MONTH = r"(?:" + "|".join(f"{m[:3]}(?:{m[3:]})?" for m in MONTHS) + r")\.?"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+"
DATE_PATTERNS = (
    # 05/10/2026, 5-10-26, 5.10.2026
    re.compile(r"(?<![\w/])(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?![\w/])"),
    # 2026-10-05
    re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])"),
    # (Monday) 5(th) October (2026)
    re.compile(rf"(?<!\w)(?:{_DAY})?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})"
               rf"(?:,?\s+(\d{{4}}))?(?!\w)", re.IGNORECASE),
    # October 5(th)(,) (2026)
    re.compile(rf"(?<!\w)({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?(?!\w)",
               re.IGNORECASE),
    # October 2026
    re.compile(rf"(?<!\w)({_MONTH})\s+(\d{{4}})(?!\w)", re.IGNORECASE),
)
REMOVALS = (
    (re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"), "[email removed]"),
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{11}[A-Za-z0-9](?![A-Za-z0-9])"), "[UPN removed]"),
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}(?![A-Za-z0-9])"),
     "[postcode removed]"),
    # phone numbers, police and case references: six digits or more, spaces allowed between
    (re.compile(r"\+?\d(?:[\s\-()]*\d){5,}"), "[number removed]"),
)
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def relative_day(day: dt.date, anchor: dt.date) -> str:
    """How a date is said in a case study: ``day 1`` is the first event's day; earlier days
    are "N days before day 1", or months or years when long before."""
    n = (day - anchor).days
    if -60 < n < 0:
        return f"{-n} day{'s' if n != -1 else ''} before day 1"
    if n < 0:  # long before: how long, roughly, says enough and dates nothing
        months = round(-n / 30.44)
        return (f"about {months} months before day 1" if months < 24
                else f"about {round(-n / 365.25)} years before day 1")
    return f"day {n + 1} (week {n // 7 + 1})"


def _month_number(text: str) -> int:
    return next(i for i, m in enumerate(MONTHS, start=1) if m.startswith(text.lower()[:3]))


def _parse(match: re.Match, pattern_index: int, anchor: dt.date) -> dt.date | None:
    g = match.groups()
    try:
        if pattern_index == 0:
            year = int(g[2]) + (2000 if len(g[2]) == 2 else 0)
            return dt.date(year, int(g[1]), int(g[0]))
        if pattern_index == 1:
            return dt.date(int(g[0]), int(g[1]), int(g[2]))
        if pattern_index == 2:
            return dt.date(int(g[2]) if g[2] else anchor.year, _month_number(g[1].rstrip(".")),
                           int(g[0]))
        if pattern_index == 3:
            return dt.date(int(g[2]) if g[2] else anchor.year, _month_number(g[0].rstrip(".")),
                           int(g[1]))
    except (ValueError, StopIteration):
        return None
    return None


@dataclass
class Redactor:
    """Replacements for one case study: ``names`` maps a name (a whole name or one of its
    words) to the role that stands for it; ``anchor`` is day 1."""

    anchor: dt.date
    names: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)  # addresses, school names: as given

    strict: set[str] = field(default_factory=set)  # what a reviewed text may not contain

    def add_person(self, role: str, *names: str | None, every_word: bool = False) -> None:
        """Someone's whole name and each word of it (two letters or more) stand for ``role``.
        A word already taken by a closer role (the child) keeps it. Their whole names, and
        with ``every_word`` each word too (the child, their family), are what
        :meth:`leftovers` looks for: a reviewed text may still say "will" or "may"."""
        for name in filter(None, names):
            whole = " ".join(name.split())
            if whole and whole.casefold() not in {k.casefold() for k in self.names}:
                self.names[whole] = role
            self.strict.add(whole)
            for word in re.findall(r"[^\W\d_][\w'’\-]*", whole):
                if len(word) >= 2 and word.casefold() not in {k.casefold() for k in self.names}:
                    self.names[word] = role
                if len(word) >= 2 and every_word:
                    self.strict.add(word)

    def add_phrase(self, text: str | None, replacement: str) -> None:
        text = " ".join((text or "").split())
        if len(text) >= 3:
            self.phrases.setdefault(text, replacement)
            self.strict.add(text)

    def _dates(self, text: str) -> str:
        for i, pattern in enumerate(DATE_PATTERNS):
            def swap(m: re.Match, i=i) -> str:
                day = _parse(m, i, self.anchor)
                return relative_day(day, self.anchor) if day else "[date removed]"
            text = pattern.sub(swap, text)
        return YEAR.sub("[year removed]", text)

    def _pattern(self, keys) -> re.Pattern | None:
        keys = sorted(keys, key=len, reverse=True)
        if not keys:
            return None
        return re.compile(r"(?<![\w])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w])",
                          re.IGNORECASE)

    def __call__(self, text: str | None) -> str:
        text = text or ""
        phrases = {k.casefold(): v for k, v in self.phrases.items()}
        if (pattern := self._pattern(self.phrases)) is not None:
            text = pattern.sub(lambda m: phrases[m.group(0).casefold()], text)
        text = self._dates(text)
        for pattern, replacement in REMOVALS:
            text = pattern.sub(replacement, text)
        names = {k.casefold(): v for k, v in self.names.items()}
        if (pattern := self._pattern(self.names)) is not None:
            text = pattern.sub(lambda m: names[m.group(0).casefold()], text)
            for role in set(self.names.values()):  # "Kai Smith" -> one "the child", not two
                text = re.sub(rf"{re.escape(role)}(?:\s+{re.escape(role)})+", role, text)
        return text

    def leftovers(self, text: str) -> list[str]:
        """The known identifying strings still in ``text`` (a lead's edit may type one back):
        names and phrases as whole words, and anything a removal pattern catches."""
        found = []
        for key in sorted(k for k in self.strict if k):
            if re.search(r"(?<![\w])" + re.escape(key) + r"(?![\w])", text, re.IGNORECASE):
                found.append(key)
        for pattern, what in REMOVALS:
            if pattern.search(text):
                found.append(what.strip("[]").replace(" removed", ""))
        for pattern in DATE_PATTERNS[:2]:
            if pattern.search(text):
                found.append("a date")
        return sorted(set(found))
