"""The board report (and a case study) as documents: PDF with fpdf2, and the board report as
a Word document (python-docx) that a clerk can edit before it goes to the meeting. Both are
drawn from the already-suppressed :class:`core.board_report.BoardReport`: nothing here sees a
raw figure."""
from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Mm, Pt
from fpdf import FPDF

from core.board_report import BoardReport
from core.calendar import LONDON, uk_date, uk_datetime
from core.chronology import _latin1

MARKING = "OFFICIAL-SENSITIVE. No child is identifiable from this report."


def _produced() -> str:
    return uk_datetime(dt.datetime.now(LONDON))


def _title(report: BoardReport) -> str:
    return (f"Safeguarding report to the board: {report.trust_name}, {report.term.label} "
            f"({report.term.dates})")


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


# --- PDF --------------------------------------------------------------------------------------

def _pdf_table(pdf: FPDF, headings: list[str], rows: list[list[str]], first_width: float) -> None:
    pdf.set_font("Helvetica", "", 7.5)
    other = (pdf.epw - first_width) / max(1, len(headings) - 1)
    with pdf.table(col_widths=(first_width, *[other] * (len(headings) - 1)),
                   text_align=("LEFT", *["RIGHT"] * (len(headings) - 1)),
                   line_height=4, first_row_as_headings=True) as table:
        head = table.row()
        for h in headings:
            head.cell(_latin1(h))
        for values in rows:
            line = table.row()
            for v in values:
                line.cell(_latin1(v))


def _pdf_heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _pdf_text(pdf: FPDF, text: str, size: float = 9) -> None:
    pdf.set_font("Helvetica", "", size)
    pdf.multi_cell(0, 4.5, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def report_pdf(report: BoardReport, produced_by: str) -> bytes:
    """The report as a landscape A4 PDF."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(_latin1(_title(report)))
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, _latin1(_title(report)), new_x="LMARGIN", new_y="NEXT")
    _pdf_text(pdf, f"Produced {_produced()} by {produced_by}. {MARKING}", 8)
    _pdf_heading(pdf, "The trust safeguarding lead's narrative")
    for para in _paragraphs(report.narrative) or ["No narrative has been written for this term."]:
        _pdf_text(pdf, para)
        pdf.ln(1.5)
    for title, headings, rows in _tables(report):
        _pdf_heading(pdf, title)
        _pdf_table(pdf, headings, rows, 45)
    _pdf_heading(pdf, "Small numbers")
    _pdf_text(pdf, report.rule_text)
    return bytes(pdf.output())


def _tables(report: BoardReport) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's two tables as (title, headings, rows of text)."""
    keys = [k for k, _ in report.columns]
    figures = (f"Figures by school, {report.term.name} "
               f"({uk_date(report.term.start)} to {uk_date(report.term.end)})",
               ["School", *[label for _, label in report.columns]],
               [[r.name, *[r.cells.get(k, "") for k in keys]]
                for r in [*report.schools, report.trust]])
    trend = ("Concerns recorded, term by term", ["School", *[t.label for t in report.trend_terms]],
             [[r.name, *[r.cells.get(t.key, "") for t in report.trend_terms]]
              for r in report.trend])
    return [figures, trend]


# --- DOCX -------------------------------------------------------------------------------------

def report_docx(report: BoardReport, produced_by: str) -> bytes:
    """The report as a Word document (landscape), for editing before a meeting."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(12))
    doc.core_properties.title = _title(report)
    doc.core_properties.author = produced_by
    doc.add_heading(_title(report), level=1)
    doc.add_paragraph(f"Produced {_produced()} by {produced_by}. {MARKING}")
    doc.add_heading("The trust safeguarding lead's narrative", level=2)
    for para in _paragraphs(report.narrative) or ["No narrative has been written for this term."]:
        doc.add_paragraph(para)
    for title, headings, rows in _tables(report):
        doc.add_heading(title, level=2)
        table = doc.add_table(rows=1, cols=len(headings))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, headings):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for values in rows:
            for cell, text in zip(table.add_row().cells, values):
                cell.text = text
        for row in table.rows:
            for cell in row.cells:
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(8)
    doc.add_heading("Small numbers", level=2)
    doc.add_paragraph(report.rule_text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- a case study -----------------------------------------------------------------------------

def case_study_pdf(title: str, version, sections: dict[str, str], produced_by: str) -> bytes:
    """A reviewed case-study version as a PDF for a practice review. It carries no pupil,
    school or person: only the reviewed text and the version it came from."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    _pdf_text(pdf, f"Version {version.version}, reviewed for identifying details by the trust "
                   f"safeguarding lead. Produced {_produced()} by {produced_by}. "
                   f"OFFICIAL-SENSITIVE: for practice review only.", 8)
    for key, heading in sections.items():
        _pdf_heading(pdf, heading)
        _pdf_text(pdf, version.sections.get(key, "") or "(left blank)")
    return bytes(pdf.output())
