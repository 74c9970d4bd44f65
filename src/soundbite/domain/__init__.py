"""Pure data and rules: no I/O, and nothing else of ours is imported here."""
