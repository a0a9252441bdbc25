"""Pistor: a clinical system for mesotherapy practices."""

__version__ = "0.1.0"
