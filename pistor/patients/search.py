"""Search normalisation: what a receptionist types should find the patient they mean.

Case, accents and punctuation are dropped on both sides, so "jose" finds "José",
"MARTIN" finds "Martín", "obrien" finds "O'Brien" and "07700 900 123" finds
"+44 (0)7700-900123" by its digits.

Terms of three characters or more are substring matches served by an index (a trigram
GIN index on PostgreSQL, an FTS5 trigram table on SQLite; see ``search_index``). A shorter
term matches the start of a word instead: "li" finds "Li Wei" and "Lina", not "Aline" —
what someone typing two letters of a name means. The stored column starts with a space, so
"a word starting with li" is the substring " li": three characters, served by the same index.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

_SPACES = re.compile(r"\s+")
# Anything that is neither a letter, a digit nor a space: apostrophes, hyphens, dots, "@".
_PUNCTUATION = re.compile(r"[^\w\s]|_")
#: Terms shorter than this match word starts; longer ones match anywhere (trigram index).
MIN_SUBSTRING_TERM = 3
SEARCH_COLUMN_LENGTH = 1000
_NON_DIGIT = re.compile(r"\D")
_PHONE_LIKE_DIGITS = 8
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")


def normalise(text: str) -> str:
    """Lower-case, accent-free, punctuation-free, single-spaced text ("O'Brien" -> "obrien")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _PUNCTUATION.sub("", stripped.casefold())).strip()


def name_key(given_name: str, family_name: str) -> str:
    """What two registrations of one person share: names without case, accents, punctuation
    or spaces ("Mary-Jane O'Brien" and "mary jane obrien" give the same key)."""
    return (normalise(given_name) + "|" + normalise(family_name)).replace(" ", "")


def digits(text: str) -> str:
    return _NON_DIGIT.sub("", text)


def build_search_text(parts: Iterable[str], phones: Iterable[str] = ()) -> str:
    """Normalised words, then each phone number's digits, single-spaced."""
    words = [normalise(p) for p in parts if p]
    words += [d for d in (digits(p) for p in phones if p) if d]
    return " ".join(w for w in words if w)


def build_search_column(parts: Iterable[str], phones: Iterable[str] = ()) -> str:
    """The stored search column: a space before every word (the first included), so a
    word start is a substring the trigram index can serve (see the module docstring)."""
    return (" " + build_search_text(parts, phones))[:SEARCH_COLUMN_LENGTH]


def parse_date(token: str) -> dt.date | None:
    """A date typed as ISO ("1985-03-02") or UK day-first ("02/03/1985"), else None."""
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(token, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def split_query(query: str) -> tuple[list[str], list[dt.date]]:
    """Split a search into normalised text terms and dates of birth."""
    terms: list[str] = []
    dates: list[dt.date] = []
    for raw in query.split():
        when = parse_date(raw)
        if when is not None:
            dates.append(when)
            continue
        term = normalise(raw)
        if not term:
            continue
        # A term that is only phone punctuation plus digits ("(0)7700-900") matches digits.
        if term.replace(" ", "").isdigit():
            term = digits(term)
            # A national number ("07700 900123") should find one stored in international
            # form ("+44 7700 900123"): drop the trunk zero and match the rest.
            if len(term) >= _PHONE_LIKE_DIGITS and term.startswith("0"):
                term = term.lstrip("0")
        if term:
            terms.append(term)
    return terms, dates
