"""The pieces a report is made of, whatever it is rendered to.

A :class:`Document` is a title and :class:`Section` objects; a section is a list of blocks (facts,
tables, figures, findings, text). The HTML and Markdown templates render the same blocks, so the
two formats carry the same content by construction. Blocks hold text exactly as it came from the
user or the tool: escaping is the renderer's job (jinja2's autoescape for HTML, :func:`md` for
Markdown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = ["Facts", "Table", "Figure", "Finding", "Text", "Bullets", "Heading", "Section", "Document", "Block", "md",
           "slug"]


@dataclass
class Heading:
    text: str
    level: int = 3  # a section's own title is level 2


@dataclass
class Text:
    text: str
    kind: str = "p"  # "p", "note" (small, muted) or "lead" (the section's one-line headline)


@dataclass
class Bullets:
    items: list[str]
    ordered: bool = False


@dataclass
class Facts:
    """Label → value pairs (a definition list in HTML, a two-column table in Markdown)."""

    rows: list[tuple[str, str]]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    total: list[str] | None = None  # the last row, set apart: what the rows add up to
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    row_classes: list[str] | None = None  # per row: "good", "bad", "muted", "" (HTML only)
    caption: str | None = None
    collapsed: bool = False  # in a <details> (HTML and GitHub Markdown): long tables
    summary: str | None = None  # the <details> line when collapsed


@dataclass
class Figure:
    png: bytes
    alt: str
    caption: str | None = None
    name: str = "figure"  # the file stem when Markdown saves figures beside the report


@dataclass
class Finding:
    """A finding of ``check`` or a diagnosis of ``diagnose``: one card."""

    severity: str  # error, warning, info
    title: str
    message: str
    where: str | None = None
    why: str | None = None
    evidence: list[tuple[str, str]] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    fixes_label: str = "Fixes"
    principle: str | None = None


Block = Union[Heading, Text, Bullets, Facts, Table, Figure, Finding]


@dataclass
class Section:
    kind: str  # profile, check, design, monitor, ladder
    title: str
    source: str | None  # the file it was read from
    headline: str  # one line: the overview table and the terminal summary show it
    blocks: list[Block] = field(default_factory=list)
    anchor: str = ""


@dataclass
class Document:
    title: str
    sections: list[Section]
    generated: str  # "archwise 0.1.0"
    notes: list[str] = field(default_factory=list)

    def assign_anchors(self) -> None:
        seen: dict[str, int] = {}
        for s in self.sections:
            base = slug(f"{s.kind}-{s.title}")
            seen[base] = seen.get(base, 0) + 1
            s.anchor = base if seen[base] == 1 else f"{base}-{seen[base]}"


def slug(text: str) -> str:
    """An HTML id from any text.

    Example:
        >>> slug("profile: ResNet (64×3×32×32)")
        'profile-resnet-64-3-32-32'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")  # inline markup; "(" and "!" are inert once "[" is escaped
_MD_LEADING = re.compile(r"^([#+\-=>])")  # block markup a line could start with


def md(value: Any) -> str:
    """Text for Markdown: characters Markdown or GitHub would read as markup are escaped, ``&``
    becomes an entity, and newlines become spaces (so a table cell stays one cell).

    Example:
        >>> md("a|b <script>*x*</script> & c")
        'a\\\\|b \\\\<script\\\\>\\\\*x\\\\*\\\\</script\\\\> &amp; c'
    """
    text = str(value).replace("&", "&amp;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LEADING.sub(r"\\\1", " ".join(text.splitlines()))
