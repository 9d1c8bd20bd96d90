"""Spec files: reading TOML with located errors, extends, the explicit and uniform forms, the schema,
the writer, every problem of a spec, and the registry of known models."""
