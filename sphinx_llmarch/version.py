"""The package version, in a module of its own so that any module can read it without
importing the package's entry point (and through it the Sphinx glue)."""

__version__ = "0.1.0"
