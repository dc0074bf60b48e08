"""Over-long text in a page form is refused without losing what was typed (issue 13).

Werkzeug caps one text field of a ``multipart/form-data`` form at ``MAX_FORM_MEMORY_SIZE``
(500 KB) and answers a bare 413 the moment a field passes it, throwing the rest of the form
away. Here the parser keeps the start of such a field (up to that cap: memory stays bounded),
reads past the rest, and notes the field and how much was sent in ``request.too_long``. Nothing
is stored: a view marked :func:`keeps_long_text` renders its own form again with the text and a
message beside the field; any other view is answered with a 413 page that names the field and
shows the kept text so it can be copied (``web.errors``).

Within the cap, each view checks its own per-field limits (the API's ``LONG_TEXT`` for a
concern's text) and renders the form again with the whole text, as for any other mistake.
"""
from __future__ import annotations

import typing as t

from flask import Flask, Request, current_app, request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser, _chunk_iter
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

KB = 1024


class TextTooLong(RequestEntityTooLarge):
    """A text field over the per-field cap, in a view that cannot show it again itself."""

    description = "A text field is too long to save."

    def __init__(self, too_long: dict[str, int], kept: MultiDict):
        super().__init__()
        self.too_long = too_long
        self.kept = kept


class _KeepingMultiPartParser(MultiPartParser):
    """Werkzeug's parser, except that a text field over ``max_form_memory_size`` keeps its
    first bytes up to the cap instead of failing; ``too_long`` maps it to the bytes sent."""

    keep_partial = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_long: dict[str, int] = {}

    def parse(self, stream, boundary, content_length):
        cap = self.max_form_memory_size
        # the decoder's own cap is on its buffer (a part's headers, or one chunk of data), as
        # in Werkzeug: a header block that never ends is still refused
        decoder = MultipartDecoder(boundary, max_form_memory_size=cap,
                                   max_parts=self.max_form_parts)
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        part: Field | File | None = None
        size = 0
        container: t.Any = None
        for chunk in _chunk_iter(stream.read, self.buffer_size):
            if chunk is None and self.keep_partial:
                break  # a body cut short has no end for the decoder to find
            decoder.receive_data(chunk)
            event = decoder.next_event()
            while not isinstance(event, (Epilogue, NeedData)):
                if isinstance(event, Field):
                    part, size, container = event, 0, []
                elif isinstance(event, File):
                    part, size = event, 0
                    container = self.start_file_streaming(event, content_length)
                elif isinstance(event, Data):
                    size += len(event.data)
                    if isinstance(part, Field):
                        kept = sum(len(b) for b in container)
                        if cap is None or kept < cap:
                            container.append(event.data[:None if cap is None else cap - kept])
                    else:
                        container.write(event.data)
                    if not event.more_data:
                        if isinstance(part, Field):
                            raw = b"".join(container)
                            if cap is not None and size > cap:
                                self.too_long[part.name] = size
                                # a character cut in two at the cap is dropped, not garbled
                                value = raw.decode(self.get_part_charset(part.headers), "ignore")
                            else:
                                value = raw.decode(self.get_part_charset(part.headers),
                                                   "replace")
                            fields.append((part.name, value))
                        else:
                            container.seek(0)
                            files.append((part.name, FileStorage(
                                container, part.filename, part.name, headers=part.headers)))
                        part = None
                event = decoder.next_event()
        if self.keep_partial and isinstance(part, Field) and container:
            # the body was cut before this field ended: keep what arrived of it
            fields.append((part.name, b"".join(container).decode(
                self.get_part_charset(part.headers), "ignore")))
        return self.cls(fields), self.cls(files)


