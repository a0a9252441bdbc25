"""The text-message backends: the interface, console, file and memory."""

from __future__ import annotations

import pytest

from pistor.core.errors import ValidationFailed
from pistor.messaging import sms


def test_every_backend_implements_the_interface():
    for backend in (sms.ConsoleSmsBackend(), sms.FileSmsBackend("unused"), sms.MemorySmsBackend()):
        assert isinstance(backend, sms.SmsBackend)


def test_the_console_backend_prints_the_message(capsys):
    message_id = sms.ConsoleSmsBackend().send(to="+44 7700 900123", text="See you at 10:00.")
    out = capsys.readouterr().out
    assert message_id.startswith("console-") and message_id in out
    assert "+447700900123" in out and "See you at 10:00." in out


def test_the_file_backend_writes_one_private_file_per_message(tmp_path, settings):
    settings.SMS_FILE_PATH = tmp_path / "sms"
    backend = sms.FileSmsBackend()
    first = backend.send(to="07700 900123", text="One")
    second = backend.send(to="07700 900123", text="Two")
    files = sorted((tmp_path / "sms").iterdir())
    assert [f.stem for f in files] == sorted([first, second])
    assert {f.read_text() for f in files} == {
        "To: 07700900123\n\nOne\n",
        "To: 07700900123\n\nTwo\n",
    }
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}


def test_the_setting_chooses_the_backend(settings):
    settings.SMS_BACKEND = "pistor.messaging.sms.FileSmsBackend"
    assert isinstance(sms.sms_backend(), sms.FileSmsBackend)
    settings.SMS_BACKEND = "pistor.core.errors.NotFound"
    with pytest.raises(TypeError):
        sms.sms_backend()


@pytest.mark.parametrize(
    ("to", "text", "field"),
    [
        ("not a number", "Hello", "to"),
        ("123", "Hello", "to"),
        ("+44 7700 900123", "   ", "text"),
        ("+44 7700 900123", "x" * (sms.MAX_SMS_CHARS + 1), "text"),
    ],
)
def test_bad_numbers_and_texts_are_refused_with_a_message(to, text, field):
    sms.outbox.clear()
    with pytest.raises(ValidationFailed) as refused:
        sms.MemorySmsBackend().send(to=to, text=text)
    assert field in refused.value.extra["fields"]
    assert sms.outbox == []
