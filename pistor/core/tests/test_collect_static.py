"""`pistor serve` and `pistor demo` collect static files only when a source file changed."""

from __future__ import annotations

import os

from django.contrib.staticfiles.finders import get_finders

from pistor import cli


def _one_static_file() -> str:
    for finder in get_finders():
        for path, storage in finder.list([]):
            return str(storage.path(path))
    raise AssertionError("no static file found")


def test_static_files_are_collected_once_until_a_source_changes(settings, tmp_path, monkeypatch):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    calls: list[str] = []
    monkeypatch.setattr(cli, "_call_command", lambda name, *a, **kw: calls.append(name))

    cli._collect_static()
    cli._collect_static()
    assert calls == ["collectstatic"]

    source = _one_static_file()
    stat = os.stat(source)
    try:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        cli._collect_static()
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert calls == ["collectstatic", "collectstatic"]
