"""The overview table as the trust lead reads it: columns grouped by area (one group per
plugin, the core's figures as "Concerns"), each cell against the trust median and England's
figure in words and a symbol as well as colour, sorted by any column, yes/no figures as words.
No Flask here but the group names' labels: the view passes in what it read from the request."""
from __future__ import annotations

from dataclasses import dataclass, field

from core.trends import median

CORE_GROUP_LABEL = "Concerns"
# figures that set the scene rather than measure anything: no comparison beneath them
CONTEXT_ONLY = frozenset({"core.pupils"})
# how a difference reads, by the metric's direction (None: neither way is better)
WORSE, BETTER, LEVEL = "worse", "better", "level"


@dataclass(frozen=True)
class Group:
    key: str     # the plugin's name ("core" for the core's figures)
    label: str   # as a lead reads it ("Attendance", "Concerns")


@dataclass
class Column:
    key: str              # "plugin.key"
    definition: object    # core.contributions.MetricDefinition
    group: Group
    median: float | None = None


@dataclass
class Comparison:
    """How one figure sits against a reference (the trust median or England)."""

    reference: float
    difference: float
    judgement: str   # worse / better / level, or higher / lower where no direction
    symbol: str      # ▲ ▼ =


@dataclass
class Cell:
    column: Column
    value: float | None
    text: str
    against_median: Comparison | None = None
    against_england: Comparison | None = None

    @property
    def tone(self) -> str:
        """The cell's colour class, from the median comparison (none where no direction)."""
        d = self.column.definition
        if d.yes_no:
            return yes_no_judgement(d, self.value)
        c = self.against_median
        return c.judgement if c and c.judgement in (WORSE, BETTER) else ""

    @property
    def described(self) -> str:
        """The comparisons as a sentence, for the cell's title and screen readers."""
        out = []
        for name, c in (("the trust median", self.against_median),
                        ("England", self.against_england)):
            if c is None:
                continue
            unit = _unit(self.column.definition)
            if c.judgement in (LEVEL, "same"):
                out.append(f"level with {name} ({fmt(c.reference, unit)})")
            else:
                side = "above" if c.difference > 0 else "below"
                out.append(f"{fmt(abs(c.difference), unit)} {side} {name} "
                           f"({fmt(c.reference, unit)})" + (
                               f", {c.judgement}" if c.judgement in (WORSE, BETTER) else ""))
        return "; ".join(out)


@dataclass
class Row:
    school: object
    cells: list[Cell] = field(default_factory=list)
    spark: list[float | None] | None = None  # None: not asked for (fetched afterwards)


def _unit(d) -> str:
    return "%" if d.unit == "%" else ""


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{round(value, 1):g}{unit}"


def cell_text(d, value: float | None) -> str:
    """A figure as the page shows it: yes/no in words, % after percentages."""
    if value is None:
        return "–"
    if getattr(d, "yes_no", False):
        return "Yes" if value else "No"
    return fmt(value, _unit(d))


def compare(d, value: float | None, reference: float | None) -> Comparison | None:
    """Where ``value`` sits against ``reference``, judged by the metric's direction."""
    if value is None or reference is None or getattr(d, "yes_no", False):
        return None
    diff = round(value - reference, 1)
    if diff == 0:
        return Comparison(reference, 0.0, LEVEL, "=")
    up = diff > 0
    symbol = "▲" if up else "▼"
    if d.higher_is_better is None:
        return Comparison(reference, diff, "higher" if up else "lower", symbol)
    good = up == bool(d.higher_is_better)
    return Comparison(reference, diff, BETTER if good else WORSE, symbol)


def yes_no_judgement(d, value: float | None) -> str:
    """A yes/no cell's tone: the answer the metric wants is better, the other worse."""
    if value is None or d.higher_is_better is None:
        return ""
    return BETTER if bool(value) == bool(d.higher_is_better) else WORSE


def groups_of(definitions, label_of) -> list[Group]:
    """The column groups in the order the columns come (the core's first)."""
    seen: dict[str, Group] = {}
    for d in definitions:
        if d.plugin not in seen:
            seen[d.plugin] = Group(d.plugin, CORE_GROUP_LABEL if d.plugin == "core"
                                   else label_of(d.plugin))
    return list(seen.values())


def build_columns(definitions, groups: list[Group], cells: dict) -> list[Column]:
    by_key = {g.key: g for g in groups}
    cols = []
    for d in definitions:
        key = f"{d.plugin}.{d.key}"
        cols.append(Column(key, d, by_key[d.plugin],
                           None if d.yes_no else median([c.get(key) for c in cells.values()])))
    return cols


def build_rows(schools, columns: list[Column], cells: dict) -> list[Row]:
    rows = []
    for sc in schools:
        row = Row(sc)
        for col in columns:
            d, v = col.definition, cells.get(sc.id, {}).get(col.key)
            context_only = col.key in CONTEXT_ONLY
            row.cells.append(Cell(col, v, cell_text(d, v),
                                  None if context_only else compare(d, v, col.median),
                                  None if context_only else compare(d, v, d.national)))
        rows.append(row)
    return rows


def sort_rows(rows: list[Row], key: str | None, descending: bool) -> list[Row]:
    """By a column's figure (schools without one last, whichever the direction), or by the
    school's name; ties by name."""
    if not key or key == "school":
        return sorted(rows, key=lambda r: r.school.name.lower(), reverse=descending)
    index = next((i for i, c in enumerate(rows[0].cells) if c.column.key == key), None) \
        if rows else None
    if index is None:
        return sorted(rows, key=lambda r: r.school.name.lower())
    have = [r for r in rows if r.cells[index].value is not None]
    lack = [r for r in rows if r.cells[index].value is None]
    have.sort(key=lambda r: r.school.name.lower())
    have.sort(key=lambda r: r.cells[index].value, reverse=descending)
    return have + sorted(lack, key=lambda r: r.school.name.lower())
