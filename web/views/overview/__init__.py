"""The trust safeguarding lead's pages: the overview of every school (``page``), trends over
terms (``trends``), concerns by category as a heat map (``heatmap``), the overview's export
with small numbers suppressed (``export``) and a school's dashboard, read-only (``school``).
One blueprint; each module adds its routes to it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("overview", __name__)

from web.views.overview import page  # noqa: E402  (routes on bp)
from web.views.overview.page import term_period  # noqa: E402,F401  (tests and callers)
from web.views.overview import export, heatmap, school, trends  # noqa: E402,F401  (routes on bp)
