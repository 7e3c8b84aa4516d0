"""The two formats GeoReport v2 speaks: JSON, and XML mapped from the same data the way the
specification's Spark convention maps them (a list becomes a wrapper element holding one
element per item; null an empty element; booleans `true`/`false`)."""

import json
from typing import Any
from xml.etree import ElementTree

from fastapi.responses import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element name of one item of each list.
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ElementTree.SubElement(element, name), child)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEM_TAGS[element.tag]), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root: str, value: Any) -> str:
    element = ElementTree.Element(root)
    _fill(element, value)
    return XML_DECLARATION + ElementTree.tostring(element, encoding="unicode")


def render(
    value: Any, *, root: str, format: str, status: int = 200, headers: dict[str, Any] | None = None
) -> Response:
    """`value` as JSON, or as XML under `root` (a list's items get `root`'s item tag)."""
    if format == "xml":
        body = to_xml(root, value).encode()
    else:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type=FORMATS[format], headers=headers)


def errors(
    status: int, *descriptions: str, format: str, headers: dict[str, Any] | None = None
) -> Response:
    """The specification's error list; `code` repeats the HTTP status."""
    items = [{"code": status, "description": text} for text in descriptions]
    return render(items, root="errors", format=format, status=status, headers=headers)
