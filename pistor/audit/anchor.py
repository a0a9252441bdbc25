"""The audit key and the signed checkpoints that anchor each chain outside the database.

The key (``settings.AUDIT_KEY``, from ``PISTOR_AUDIT_KEY``) never enters the database, so
someone who can only write the database cannot make a seal or a checkpoint that verifies.
Checkpoints are lines appended to a file (``settings.AUDIT_CHECKPOINT_FILE``, in the data
directory by default): each records every chain's head (position and MAC) and is signed
with the key. Deleting seals from the end of a chain, or a whole chain, leaves the chain
shorter than its latest checkpoint says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

GENESIS_MAC = "0" * 64


def audit_key() -> bytes:
    return str(settings.AUDIT_KEY).encode()


def keyed_hash(text: str) -> str:
    return hmac.new(audit_key(), text.encode(), hashlib.sha256).hexdigest()


def seal_mac(*, chain: str, position: int, event_id: int, digest: str, previous: str) -> str:
    """The seal's MAC: binds the event's content to its place in its chain."""
    return keyed_hash(f"seal|{chain}|{position}|{event_id}|{digest}|{previous}")


def _canonical(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Checkpoint:
    line: int
    written_at: str
    chains: dict[str, tuple[int, str]]  # chain key -> (position, mac)


@dataclass(frozen=True)
class CheckpointFile:
    latest: Checkpoint | None
    bad_lines: list[int]  # lines whose signature does not verify (or that do not parse)
    path: Path


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def checkpoint_write(chains: dict[str, tuple[int, str]]) -> None:
    """Append one signed checkpoint of these chain heads, durably (fsync) before returning."""
    body = {
        "v": 1,
        "written_at": dt.datetime.now(dt.UTC).isoformat(),
        "chains": {key: [position, mac] for key, (position, mac) in sorted(chains.items())},
    }
    line = _canonical({**body, "sig": keyed_hash("checkpoint|" + _canonical(body))}) + "\n"
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: concurrent sealers' lines never interleave within a line this short.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_read() -> CheckpointFile:
    """The latest checkpoint whose signature verifies, and the lines that do not."""
    path = checkpoint_path()
    latest: Checkpoint | None = None
    bad: list[int] = []
    if not path.exists():
        return CheckpointFile(None, bad, path)
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            checkpoint = _parse(text, line=number)
            if checkpoint is None:
                bad.append(number)
                continue
            latest = checkpoint
    return CheckpointFile(latest, bad, path)


def checkpoint_latest() -> Checkpoint | None:
    """The newest checkpoint that verifies, reading only the end of the file when it can."""
    path = checkpoint_path()
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))
            tail = handle.read().decode("utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    for text in reversed(tail):
        if text.strip():
            checkpoint = _parse(text, line=0)
            if checkpoint is not None:
                return checkpoint
            break
    # The last line is damaged: fall back to the newest line that verifies.
    return checkpoint_read().latest


def _parse(text: str, *, line: int) -> Checkpoint | None:
    try:
        document = json.loads(text)
        signature = document.pop("sig")
        if not hmac.compare_digest(signature, keyed_hash("checkpoint|" + _canonical(document))):
            return None
        chains = {
            str(key): (int(value[0]), str(value[1])) for key, value in document["chains"].items()
        }
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    return Checkpoint(line, str(document.get("written_at", "")), chains)
