"""Pistor's settings plus the benchmark's own URLconf (never used by the product)."""

from pistor.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
