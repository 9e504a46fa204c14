"""An IMS QTI 1.2 package (a zip) that Canvas imports as a quiz.

Canvas grades a number only in its ``numerical_question`` type, one answer per item, so a
problem becomes one item per number to give (the same blanks as the Moodle cloze):
the problem's first item carries the statement and the point, the next ones name their
entry, and the first also carries the worked solution as general feedback.  Each item
accepts ``key ± tolerance`` (``vargte``/``varlte``) as Canvas's own exports do.

The zip holds ``imsmanifest.xml`` (one ``imsqti_xmlv1p2`` resource) and the assessment,
``<id>/<id>.xml``.  Identifiers are derived from the problems' uuids, so exporting the same
problems again gives the same package, byte for byte.
"""

from __future__ import annotations

import hashlib
import html
import io
import xml.etree.ElementTree as ET
import zipfile

from derivgen.export.common import (Exported, math_html, prose_html, question_intro_html,
                                    solution_html)
from derivgen.export.question import decimal_text

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: A fixed time for the zip entries: the same problems give the same bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def qti_package(problems: list[Exported], title: str = "derivgen problems") -> bytes:
    """The zip, as bytes."""
    ident = "g" + hashlib.sha256("".join(ex.uuid + str(ex.variant) for ex in problems)
                                 .encode()).hexdigest()[:24]
    files = {"imsmanifest.xml": manifest_xml(ident, title),
             f"{ident}/{ident}.xml": assessment_xml(problems, ident, title)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def manifest_xml(ident: str, title: str) -> bytes:
    manifest = ET.Element("manifest", {
        "identifier": f"{ident}_manifest", "xmlns": CP_NS, "xmlns:xsi": XSI_NS,
        "xsi:schemaLocation": f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"})
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    resource = ET.SubElement(resources, "resource", identifier=ident, type="imsqti_xmlv1p2",
                             href=f"{ident}/{ident}.xml")
    ET.SubElement(resource, "file", href=f"{ident}/{ident}.xml")
    return _xml(manifest)


def assessment_xml(problems: list[Exported], ident: str, title: str) -> bytes:
    root = ET.Element("questestinterop", {
        "xmlns": QTI_NS, "xmlns:xsi": XSI_NS,
        "xsi:schemaLocation": f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"})
    assessment = ET.SubElement(root, "assessment", ident=ident, title=title)
    _metadata(assessment, {"cc_maxattempts": "1"})
    section = ET.SubElement(assessment, "section", ident="root_section")
    for number, ex in enumerate(problems, start=1):
        for item in problem_items(ex, number):
            section.append(item)
    return _xml(root)


def problem_items(ex: Exported, number: int) -> list[ET.Element]:
    """One ``numerical_question`` item per blank of the problem's question."""
    items = []
    name = ex.title if ex.variant is None else f"{ex.title} (variant {ex.variant})"
    base = ex.uuid.replace("-", "")[:20] + ("" if ex.variant is None else f"v{ex.variant}")
    for part in ex.question.parts:
        for blank in part.blanks:
            k = len(items) + 1
            first = k == 1
            text = [question_intro_html(ex)] if first else \
                [f"<p>Problem {number} ({html.escape(name)}), continued.</p>"]
            if part.prompt:
                text.append(f"<p>{prose_html(part.prompt)}</p>")
            if part.shown:
                text.append(f"<p>{math_html(part.shown, display=True)}</p>")
            text.append(f"<p>{math_html(part.lhs)}: give the {html.escape(blank.label)}.</p>")
            items.append(_item(f"i{base}_{k}", f"{name}: {blank.label}", "\n".join(text),
                               blank, solution_html(ex) if first else None))
    return items


def _item(ident, title, text_html, blank, feedback_html) -> ET.Element:
    item = ET.Element("item", ident=ident, title=title)
    meta = ET.SubElement(item, "itemmetadata")
    _metadata(meta, {"question_type": "numerical_question", "points_possible": "1.0",
                     "original_answer_ids": f"{ident}_a",
                     "assessment_question_identifierref": f"{ident}_q"})
    presentation = ET.SubElement(item, "presentation")
    _material(presentation, text_html)
    response = ET.SubElement(presentation, "response_str", ident="response1",
                             rcardinality="Single")
    fib = ET.SubElement(response, "render_fib", fibtype="Decimal")
    ET.SubElement(fib, "response_label", ident="answer1")

    processing = ET.SubElement(item, "resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE",
                  vartype="Decimal")
    if feedback_html is not None:
        show = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
        ET.SubElement(ET.SubElement(show, "conditionvar"), "other")
        ET.SubElement(show, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    right = ET.SubElement(processing, "respcondition", {"continue": "No"})
    condition = ET.SubElement(right, "conditionvar")
    either = ET.SubElement(condition, "or")
    ET.SubElement(either, "varequal", respident="response1").text = blank.key_text
    both = ET.SubElement(either, "and")
    ET.SubElement(both, "vargte", respident="response1").text = _bound(blank.low)
    ET.SubElement(both, "varlte", respident="response1").text = _bound(blank.high)
    ET.SubElement(right, "setvar", action="Set", varname="SCORE").text = "100"
    if feedback_html is not None:
        feedback = ET.SubElement(item, "itemfeedback", ident="general_fb")
        _material(ET.SubElement(feedback, "flow_mat"), feedback_html)
    return item


def _bound(value: float) -> str:
    return decimal_text(round(value, 12))


def _material(parent, text_html: str) -> None:
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", texttype="text/html").text = text_html


def _metadata(parent, fields: dict) -> None:
    meta = ET.SubElement(parent, "qtimetadata")
    for label, entry in fields.items():
        field = ET.SubElement(meta, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry
