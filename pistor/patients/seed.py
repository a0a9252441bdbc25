"""Made-up patients for ``pistor seed``: varied names (accents, apostrophes, hyphens),
adult ages weighted to a mesotherapy clinic's, contacts in the formats people type, skin
types, and a few archived records. Registered as the "patients" generator."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import connection

from pistor.demo.seed import SeedContext, seed_generator
from pistor.patients.constants import Sex
from pistor.patients.models import Patient, PatientNumberSequence
from pistor.patients.search import SEARCH_COLUMN_LENGTH, digits, normalise
from pistor.patients.search_index import search_index_paused
from pistor.patients.services import format_record_number

if TYPE_CHECKING:
    from pistor.clinics.models import Clinic


def _names(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FEMALE = _names(
    "Amara Ana Anaïs Aoife Beatriz Camille Chiara Chloé Dagný Eilidh Élodie Emma Fatima "
    "Florence Freya Grace Hannah Héloïse Ines Inès Isabel Jana Joanna Józefa Kateřina Laila "
    "Lena Léa Lucía Maeve María Marie-Claire Mei Mia Niamh Noémie Olga Olivia Priya Rhiannon "
    "Rosa Saoirse Sarah Siobhán Sofía Yasmin Zoë Zofia Ayşe Małgorzata Renée Anne-Sophie"
)
MALE = _names(
    "Adam Ahmed Alexandre Andrés Bartłomiej Ciarán Dáithí David Émile Étienne François "
    "Gonzalo Hamish Ibrahim Jakub James Jean-Luc João José Jürgen Kai Lars Luca Łukasz Mateo "
    "Miguel Mohammed Niall Noah Oisín Olaf Omar Pádraig Pierre Rafael Raúl Rhys Rory "
    "Sebastián Seán Søren Tomás Yusuf Zoltán"
)
# Apostrophes, hyphens, particles and letters beyond ASCII, as registries meet them.
FAMILY = _names(
    (
        "Abbott|Acheampong|Adeyemi|Álvarez|Andersson|Bauer|Bianchi|Brennan|Byrne|Castro|Chen|"
        "Ó Súilleabháin|D'Amico|D'Arcy|da Silva|de la Cruz|Dubois|Dupont|Evans|Fernández|"
        "Fitzgerald|García|Gómez|González|Gruber|Guðmundsdóttir|Hansen|Hernández|Horváth|Hughes|"
        "Ibáñez|Ivanova|Jankowski|Jensen|Jones|Kaur|Kelly|Kowalczyk|Lefèvre|Li|López|MacDonald|"
        "McCarthy|Martín|Martínez|Mensah|Moreau|Müller|Murphy|Müller-Lüdenscheidt|N'Diaye|Nguyen|"
        "Nowak|Núñez|O'Brien|O'Connor|O'Neill|Okafor|Olsen|Papadopoulos|Patel|Pérez|Petrov|Quinn|"
        "Ramírez|Ribeiro|Rodríguez|Rossi|Sánchez|Schmidt|Schröder|Singh|Smith|Søndergaard|"
        "St. John|Suárez|Svensson|Taylor|Thompson|Van der Berg|Walsh|Williams|Wiśniewski|Wójcik|"
        "Yılmaz|Zhang|Ørsted"
    ),
    "|",
)
LANGUAGES = ("", "", "", "", "", "English", "Spanish", "French", "Polish", "Irish", "Arabic")
GPS = ("Dr A. Hughes", "Dr R. Patel", "Dr M. Ó Briain", "Dr S. Nowak", "")
_EMAIL_DOMAINS = ("example.org", "example.com", "example.net")
# Mesotherapy clients: mostly adults 25–60, some older, a few 18–24 (REFERENCE.md has no
# age data for the field; the shape only needs to exercise ages, not model a population).
_AGE_BANDS = ((18, 24, 8), (25, 39, 35), (40, 59, 42), (60, 85, 15))
_SKIN_TYPES = (1, 2, 3, 4, 5, 6)
_FITZPATRICK_WEIGHTS = (8, 22, 28, 20, 14, 8)
_BATCH = 5_000


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def _phone(rng: random.Random, n: int) -> str:
    digits = f"{n % 1_000_000:06d}"
    style = rng.randrange(4)
    if style == 0:
        return f"+44 7700 {digits}"
    if style == 1:
        return f"07700 {digits[:3]} {digits[3:]}"
    if style == 2:
        return f"+44 (0)7700-{digits}"
    return ""


# Columns the generator fills row by row; every other column takes its model default.
_VARYING = (
    "clinic",
    "record_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "preferred_language",
    "gp_name",
    "fitzpatrick_type",
    "archived_at",
    "archive_reason",
    "search_text",
    "sort_name",
    "created_at",
    "updated_at",
)


def _insert_statement() -> tuple[str, list[str], dict[str, object]]:
    """The INSERT for raw rows, the column order, and each constant column's stored value.

    Rows go in with ``executemany`` rather than ``bulk_create``: building 20,000 model
    instances and compiling their SQL costs several times the insert itself.
    """
    fields = [f for f in Patient._meta.concrete_fields if not f.primary_key]
    names = [f.name for f in fields]
    constants = {
        f.name: f.get_db_prep_save(f.get_default(), connection)
        for f in fields
        if f.name not in _VARYING
    }
    table = connection.ops.quote_name(Patient._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - model names
    return sql, names, constants


def _memo(function: Callable[[str], str]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def cached(text: str) -> str:
        if text not in cache:
            cache[text] = function(text)
        return cache[text]

    return cached


@seed_generator("patients")
def seed_patients(ctx: SeedContext) -> int:
    """Patients for every clinic, their search text exactly as the services would write it
    (``refresh_search_text``), and each clinic's record-number counter."""
    writer = _PatientWriter(ctx)
    with search_index_paused(connection):
        for index, clinic in enumerate(ctx.clinics):
            writer.write_clinic(clinic, index)
    return writer.written


