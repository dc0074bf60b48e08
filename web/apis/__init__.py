"""Core endpoints of the JSON API, one module per resource, each with a flask-smorest
``Blueprint`` called ``blp`` (registered by :func:`web.api.init_api`)."""
from __future__ import annotations


def refusals(blp):
    """Document the answers every endpoint may give besides its own: 401 when signed out,
    404 for anything the caller may not see (which looks exactly like a missing record)."""
    def decorate(func):
        func = blp.alt_response(404, response="NOT_FOUND")(func)
        return blp.alt_response(401, response="UNAUTHORIZED")(func)
    return decorate


def allowed(action: str):
    """Check ``action`` in the URL's school before the request body is even read, so a caller
    without access gets the same 404 whatever they send. (The services check again.)"""
    from functools import wraps

    from web import context

    def decorate(func):
        @wraps(func)
        def view(*args, **kwargs):
            context.require(action, kwargs.get("school_id"))
            return func(*args, **kwargs)
        return view
    return decorate
