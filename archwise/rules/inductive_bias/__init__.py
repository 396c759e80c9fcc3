"""Rules of the inductive bias family: one rule per module, registered on import."""
