"""Escaping text for XML and HTML (SVG, the page, notebooks).

What ``xml.sax.saxutils`` does, without its import of ``urllib.request`` (and through it
``email``, ``socket`` and ``ssl``: about 18 ms of every ``draw``'s start-up).
"""

from __future__ import annotations

_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def escape(text: str) -> str:
    """Text for an element's content: ``&``, ``<`` and ``>`` as entities."""
    return text.translate(_TEXT)


def quoteattr(text: str) -> str:
    """An attribute's value in double quotes, every character that could end it escaped."""
    return '"' + text.translate(_ATTRIBUTE) + '"'
