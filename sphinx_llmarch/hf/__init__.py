"""Hugging Face ``config.json`` files read into specs: what each model type fixes, which layer is which,
and the vision and audio towers."""
