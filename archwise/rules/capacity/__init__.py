"""Rules of the capacity family: one rule per module, registered on import."""
