"""Rules of the skip family: one rule per module, registered on import."""
