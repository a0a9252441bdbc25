"""Every link the demo shows each of its staff leads somewhere that opens, and every page
it opens names each of its elements once and names no element it lacks
(``pistor.testing.markup``).

Starting from the home page, each demo account follows every link on every page it can
reach, as a person clicking through would. A page that fails (5xx), a link to nothing
(404) or to a page the person may not open (403), and a bounce back to sign-in are each a
fault the route walk cannot see: it opens each kind of page once, on objects it made
itself, while these pages show the demo's own records at every stage of the pathway
(an audit event naming a kind of record but no single one broke its page this way).
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.test import Client

from conftest import signed_in_client
from pistor.accounts.models import User
from pistor.demo.data import STAFF
from pistor.demo.services import demo_load
from pistor.testing.markup import missing_ids, repeated_ids, site_links

pytestmark = pytest.mark.django_db

# Signing out ends the walk; files and the API are served, not browsed.
_NOT_FOLLOWED = re.compile(r"/accounts/logout/|^/static/|^/media/|^/api/")
# Pages that differ only in their query string (a filter, a page number) are one page
# opened a few ways; more would only repeat it.
_QUERY_VARIANTS = 3
_MOST_PAGES = 2000


def _walk(client: Client) -> tuple[int, list[str]]:
    """(pages opened, faults) of a walk from the home page by every link."""
    seen: set[str] = set()
    variants: dict[str, int] = {}
    queue = deque(["/"])
    faults: list[str] = []
    while queue and len(seen) < _MOST_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        path = urlsplit(url).path
        if "?" in url:
            if variants.get(path, 0) >= _QUERY_VARIANTS:
                continue
            variants[path] = variants.get(path, 0) + 1
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            target = response.headers["Location"]
            if target.startswith("/accounts/login/"):
                faults.append(f"{url}: sent back to sign in")
            elif target.startswith("/"):
                queue.append(target)
            continue
        if response.status_code != 200:
            faults.append(f"{url}: {response.status_code}")
            continue
        if response.streaming or "text/html" not in response.headers.get("Content-Type", ""):
            continue
        body = response.content.decode(errors="replace")
        repeated = repeated_ids(body)
        if repeated:
            faults.append(f"{url}: ids used more than once: {', '.join(repeated)}")
        missing = missing_ids(body)
        if missing:
            faults.append(f"{url}: ids named but absent: {', '.join(missing)}")
        for link in site_links(url, body):
            if link not in seen and not _NOT_FOLLOWED.search(link):
                queue.append(link)
    return len(seen), faults


@pytest.mark.parametrize("email", [email for email, *_ in STAFF])
def test_every_link_each_demo_staff_member_sees_opens(email):
    demo_load()
    client = signed_in_client(Client(raise_request_exception=False), User.objects.get(email=email))
    opened, faults = _walk(client)
    # Every role's pages link to records: a walk this short never got past the home page.
    assert opened > 100, opened
    assert faults == [], "\n".join(faults)
