"""The ``patalliance`` command line: a thin shell over the library."""
