"""PDF and Word files made by the tests (fpdf2, python-docx), never downloaded."""

import io
import zipfile

HEADER = "Harbour Authority Annual Report"
PAGE_3_FACT = "The lighthouse keeper appointed in March is Margaret Ellison."


def report_pdf(encrypt: bool = False) -> bytes:
    """Four pages with a running header and page numbers; a hyphenated line end on page 1 (refurbish-
    ment), two columns on page 2, a paragraph running from page 2 onto page 3, the keeper's name on
    page 3, accented words on page 4."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, HEADER, align="C")
            self.ln(14)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()}", align="C")

    pdf = Report()
    pdf.set_auto_page_break(False)
    if encrypt:
        pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.set_title("Harbour report 2025")
    pdf.set_font("Helvetica", size=11)

    def paragraph(text, x=None, y=None, w=0):
        if x is not None:
            pdf.set_xy(x, y)
        pdf.multi_cell(w, 5, text, align="L")
        pdf.ln(5)

    pdf.add_page()
    paragraph("Introduction", w=0)
    paragraph("The harbour welcomed 1,204 ferries this year. The refurbish-\nment of the north quay finished in spring.")
    paragraph("Freight volumes rose by a tenth compared with the year before.")
    pdf.add_page()
    paragraph("The left column describes the dredging of the channel to twelve metres, which took the "
              "contractors from Rotterdam most of the summer to finish.", x=10, y=30, w=85)
    paragraph("The right column describes the new pilot boats ordered from Brittany, which arrive in "
              "pairs over the next two years.", x=110, y=30, w=85)
    pdf.set_xy(10, 250)
    pdf.multi_cell(0, 5, "The board thanked the volunteers of the coastguard station who kept watch through")
    pdf.add_page()
    paragraph("the winter storms without a single night off.")
    paragraph(PAGE_3_FACT)
    pdf.add_page()
    paragraph("Visitors came from Zürich, Malmö and Besançon to the café on the pier.")
    return bytes(pdf.output())


def image_only_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(40, 40, 40)
    pdf.rect(20, 20, 120, 80, style="F")
    return bytes(pdf.output())


def minutes_docx() -> bytes:
    """Core title, a heading, paragraphs and a table."""
    import docx

    doc = docx.Document()
    doc.core_properties.title = "Harbour board minutes"
    doc.add_heading("Attendance", level=1)
    doc.add_paragraph("The chair opened the meeting at nine with seven members present.")
    doc.add_heading("Budget", level=1)
    doc.add_paragraph("The board approved a budget of £3.2 million for the quay.")
    table = doc.add_table(rows=3, cols=2)
    for row, (item, cost) in zip(table.rows, [("Item", "Cost"), ("Dredging", "£1.1m"), ("Pilot boats", "£0.9m")]):
        row.cells[0].text, row.cells[1].text = item, cost
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A zip named .docx whose document part inflates to 300 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                part.write(block)
    return out.getvalue()


def bloated_docx(paragraphs: int = 30_407) -> bytes:
    """A small .docx that becomes a huge document: `paragraphs` paragraphs of six formatted runs each
    (30,407 of them: 42 MB of XML in a 0.7 MB file, the upload of issue #35)."""
    import docx

    base = io.BytesIO()
    docx.Document().save(base)
    run = ('<w:r><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/><w:b/><w:i/>'
           '<w:color w:val="1F3864"/><w:sz w:val="22"/></w:rPr>'
           '<w:t xml:space="preserve">{} </w:t></w:r>')
    body = "".join('<w:p><w:pPr><w:spacing w:after="120" w:line="276" w:lineRule="auto"/><w:jc w:val="both"/></w:pPr>'
                   + "".join(run.format(f"Clause {n} item {k} of the harbour dues") for k in range(6))
                   + "</w:p>" for n in range(paragraphs))
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxml'
           f'formats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, xml if item.filename == "word/document.xml" else source.read(item))
    return out.getvalue()


def long_pdf(pages: int = 40) -> bytes:
    """A valid PDF of `pages` pages of dense text: slow to lay out (pdfminer), quick to make."""
    from fpdf import FPDF

    words = ("harbour pilots logged tide wind vessel basin quay dredger ferry trawler beacon channel buoy "
             "cargo crane lock gate swell mooring").split()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=9)
    for page in range(pages):
        pdf.add_page()
        for block in range(12):
            text = " ".join(words[(page * 7 + block * 3 + i) % len(words)] for i in range(60))
            pdf.multi_cell(0, 4.5, f"{text.capitalize()}.", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def looping_pdf() -> bytes:
    """A tiny PDF whose page tree is an object that refers to another that refers back: pdfminer follows
    the references for ever."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"3 0 R", b"2 0 R"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