class _KeepingFormDataParser(FormDataParser):
    too_long: dict[str, int]

    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = _KeepingMultiPartParser(
            stream_factory=self.stream_factory, max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts, cls=self.cls)
        self.too_long = parser.too_long
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class _CappedStream(LimitedStream):
    """A body read up to a maximum that refuses (413) a body going on past it."""

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class FormRequest(Request):
    """Flask's request, whose form parser keeps over-long text fields (see the module)."""

    form_data_parser_class = _KeepingFormDataParser
    _parser: _KeepingFormDataParser | None = None

    def make_form_data_parser(self) -> FormDataParser:
        self._parser = super().make_form_data_parser()
        return self._parser

    @cached_property
    def stream(self) -> t.IO[bytes]:
        # a body without a Content-Length (chunked) is counted against MAX_CONTENT_LENGTH as
        # it is read; Werkzeug's stream stops reading there without saying the body went
        # on, so a form or JSON body would be taken cut short: this one answers 413
        limit = self.max_content_length
        if self.content_length is None and limit is not None \
                and "wsgi.input_terminated" in self.environ:
            return _CappedStream(self.environ["wsgi.input"], limit, is_max=True)
        return super().stream

    @property
    def too_long(self) -> dict[str, int]:
        """Each text field cut at the cap, with the number of bytes that were sent."""
        self._load_form_data()
        return getattr(self._parser, "too_long", {}) if self._parser else {}


def keeps_long_text(view):
    """Mark a view that shows its form again itself when ``request.too_long`` is set (it must
    not save anything then); any other view is answered with the 413 page."""
    view.keeps_long_text = True
    return view


def texts_before_the_limit(cap: int = 512 * KB) -> list[tuple[str, str]]:
    """The text fields of a page form whose body was refused as a whole (over
    ``MAX_CONTENT_LENGTH``, usually for a large file), read from the first ``cap`` bytes of a
    body nobody has read yet: a form's text comes before its files, so what was typed can be
    shown back. Hidden fields (tokens, the button) and ids are left out; nothing is stored."""
    import io

    stream = request.environ.get("wsgi.input")
    if request.method != "POST" or stream is None or request.content_length is None:
        return []
    head = stream.read(cap)
    if request.mimetype == "multipart/form-data":
        boundary = request.mimetype_params.get("boundary", "").encode("ascii", "ignore")
        if not boundary:
            return []
        parser = _KeepingMultiPartParser(max_form_memory_size=cap)
        parser.keep_partial = True
        try:
            form, _ = parser.parse(io.BytesIO(head), boundary, len(head))
        except (ValueError, RequestEntityTooLarge):
            return []
    elif request.mimetype == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qsl

        form = MultiDict(parse_qsl(head.decode("utf-8", "ignore"), keep_blank_values=True))
    else:
        return []
    hidden = {"csrf_token", "form_token", "action"}
    # a number alone is a choice's id (a pupil ticked), nothing anyone typed
    return [(k, v) for k, v in form.items(multi=True)
            if k not in hidden and v.strip() and not v.strip().isdigit()]


def too_long_message(name: str, sent: int, limit_chars: int | None = None) -> str:
    """Words for a field cut at the cap: how much was sent and what the limit is."""
    cap = request.max_form_memory_size or 0
    limit = f"{limit_chars:,} characters" if limit_chars else f"{cap // KB} KB"
    return (f"is too long to save: about {round(sent / KB):,} KB was sent and the limit is {limit}. "
            f"Nothing was saved; the start of the text is kept here: shorten it, or attach the "
            f"full text as a file")


def init_form_limits(app: Flask) -> None:
    """Use the keeping parser; refuse an over-long field in views not marked to show it."""
    app.request_class = FormRequest

    @app.before_request
    def _refuse_text_too_long():
        if request.method != "POST" or request.path.startswith("/api/") \
                or request.mimetype != "multipart/form-data":
            return None
        too_long = getattr(request, "too_long", None)
        if not too_long:
            return None
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "keeps_long_text", False):
            return None
        raise TextTooLong(dict(too_long), MultiDict(
            (k, v) for k, v in request.form.items(multi=True) if k in too_long))
