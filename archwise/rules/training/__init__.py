"""Rules of the training family: one rule per module, registered on import."""
