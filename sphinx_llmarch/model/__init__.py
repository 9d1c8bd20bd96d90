"""The immutable model every room reads: an architecture, its layer kinds and schedule, its towers."""
