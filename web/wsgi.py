"""WSGI entry for gunicorn: ``gunicorn 'web.wsgi:app'``."""
from core.runtime import start
from web import create_app

settings, _ = start()
app = create_app(settings)