class _PatientWriter:
    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.sql, self.names, self.constants = _insert_statement()
        self.norm = _memo(normalise)  # names repeat: normalise each once
        self.stamp = connection.ops.adapt_datetimefield_value(ctx.now)
        self.bands = [band[:2] for band in _AGE_BANDS]
        self.band_weights = [band[2] for band in _AGE_BANDS]
        self.written = 0

    def write_clinic(self, clinic: Clinic, index: int) -> None:
        count = self.ctx.patients_per_clinic
        batch: list[list[Any]] = []
        for n in range(1, count + 1):
            values = self.row(clinic, index, n)
            batch.append([values[name] for name in self.names])
            if len(batch) >= _BATCH:
                self.flush(batch)
        self.flush(batch)
        PatientNumberSequence.objects.create(clinic=clinic, last_number=count)
        self.ctx.patient_ids[clinic.pk] = list(
            Patient.objects.for_clinic(clinic).order_by("pk").values_list("pk", flat=True)
        )

    def flush(self, batch: list[list[Any]]) -> None:
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, batch)
            self.written += len(batch)
            batch.clear()

    def row(self, clinic: Clinic, index: int, n: int) -> dict[str, object]:
        rng, norm, ops = self.ctx.rng, self.norm, connection.ops
        female = rng.random() < 0.8
        given = rng.choice(FEMALE if female else MALE)
        family = rng.choice(FAMILY)
        if rng.random() < 0.05:  # double-barrelled
            family = f"{family}-{rng.choice(FAMILY)}"
        low, high = rng.choices(self.bands, self.band_weights)[0]
        born = self.ctx.today - dt.timedelta(days=rng.randint(low * 365 + 1, high * 365 + 364))
        email = (
            f"{_ascii(given)}.{_ascii(family)}{n}@{rng.choice(_EMAIL_DOMAINS)}"
            if rng.random() < 0.7
            else ""
        )
        archived = rng.random() < 0.02
        record_number = format_record_number(n)
        phone = _phone(rng, n * 7919 + index)
        # build_search_column([given, family, record number, email], phones=[phone]).
        words = [norm(given), norm(family), normalise(record_number)]
        if email:
            words.append(normalise(email))
        if phone:
            words.append(digits(phone))
        return {
            "clinic": clinic.pk,
            "record_number": record_number,
            "given_name": given,
            "family_name": family,
            "date_of_birth": ops.adapt_datefield_value(born),
            "sex": Sex.FEMALE if female else (Sex.MALE if rng.random() < 0.97 else Sex.OTHER),
            "phone": phone,
            "email": email,
            "preferred_language": rng.choice(LANGUAGES),
            "gp_name": rng.choice(GPS),
            "fitzpatrick_type": rng.choices(_SKIN_TYPES, _FITZPATRICK_WEIGHTS)[0],
            "archived_at": self.stamp if archived else None,
            "archive_reason": "Moved away (seeded record)." if archived else "",
            "search_text": (" " + " ".join(w for w in words if w))[:SEARCH_COLUMN_LENGTH],
            "sort_name": " ".join(w for w in (norm(family), norm(given)) if w)[:300],
            "created_at": self.stamp,
            "updated_at": self.stamp,
            **self.constants,
        }
