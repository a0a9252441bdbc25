"""What a page's HTML says about its element ids and its links, for the walks that open
every page.

An id used twice makes a label, a link to ``#id`` or a script find the wrong element. An id
named but absent leaves a screen reader with nothing to read: Django points each field with
help text at ``<id>_helptext`` and each field with errors at ``<id>_error``, so a template
that draws those itself must give them those ids.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

_LINK = re.compile(r'href="([^"#]*)')
_ID = re.compile(r'\sid="([^"]+)"')
_ID_REFERENCE = re.compile(r'\s(?:for|aria-describedby|aria-labelledby|aria-controls)="([^"]+)"')


def repeated_ids(html: str) -> list[str]:
    return sorted(name for name, count in Counter(_ID.findall(html)).items() if count > 1)


def missing_ids(html: str) -> list[str]:
    """Ids that a label or an ARIA attribute names and the page does not have."""
    present = set(_ID.findall(html))
    named = {name for names in _ID_REFERENCE.findall(html) for name in names.split()}
    return sorted(named - present)


def site_links(page_url: str, page: str) -> list[str]:
    """The addresses (path and query) this site's links on the page lead to, relative ones
    resolved against ``page_url``: the calendar's other days, the pagers and the booking
    page's free times are all ``?...``. Other sites, ``mailto:`` and ``tel:`` are left out."""
    links = []
    for href in _LINK.findall(page):
        address = urlsplit(urljoin(page_url, html.unescape(href)))
        if address.scheme or address.netloc or not address.path.startswith("/"):
            continue
        links.append(address.path + (f"?{address.query}" if address.query else ""))
    return links
