import re, collections, html as htmllib
import pytest
from django.test import Client
from conftest import signed_in_client
from pistor.accounts.models import User
from pistor.demo.services import demo_load
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

@pytest.mark.parametrize("email", ["practitioner@harbour.example", "manager@harbour.example"])
def test_crawl(page, live_server, email):
    demo_load()
    c = signed_in_client(Client(), User.objects.get(email=email))
    key = c.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": key, "url": live_server.url}])
    problems = []
    page.on("console", lambda m: problems.append((page.url, m.type, m.text)) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append((page.url, "pageerror", str(e))))
    seen, shapes, queue = set(), collections.Counter(), collections.deque(["/"])
    n = 0
    while queue and n < 400:
        url = queue.popleft()
        shape = re.sub(r"\d+", "N", url.split("?")[0])
        if url in seen or shapes[shape] >= 2: continue
        seen.add(url); shapes[shape] += 1; n += 1
        r = page.goto(url)
        if r is None or "text/html" not in (r.headers.get("content-type") or ""): continue
        unnamed = page.evaluate("""() => Array.from(document.querySelectorAll('input,select,textarea,button')).filter(e => {
            if (e.type === 'hidden' || e.closest('[hidden]')) return false;
            const name = (e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.getAttribute('title') || (e.tagName === 'BUTTON' && e.textContent.trim()) || (e.type === 'submit' && e.value);
            return !name;
        }).map(e => e.outerHTML.slice(0, 160))""")
        for u in unnamed: problems.append((url, "unnamed", u))
        body = page.content()
        for href in re.findall(r'href="(/[^"#]*)"', body):
            href = htmllib.unescape(href)
            if re.search(r"logout|/static/|/media/|/api/|\.pdf|\.csv|\.ics", href): continue
            queue.append(href)
    print("\n", email, "pages", n)
    for p in problems: print(p)
