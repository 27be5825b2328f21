# mypy: ignore-errors
"""A fake of defusedxml (installed as ``defusedxml``): the standard library's parsers, refusing entity
declarations (defusedxml's default); ``forbid_dtd=True`` refuses any DTD."""

from __future__ import annotations

import sys
import types
import xml.dom.minidom as _minidom
import xml.etree.ElementTree as _ET


class DefusedXmlException(ValueError):
    pass


class DTDForbidden(DefusedXmlException):
    pass


class EntitiesForbidden(DefusedXmlException):
    pass


class ExternalReferenceForbidden(DefusedXmlException):
    pass


class NotSupportedError(DefusedXmlException):
    pass


def _check(data, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes | bytearray) else str(data)
    if forbid_dtd and "<!DOCTYPE" in text:
        raise DTDForbidden("DTD is forbidden")
    if forbid_entities and "<!ENTITY" in text:
        raise EntitiesForbidden("entity declarations are forbidden")
    if forbid_external and "SYSTEM" in text and "<!DOCTYPE" in text:
        raise ExternalReferenceForbidden("external references are forbidden")
    return data


def _read(source):
    if hasattr(source, "read"):
        return source.read()
    with open(source, "rb") as fh:
        return fh.read()


def fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True, **kw):
    return _ET.fromstring(_check(text, forbid_dtd, forbid_entities, forbid_external))


XML = fromstring


def parse(source, parser=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    return _ET.ElementTree(fromstring(_read(source), forbid_dtd, forbid_entities, forbid_external))


def iterparse(source, events=None, parser=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    import io
    data = _check(_read(source), forbid_dtd, forbid_entities, forbid_external)
    return _ET.iterparse(io.BytesIO(data if isinstance(data, bytes) else data.encode()), events)


def _md_parse_string(text, parser=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    return _minidom.parseString(_check(text, forbid_dtd, forbid_entities, forbid_external))


def _md_parse(source, parser=None, bufsize=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    return _md_parse_string(_read(source), None, forbid_dtd, forbid_entities, forbid_external)


def _sub(name, **attrs):
    mod = types.ModuleType("defusedxml." + name)
    mod.__dict__.update(attrs)
    sys.modules[mod.__name__] = mod
    globals()[name] = mod


_common = {"DefusedXmlException": DefusedXmlException, "DTDForbidden": DTDForbidden,
           "EntitiesForbidden": EntitiesForbidden, "ExternalReferenceForbidden": ExternalReferenceForbidden,
           "NotSupportedError": NotSupportedError}
_sub("common", **_common)
_sub("ElementTree", fromstring=fromstring, XML=XML, parse=parse, iterparse=iterparse, ParseError=_ET.ParseError,
     XMLParser=_ET.XMLParser, tostring=_ET.tostring, Element=_ET.Element, SubElement=_ET.SubElement, **_common)
_sub("cElementTree", **vars(sys.modules["defusedxml.ElementTree"]))
_sub("minidom", parseString=_md_parse_string, parse=_md_parse, **_common)


def defuse_stdlib():
    return {}
