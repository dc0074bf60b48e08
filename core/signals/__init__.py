"""Converging signals: indicators from the core and every plugin (``mat_indicators``), a small
declarative rule set per trust (:mod:`.rules`), evaluated nightly from each school's
watermark (:mod:`.evaluate`), stored as firings with the DSL's decisions (:mod:`.store`,
:mod:`.service`). See docs/guide/signals.md."""
