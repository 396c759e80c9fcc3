"""Rules of the depth width family: one rule per module, registered on import."""
