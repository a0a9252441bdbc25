import pytest

from pistor.clinics.models import Clinic
from pistor.testing.factories import ClinicFactory
from pistor.testing.queries import QueryCapExceeded, assert_query_cap


def _grow(n: int) -> None:
    ClinicFactory.create_batch(n)


@pytest.mark.django_db
def test_a_constant_query_passes_at_both_sizes():
    counts = assert_query_cap(lambda: list(Clinic.objects.all()), grow=_grow, sizes=(2, 6), cap=1)
    assert counts == [1, 1]


@pytest.mark.django_db
def test_a_query_per_row_fails_even_under_the_cap():
    def per_row() -> None:
        for clinic in Clinic.objects.all():
            Clinic.objects.filter(pk=clinic.pk).exists()

    with pytest.raises(QueryCapExceeded, match="changes with the data"):
        assert_query_cap(per_row, grow=_grow, sizes=(1, 3), cap=50)


@pytest.mark.django_db
def test_over_the_cap_lists_the_statements():
    with pytest.raises(QueryCapExceeded, match="2 queries at size 1, cap is 1"):
        assert_query_cap(
            lambda: (Clinic.objects.count(), Clinic.objects.count()), grow=_grow, sizes=(1,), cap=1
        )
