"""What a file really is, from its first bytes, against the type it was declared as.

A browser or API client declares a file's type; the bytes say what it is. An executable
renamed ``.pdf`` is declared ``application/pdf`` but starts ``MZ``: it is refused, whatever it
was called. Each accepted type has its signature (its "magic bytes"); text must be text.
"""
from __future__ import annotations

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    PDF: (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    DOCX: (b"PK\x03\x04",),  # a ZIP container
    DOC: (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),  # an OLE compound file
}
TEXT = "text/plain"
ACCEPTED = frozenset(SIGNATURES) | {TEXT}
LABELS = {PDF: "a PDF", "image/png": "a PNG image", "image/jpeg": "a JPEG image",
          "image/gif": "a GIF image", DOCX: "a Word document", DOC: "a Word document",
          TEXT: "a text file"}


def content_problem(content_type: str, data: bytes) -> str | None:
    """Why ``data`` is not a file of ``content_type`` (None when it is)."""
    if content_type not in ACCEPTED:
        return f"files of type {content_type} are not accepted"
    if content_type == TEXT:
        if b"\x00" in data[:8192]:
            return "is not a text file (it holds binary data)"
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                data.decode("cp1252")
            except UnicodeDecodeError:
                return "is not a text file"
        return None
    if not data.startswith(SIGNATURES[content_type]):
        return f"is not {LABELS[content_type]}, whatever its name says"
    return None
