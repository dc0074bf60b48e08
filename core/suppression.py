"""Small-number suppression for figures that leave the platform (exports, board reports).

A count of one child, or a rate over a handful of pupils, can identify a child to a reader who
knows the school. Before figures are exported or printed, counts from 1 up to the threshold less
one are shown as "fewer than 5" (for the default threshold of 5), and rates taken over fewer
than the minimum denominator are withheld. Zero is shown: "none" identifies nobody.

The rule is the trust's (a trust setting, changed by the trust safeguarding lead and audited);
:func:`describe_rule` gives the sentence a report prints so its readers know what was hidden.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationError
from core.policy import Actor, require
from core.schools import set_trust_setting, trust_setting

SETTING_KEY = "suppression"
WITHHELD = "withheld"
DEFAULT_THRESHOLD = 5
DEFAULT_MIN_DENOMINATOR = 10
THRESHOLD_RANGE = (3, 20)  # below 3 a count of 2 would show; above 20 most school figures vanish
MAX_MIN_DENOMINATOR = 1000


def _whole(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return value


def suppress_count(n: int | None, threshold: int = DEFAULT_THRESHOLD) -> str | int | None:
    """``n`` itself when it is 0 or at least ``threshold``; ``"fewer than {threshold}"`` for
    1 to ``threshold - 1``; ``None`` (no figure) stays ``None``. A negative or fractional
    count is a programming error and raises ``ValueError``."""
    if n is None:
        return None
    n = _whole(n, "a count")
    if n < 0:
        raise ValueError(f"a count cannot be negative, not {n}")
    if 0 < n < threshold:
        return f"fewer than {threshold}"
    return n


def rate_or_withheld(numerator: float | None, denominator: float | None,
                     min_denominator: int = DEFAULT_MIN_DENOMINATOR, *, per: int = 100,
                     digits: int = 1) -> float | str | None:
    """``numerator / denominator * per`` rounded to ``digits``, or ``"withheld"`` when the
    denominator is below ``min_denominator`` (a zero denominator is withheld too: there is no
    rate). ``None`` for either figure gives ``None`` (nothing to show)."""
    if numerator is None or denominator is None:
        return None
    if numerator < 0 or denominator < 0:
        raise ValueError("a rate's numerator and denominator cannot be negative")
    if denominator == 0 or denominator < min_denominator:
        return WITHHELD
    return round(per * numerator / denominator, digits)


@dataclass(frozen=True)
class SuppressionRule:
    """A trust's rule: ``threshold`` (counts 1 to threshold-1 hidden) and ``min_denominator``
    (rates over fewer than this many are withheld)."""

    threshold: int = DEFAULT_THRESHOLD
    min_denominator: int = DEFAULT_MIN_DENOMINATOR

    def count(self, n: int | None) -> str | int | None:
        """A count as it may be shown under this rule."""
        return suppress_count(n, self.threshold)

    def rate(self, numerator, denominator, *, per: int = 100, digits: int = 1):
        """A rate as it may be shown under this rule."""
        return rate_or_withheld(numerator, denominator, self.min_denominator, per=per,
                                digits=digits)

    def withholds_base(self, denominator: float | None) -> bool:
        """Whether a rate already computed over ``denominator`` must be withheld."""
        return denominator is not None and (denominator == 0
                                            or denominator < self.min_denominator)

    def describe(self) -> str:
        return describe_rule(self)


def describe_rule(rule: SuppressionRule | None = None) -> str:
    """The sentence a report or export prints about the rule it applied."""
    rule = rule or SuppressionRule()
    low = rule.threshold - 1
    counts = ("A count of 1 is" if low == 1 else f"Counts from 1 to {low} are")
    return (f"{counts} shown as \"fewer than {rule.threshold}\" and rates taken over fewer "
            f"than {rule.min_denominator} pupils are withheld, so that no child can be "
            f"identified from these figures; zero is shown as 0.")


def validate(threshold, min_denominator) -> SuppressionRule:
    """A rule from untrusted input, or :class:`ValidationError` naming each bad field."""
    errors: dict[str, list[str]] = {}
    lo, hi = THRESHOLD_RANGE
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        errors["threshold"] = ["must be a whole number"]
    elif not lo <= threshold <= hi:
        errors["threshold"] = [f"must be between {lo} and {hi}"]
    if isinstance(min_denominator, bool) or not isinstance(min_denominator, int):
        errors["min_denominator"] = ["must be a whole number"]
    elif not isinstance(threshold, int) or isinstance(threshold, bool):
        pass  # judged once the threshold is right
    elif not threshold <= min_denominator <= MAX_MIN_DENOMINATOR:
        errors["min_denominator"] = [f"must be between the threshold ({threshold}) and "
                                     f"{MAX_MIN_DENOMINATOR}, so a rate never shows a count "
                                     f"the threshold hides"]
    if errors:
        raise ValidationError(errors)
    return SuppressionRule(threshold, min_denominator)


def rule_for(session: Session, trust_id: int) -> SuppressionRule:
    """The trust's rule (its setting over the defaults). A stored value that no longer
    validates (edited by hand) falls back to the defaults rather than suppressing less."""
    stored = trust_setting(session, trust_id, SETTING_KEY,
                           {"threshold": DEFAULT_THRESHOLD,
                            "min_denominator": DEFAULT_MIN_DENOMINATOR})
    try:
        return validate(stored.get("threshold"), stored.get("min_denominator"))
    except ValidationError:
        return SuppressionRule()


def set_rule(session: Session, actor: Actor, trust_id: int, threshold,
             min_denominator) -> SuppressionRule:
    """Change the trust's rule (the trust safeguarding lead, who reads and exports the
    overview); audited with the rule before and after."""
    require(actor, "trust.overview", trust_id=trust_id)
    after = validate(threshold, min_denominator)
    before = rule_for(session, trust_id)
    set_trust_setting(session, trust_id, SETTING_KEY,
                      {"threshold": after.threshold, "min_denominator": after.min_denominator})
    audit.record(session, "suppression.rule_changed", actor=actor, object_type="trust",
                 object_id=trust_id, trust_id=trust_id,
                 detail={"before": [before.threshold, before.min_denominator],
                         "after": [after.threshold, after.min_denominator]})
    return after
