"""``archwise design --emit model.py``: the recommended model as one standalone Python file.

The zoo's model files keep everything that defines a model above a ``# ---- builders`` line and
import only torch (or torch_geometric) there. Emitting copies those parts of the files the model
uses, gathers their imports at the top, and ends with ``build_model()`` that constructs the model
from its config, written out in full. The file imports nothing from archwise.
"""

from __future__ import annotations

import ast
import inspect
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .recommend import Recommendation

__all__ = ["emit", "MARKER"]

MARKER = "# ---- builders (registered; not emitted) ----"
_ZOO = __name__.rsplit(".", 1)[0] + ".zoo"


def _model_part(module_name: str) -> tuple[list[str], str]:
    """(import lines, the code between the imports and the builders) of one zoo file."""
    source = inspect.getsource(sys.modules[module_name])
    if MARKER not in source:
        raise RuntimeError(f"{module_name} has no '{MARKER}' line: the emitter cannot tell its model part")
    part = source.split(MARKER)[0]
    tree = ast.parse(part)
    lines = part.splitlines()
    drop: set[int] = set()
    imports: list[str] = []
    for node in tree.body:
        is_doc = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(part, node) or "")
        elif not (is_doc and node is tree.body[0]):
            continue
        drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    body = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")
    return imports, body


def emit(rec: Recommendation) -> str:
    """The standalone source for ``rec``'s model: same parameters, same outputs for the same weights.

    Example:
        >>> from archwise import ProblemSpec, design
        >>> code = design(ProblemSpec("tabular", input=8, samples=300, outputs=2)).emit()
        >>> "def build_model()" in code, [line for line in code.splitlines() if "import archwise" in line]
        (True, [])
    """
    model = rec.build(device="meta")
    used = []
    for m in model.modules():
        name = type(m).__module__
        if name.startswith(_ZOO) and name not in used:
            used.append(name)
    top = type(model)
    # The top model's file last, so the classes it uses are defined before it.
    used.sort(key=lambda n: n == top.__module__)
    imports: list[str] = ["import torch", "import torch.nn as nn"]
    bodies = []
    for name in used:
        found, body = _model_part(name)
        imports += [i for i in found if i not in imports]
        bodies.append(body)
    cfg = getattr(model, "cfg", None)
    if cfg is None:
        raise RuntimeError(f"{top.__name__} keeps no .cfg: zoo models take one config dataclass")
    spec = rec.spec
    header = (
        f'"""{rec.architecture}: {rec.params:,} parameters.\n\n'
        f"Written by archwise design for: {_spec_text(rec)}.\n"
        f"Inputs of one forward at batch 1: {', '.join(map(str, rec.inputs(1)))}.\n"
        "Standalone: needs only torch" + (" and torch_geometric" if spec.kind.value == "graph" else "") + ".\n"
        '"""'
    )
    future = [i for i in imports if i.startswith("from __future__")]
    rest = sorted((i for i in imports if i not in future), key=lambda i: (not i.startswith("import"), i))
    footer = (
        "def build_model() -> nn.Module:\n"
        f'    """{rec.architecture}, with fresh weights."""\n'
        f"    return {top.__name__}({cfg!r})\n\n\n"
        'if __name__ == "__main__":\n'
        "    model = build_model()\n"
        '    print(f"{sum(p.numel() for p in model.parameters()):,} parameters")\n'
    )
    return "\n".join([header, "", *future, *rest, "", "", "\n\n\n".join(bodies), "", "", footer])


def _spec_text(rec: Recommendation) -> str:
    d = rec.spec.to_dict()
    return ", ".join(f"{k}={v if not isinstance(v, list) else 'x'.join(map(str, v))}" for k, v in d.items()
                     if v is not None)

