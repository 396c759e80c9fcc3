"""Rules of the compute family: one rule per module, registered on import."""
