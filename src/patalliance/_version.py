"""The version of patalliance: the same string as ``version`` in pyproject.toml.

A literal rather than a lookup in the installed package's metadata, which would cost the
command line's start-up tens of milliseconds; ``tests/test_startup.py`` checks that the two
agree.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
