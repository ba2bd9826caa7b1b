"""Versioned messages shared by the goodreads-stats services.

Every struct that crosses a service boundary lives here, with an explicit, stable tag.
This package depends on nothing but msgspec (enforced by Pants visibility rules).
"""
