"""Renderers: results in, text out. Nothing here computes a figure."""

from .terminal import human, print_profile, render_profile

__all__ = ["render_profile", "print_profile", "human"]
