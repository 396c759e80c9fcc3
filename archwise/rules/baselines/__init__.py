"""Rules of the baselines family: one rule per module, registered on import."""
