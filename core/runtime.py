"""Process start-up shared by the web app, the CLI and job workers."""
from __future__ import annotations

import logging

from core import audit, jobs, mail, secretbox
from core.config import Settings, from_env
from core.db import Database, init_database

_settings: Settings | None = None


def start(settings: Settings | None = None) -> tuple[Settings, Database]:
    """Configure the database, the job queue and mail for this process from ``settings``
    (by default the ``MAT_*`` environment)."""
    global _settings
    settings = settings or from_env()
    db = init_database(settings.database_url)
    jobs.configure(settings.redis_url, settings.queue_name)
    mail.configure(settings)
    audit.configure(settings)
    secretbox.configure(settings)
    _settings = settings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return settings, db


def configured() -> Settings:
    """This process's settings without starting anything: those :func:`start` was given, or
    else the environment's (a job run under another runtime keeps its database)."""
    return _settings if _settings is not None else from_env()


def settings() -> Settings:
    if _settings is None:
        start()
    return _settings
