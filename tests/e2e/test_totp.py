"""The journeys' own authenticator is right: RFC 6238's published values."""

from tests.e2e.totp import totp


def test_matches_the_rfc_6238_reference_values():
    # RFC 6238 appendix B, SHA-1, eight digits.
    key = b"12345678901234567890"
    assert totp(key, at=59, digits=8) == "94287082"
    assert totp(key, at=1111111109, digits=8) == "07081804"
    assert totp(key, at=2000000000, digits=8) == "69279037"
