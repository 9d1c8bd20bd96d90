"""The trust boundary: one way to put untrusted text into each output language.

Names, summaries, families and links come from spec files, config.json files and
conf.py, any of which may be hostile. Everything the extension writes itself (not
through docutils nodes, which the builders escape) goes through one function here:
generated reST, html attributes and text, SVG, DOT labels. Links are made only from
http(s) addresses, and those are percent-encoded so that no quote or bracket can end
the attribute they are written into.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

#: Characters a web address keeps as they are besides letters and digits: RFC 3986's
#: unreserved and reserved ones but the apostrophe (it would end a single-quoted
#: attribute), and the percent sign of an existing escape. Anything else is encoded.
_URL_SAFE = "-._~:/?#[]@!$&()*+,;=%"
_WEB = re.compile(r"https?://[^/?#\s]+", re.IGNORECASE)


def web_url(text: str) -> str | None:
    """``text`` as a link target if it is an http(s) address, else None.

    A ``javascript:`` or relative address never becomes a link. Quotes, angle
    brackets, backslashes, spaces and non-ASCII characters are percent-encoded, so
    the address is inert in html, SVG and DOT attributes alike.
    """
    text = text.strip()
    if not _WEB.match(text):
        return None
    try:
        host = urlsplit(text).hostname
    except ValueError:  # a malformed host ("http://[x") is no address
        return None
    if not host:
        return None
    return quote(text, safe=_URL_SAFE)


#: Characters XML 1.0 does not allow at all (C0 controls but tab and newlines, lone
#: surrogates, U+FFFE and U+FFFF): one of them makes an EPUB page unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def html_text(text: str) -> str:
    """Text for html or SVG element content and (double- or single-quoted) attributes;
    characters XML cannot hold are dropped."""
    return html.escape(NOT_XML.sub("", text), quote=True)


def dot_html_text(text: str) -> str:
    """Text inside a Graphviz HTML-like label: escaped as for html, and with backslashes
    doubled, since Graphviz expands ``\\N`` (the node's name), ``\\G`` and the like even there
    (an entity such as ``&#92;`` is decoded first and expanded all the same)."""
    return html_text(text).replace("\\", "\\\\")


#: Every ASCII character that reST can read as markup; each is backslash-escaped.
_RST_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def rst_text(text: str) -> str:
    """One line of generated reST that reads back as exactly ``text`` (whitespace folded).

    Every ASCII punctuation character is backslash-escaped, so no role, link, target,
    substitution, directive, list, field or title adornment can start; newlines and
    runs of spaces become one space, so nothing can begin a new block.
    """
    return _RST_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def rst_title(text: str, underline: str) -> str:
    """A reST section title for ``text`` with its underline."""
    from docutils.utils import column_width  # wide (CJK) characters take two columns

    line = rst_text(text) or rst_text("(untitled)")
    return f"{line}\n{underline * max(len(line), column_width(line))}\n"
