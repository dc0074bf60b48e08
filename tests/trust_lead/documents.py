"""Reading back the documents the platform produces, as a reader's tools would: the text
fpdf2 drew in a PDF (its page streams, zlib-compressed), and every XML part of a DOCX."""
from __future__ import annotations

import io
import re
import zipfile
import zlib


def pdf_streams(data: bytes) -> str:
    """Every stream of the PDF, decompressed where it is, plus the file's own bytes (titles
    and metadata sit outside streams), as one latin-1 string: a name written anywhere in the
    file is found here."""
    parts = [data.decode("latin-1")]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            parts.append(stream.decode("latin-1"))
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    """The strings the page streams draw (``(..) Tj`` and ``[..] TJ``), escapes undone and
    joined with spaces: enough to find a cell's text."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)", content):
            out.append(re.sub(rb"\\(.)", rb"\1", s).decode("latin-1"))
    return " ".join(out)


def docx_xml(data: bytes) -> str:
    """Every part of a Word document (body, headers, properties...) as one string."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def docx_tables(data: bytes) -> list[list[list[str]]]:
    """Each table of a Word document as rows of cell texts."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
