#!/usr/bin/env python3
"""Documents for tests/translate_documents.rs, made by the libraries people make them with
(python-docx, python-pptx, odfpy, EbookLib), with French text written for these tests: runs in
bold and italic, links, a table, a header and footer, a list, tabs and line breaks, speaker notes.

Usage: python scripts/make_document_fixtures.py
Needs: pip install python-docx python-pptx odfpy EbookLib

Writes tests/fixtures/documents/sample.{docx,pptx,odt,odp,epub}.
"""
from pathlib import Path

root = Path(__file__).resolve().parent.parent
out = root / "tests/fixtures/documents"
out.mkdir(parents=True, exist_ok=True)

TITLE = "La réforme des retraites"
PARAS = [
    [("Le ", {}), ("président", {"bold": True}), (" a annoncé une ", {}), ("réforme", {"link": "https://example.org/reforme"}),
     (" mardi.", {})],
    [("Les syndicats ont ", {}), ("immédiatement", {"italic": True}), (" appelé à la grève. Le gouvernement dit vouloir ", {}),
     ("négocier", {"bold": True, "italic": True}), (".", {})],
    [("Selon l'institut, ", {}), ("42 %", {"bold": True}), (" des salariés sont concernés par cette mesure.", {})],
]
LIST = ["Premier point de la loi.", "Deuxième point, plus discuté."]
TABLE = [["Année", "Âge légal"], ["2023", "soixante-deux ans"], ["2030", "soixante-quatre ans"]]


def docx():
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Journal du matin"
    d.sections[0].footer.paragraphs[0].text = "Page de pied"
    d.add_heading(TITLE, level=1)
    for para in PARAS:
        p = d.add_paragraph()
        for text, style in para:
            if "link" in style:
                rel = d.part.relate_to(style["link"], "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink", is_external=True)
                link = OxmlElement("w:hyperlink")
                link.set(qn("r:id"), rel)
                r = OxmlElement("w:r")
                rpr = OxmlElement("w:rPr")
                u = OxmlElement("w:u")
                u.set(qn("w:val"), "single")
                rpr.append(u)
                r.append(rpr)
                t = OxmlElement("w:t")
                t.text = text
                r.append(t)
                link.append(r)
                p._p.append(link)
            else:
                run = p.add_run(text)
                run.bold = style.get("bold")
                run.italic = style.get("italic")
    p = d.add_paragraph("Nom")
    p.add_run().add_tab()
    p.add_run("Prénom et fonction")
    for item in LIST:
        d.add_paragraph(item, style="List Bullet")
    table = d.add_table(rows=len(TABLE), cols=2)
    for i, row in enumerate(TABLE):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
    d.save(out / "sample.docx")


def pptx():
    from pptx import Presentation
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = TITLE
    body = slide.placeholders[1].text_frame
    for k, para in enumerate(PARAS):
        p = body.paragraphs[0] if k == 0 else body.add_paragraph()
        for text, style in para:
            r = p.add_run()
            r.text = text
            r.font.bold = style.get("bold")
            r.font.italic = style.get("italic")
            if "link" in style:
                r.hyperlink.address = style["link"]
    slide.notes_slide.notes_text_frame.text = "Parler lentement et montrer le graphique."
    prs.save(out / "sample.pptx")


def odf(kind):
    from odf.opendocument import OpenDocumentText, OpenDocumentPresentation
    from odf.style import Style, TextProperties, PageLayout, MasterPage
    from odf.text import P, H, Span, A, LineBreak, Tab, List, ListItem
    from odf.draw import Page, Frame, TextBox
    doc = OpenDocumentText() if kind == "odt" else OpenDocumentPresentation()
    bold = Style(name="Gras", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    italic = Style(name="Italique", family="text")
    italic.addElement(TextProperties(fontstyle="italic"))
    doc.automaticstyles.addElement(bold)
    doc.automaticstyles.addElement(italic)

    def paragraph(para):
        p = P()
        for text, style in para:
            if "link" in style:
                node = A(href=style["link"], text=text)
            elif style.get("bold"):
                node = Span(stylename=bold, text=text)
            elif style.get("italic"):
                node = Span(stylename=italic, text=text)
            else:
                p.addText(text)
                continue
            p.addElement(node)
        return p

    paras = [paragraph(para) for para in PARAS]
    broken = P(text="Nom")
    broken.addElement(Tab())
    broken.addText("Prénom et fonction")
    broken.addElement(LineBreak())
    broken.addText("Fin de la ligne.")
    if kind == "odt":
        doc.text.addElement(H(outlinelevel=1, text=TITLE))
        for p in paras + [broken]:
            doc.text.addElement(p)
        items = List()
        for item in LIST:
            li = ListItem()
            li.addElement(P(text=item))
            items.addElement(li)
        doc.text.addElement(items)
    else:
        layout = PageLayout(name="Mise")
        doc.automaticstyles.addElement(layout)
        master = MasterPage(name="Maitre", pagelayoutname=layout)
        doc.masterstyles.addElement(master)
        page = Page(masterpagename=master)
        frame = Frame(width="20cm", height="10cm", x="1cm", y="1cm")
        box = TextBox()
        box.addElement(P(text=TITLE))
        for p in paras + [broken]:
            box.addElement(p)
        frame.addElement(box)
        page.addElement(frame)
        doc.presentation.addElement(page)
    doc.save(str(out / f"sample.{kind}"))


def epub():
    from ebooklib import epub as e
    book = e.EpubBook()
    book.set_identifier("entente-sample")
    book.set_title(TITLE)
    book.set_language("fr")
    html = "".join(
        "<p>" + "".join(
            f'<a href="{s["link"]}">{t}</a>' if "link" in s else
            f"<b><i>{t}</i></b>" if s.get("bold") and s.get("italic") else
            f"<b>{t}</b>" if s.get("bold") else f"<i>{t}</i>" if s.get("italic") else t
            for t, s in para) + "</p>"
        for para in PARAS)
    chapter = e.EpubHtml(title=TITLE, file_name="chapitre1.xhtml", lang="fr")
    chapter.content = f"<h1>{TITLE}</h1>{html}<p>Une ligne<br/>coupée en deux, et du code <code>x &lt; 3</code> ici.</p>"
    book.add_item(chapter)
    book.toc = (chapter,)
    book.add_item(e.EpubNcx())
    book.add_item(e.EpubNav())
    book.spine = ["nav", chapter]
    e.write_epub(str(out / "sample.epub"), book)


docx()
pptx()
odf("odt")
odf("odp")
epub()
for f in sorted(out.iterdir()):
    print(f.name, f.stat().st_size)
