"""Rules of the patterns family: one rule per module, registered on import."""
