"""Loads the fuzz suite's Hypothesis profile (profiles.py)."""

from tests.fuzz.profiles import load

load()
