"""The book processor: enriches the books of the task queue and records each result once."""

__version__ = "1.0.0"
