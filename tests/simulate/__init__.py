"""Tests of :mod:`patalliance.simulate`.

A package, so that ``tests/simulate/test_power.py`` is imported as ``simulate.test_power`` and
does not clash with ``tests/test_power.py`` (pytest's default "prepend" import mode imports a
test file outside a package under its bare name).
"""
