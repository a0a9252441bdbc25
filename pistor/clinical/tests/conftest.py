"""Hypothesis settings for the clinical core's property tests.

No per-example deadline: nine test runs share two cores here and in CI, and a slow example
under load is not a failure of the rule being tested.
"""

from hypothesis import settings

settings.register_profile("clinical", deadline=None)
settings.load_profile("clinical")
