#!/usr/bin/env python3
"""Every command in the README runs as written: extract the README's examples, run them, compare.

Usage (from anywhere; commands run in the repository root)::

    python scripts/readme_commands.py              # check: run every example, compare, exit 1 on a failure
    python scripts/readme_commands.py --update     # run every example, rewrite the shown outputs in README.md
    python scripts/readme_commands.py --list       # the extracted examples with their line numbers
    python scripts/readme_commands.py --only 'archwise zoo'

Conventions (what is extracted from the Markdown):

* Fenced code blocks (``` or ~~~, three or more) whose info string is empty or one of ``console``,
  ``bash``, ``sh``, ``shell``, ``shell-session`` are shell examples. In them a line starting with
  ``$ `` starts a command; a command line ending in a backslash continues onto the next line (bash
  reads the lines exactly as written: they are passed to ``bash -c`` unchanged). The lines after a
  command, up to the next ``$ `` line or the end of the block, are its shown output. Lines before the
  first ``$ `` line are ignored, so a block without ``$ `` lines (a usage synopsis, a file tree) runs
  nothing. A command whose last line ends in a bash comment ``# exit N`` is expected to exit with
  status N; any other command with status 0.
* Fenced blocks whose info string is ``python``, ``py`` or ``python3`` are run as scripts with the
  virtualenv's Python (from a temporary file, with the working directory on ``PYTHONPATH`` as for a
  script saved there); a block whose first non-blank line starts with ``>>>`` (or info string
  ``pycon``) is run as a doctest instead (flags ELLIPSIS and NORMALIZE_WHITESPACE). Expected status
  0; the output of a Python block is not compared and ``--update`` does not rewrite it.
* A block whose previous non-blank line is ``<!-- no-run -->`` is skipped. Blocks with any other info
  string (``toml``, ``json``, ``text``, ``yaml``...) and indented (non-fenced) code blocks are never run.

Running: every example, in document order, in one working directory (the repository root), with
``bash -c``; environment: ``PATH`` with ``<repo>/.venv/bin`` first, ``COLUMNS=110``, ``TERM=dumb``,
``NO_COLOR=1``, ``PYTHONHASHSEED=0``, ``PYTHONUNBUFFERED=1`` (so stdout and stderr interleave as
written); stdout and stderr captured together; ANSI escapes stripped.

Checking: the exit status must be the expected one, and every shown output line that contains no
digit, with runs of whitespace collapsed and the ends stripped, must appear (collapsed the same
way) as a line of the real output, in the same order (a subsequence). Lines with a digit (timings,
measured numbers) and blank lines are not compared.

Updating: each shell command's shown output is replaced with its real output (trailing whitespace
stripped on each line, trailing blank lines dropped); the ``$ `` lines stay exactly as written. A
command whose exit status is not the expected one keeps its old output and is reported as failed.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Item", "Result", "parse_readme", "compare_output", "run_item", "run_items", "check", "update_text",
    "strip_ansi", "main",
]

REPO = Path(__file__).resolve().parents[1]
SHELL_INFOS = {"", "console", "bash", "sh", "shell", "shell-session", "shellsession", "zsh"}
PYTHON_INFOS = {"python", "py", "python3"}
DOCTEST_INFOS = {"pycon"}
NO_RUN = "<!-- no-run -->"
EXIT_RE = re.compile(r"\s#\s*exit\s+(\d+)\s*$")
FENCE_RE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
DIGIT_RE = re.compile(r"\d")


@dataclass
class Item:
    """One runnable example of the README.

    ``kind`` is ``shell``, ``python`` or ``doctest``. ``line`` is 1-based: the ``$ `` line of a shell
    command, the first line inside the fence of a Python block. ``source`` is what runs (a shell
    command's lines as written, continuations included, without the ``$ ``; a Python block's code).
    ``shown`` is a shell command's shown output, ``span`` the 0-based [start, end) line range of it in
    the README (where ``--update`` writes), ``indent`` the fence's indentation.
    """

    kind: str
    line: int
    source: str
    expected_status: int = 0
    shown: list[str] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)
    indent: str = ""

    @property
    def command(self) -> str:
        """A shell command as bash reads it (backslash-newline continuations joined); a Python block's code."""
        if self.kind != "shell":
            return self.source
        return re.sub(r"\\\n", "", self.source)

    @property
    def label(self) -> str:
        """One line for listings: the joined command, or the Python block's first line."""
        if self.kind == "shell":
            return " ".join(self.command.split())
        lines = [ln for ln in self.source.splitlines() if ln.strip()]
        first = lines[0].strip() if lines else ""
        extra = f" (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
        return f"{self.kind}: {first}{extra}"


@dataclass
class Result:
    """What running one item gave, and whether it matched the README."""

    item: Item
    status: int | None          # None: timed out
    output: str
    seconds: float
    missing: str | None = None  # the first shown line not found in the output
    error: str | None = None    # why it failed, in words

    @property
    def ok(self) -> bool:
        return self.error is None


class UsageError(Exception):
    pass


# --- parsing -------------------------------------------------------------------------------------


def _info_word(info: str) -> str:
    info = info.strip().lstrip("{").strip()
    word = info.split()[0] if info.split() else ""
    return word.lstrip(".").rstrip("}").lower()


def _dedent(line: str, indent: int) -> str:
    """Remove up to ``indent`` leading spaces (CommonMark: a fence's indentation is removed from its lines)."""
    n = len(line) - len(line.lstrip(" "))
    return line[min(n, indent):]


def _blocks(lines: list[str]):
    """Fenced blocks: (info word, opening line index, content start, content end, indent, no_run)."""
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            i += 1
            continue
        fence, indent = m.group("fence"), len(m.group("indent"))
        prev = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        j = i + 1
        close = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        yield _info_word(m.group("info")), i, i + 1, j, indent, prev == NO_RUN
        i = j + 1


def _shell_items(lines: list[str], start: int, end: int, indent: int) -> list[Item]:
    items: list[Item] = []
    body = [_dedent(ln, indent) for ln in lines[start:end]]
    k = 0
    current: Item | None = None
    while k < len(body):
        ln = body[k]
        if ln.startswith("$ ") or ln.rstrip() == "$":
            first = k
            parts = [ln[2:] if ln.startswith("$ ") else ""]
            while parts[-1].endswith("\\") and k + 1 < len(body):
                k += 1
                parts.append(body[k])
            source = "\n".join(parts).rstrip()
            if current is not None:
                current.span = (current.span[0], start + first)
            joined = re.sub(r"\\\n", "", source)
            m = EXIT_RE.search(joined.splitlines()[-1] if joined else "")
            current = Item("shell", start + first + 1, source, int(m.group(1)) if m else 0,
                           span=(start + k + 1, end), indent=" " * indent)
            if source.strip():
                items.append(current)
            else:
                current = None
        elif current is not None:
            current.shown.append(ln)
        k += 1
    return items


def parse_readme(text: str) -> list[Item]:
    """The README's runnable examples, in document order (see the module docstring for the rules)."""
    lines = text.split("\n")
    items: list[Item] = []
    for info, _open, start, end, indent, no_run in _blocks(lines):
        if no_run:
            continue
        if info in SHELL_INFOS:
            items.extend(_shell_items(lines, start, end, indent))
        elif info in PYTHON_INFOS or info in DOCTEST_INFOS:
            code = "\n".join(_dedent(ln, indent) for ln in lines[start:end])
            if not code.strip():
                continue
            first = next(ln for ln in code.splitlines() if ln.strip())
            kind = "doctest" if info in DOCTEST_INFOS or first.lstrip().startswith(">>>") else "python"
            items.append(Item(kind, start + 1, code + "\n", indent=" " * indent))
    return items


# --- comparing -----------------------------------------------------------------------------------


def strip_ansi(text: str) -> str:
    return ANSI_RE.sub("", text)


def _collapse(line: str) -> str:
    return " ".join(line.split())


def compare_output(shown: list[str], real: str) -> str | None:
    """The first shown line (digit-free, non-blank) missing from ``real`` in order; None when all are there."""
    real_lines = [_collapse(ln) for ln in strip_ansi(real).splitlines()]
    pos = 0
    for line in shown:
        want = _collapse(line)
        if not want or DIGIT_RE.search(want):
            continue
        try:
            pos = real_lines.index(want, pos) + 1
        except ValueError:
            return line.strip()
    return None


# --- running -------------------------------------------------------------------------------------


def make_env(venv_bin: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS"):
        env.pop(name, None)
    venv_bin = venv_bin if venv_bin is not None else REPO / ".venv" / "bin"
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env.update(COLUMNS="110", TERM="dumb", NO_COLOR="1", PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")
    return env


def _python(venv_bin: Path | None) -> str:
    exe = (venv_bin if venv_bin is not None else REPO / ".venv" / "bin") / "python"
    return str(exe) if exe.exists() else sys.executable


_DOCTEST_RUNNER = """\
import doctest, sys
text = open(sys.argv[1], encoding="utf-8").read()
test = doctest.DocTestParser().get_doctest(text, {"__name__": "__main__"}, sys.argv[2], sys.argv[3], int(sys.argv[4]))
runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
runner.run(test)
sys.exit(1 if runner.failures else 0)
"""


def run_item(item: Item, cwd: Path, timeout: float, env: dict[str, str], readme_name: str = "README.md",
             venv_bin: Path | None = None) -> tuple[int | None, str, float]:
    """Run one item: (exit status or None on timeout, stdout+stderr, seconds)."""
    with tempfile.TemporaryDirectory(prefix="readme_commands_") as tmp:
        if item.kind == "shell":
            argv = ["bash", "-c", item.source]
        else:
            script = Path(tmp) / f"readme_line_{item.line}.py"
            script.write_text(item.source, encoding="utf-8")
            if item.kind == "python":
                argv = [_python(venv_bin), str(script)]
            else:
                runner = Path(tmp) / "run_doctest.py"
                runner.write_text(_DOCTEST_RUNNER, encoding="utf-8")
                # doctest's lineno is 0-based: the block's first line is item.line - 1
                argv = [_python(venv_bin), str(runner), str(script), f"{readme_name}:{item.line}",
                        readme_name, str(item.line - 1)]
            # as if the block were a script saved in the working directory: its imports see that directory
            env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(cwd), env.get("PYTHONPATH")]))}
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
            status: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, _ = proc.communicate()
            status = None
        seconds = time.perf_counter() - start
    return status, strip_ansi(out.decode("utf-8", errors="replace")), seconds


def judge(item: Item, status: int | None, output: str, seconds: float, timeout: float,
          compare: bool = True) -> Result:
    res = Result(item, status, output, seconds)
    if status is None:
        res.error = f"timed out after {timeout:g} s"
    elif status != item.expected_status:
        res.error = f"exit status: expected {item.expected_status}, found {status}"
    elif compare and item.kind == "shell":
        res.missing = compare_output(item.shown, output)
        if res.missing is not None:
            res.error = f"first missing line (shown, not in the real output in order): {res.missing}"
    return res


def _tail(text: str, n: int = 15) -> str:
    lines = text.rstrip("\n").splitlines()
    return "\n".join(lines[-n:])


def report_line(res: Result, readme_name: str, width: int = 110) -> str:
    head = f"{'ok' if res.ok else 'FAIL':<4} {res.seconds:5.1f}s  {readme_name}:{res.item.line}  "
    label = res.item.label
    if len(head) + len(label) > width:
        label = label[: max(20, width - len(head) - 1)] + "…"
    return head + label


def failure_details(res: Result) -> str:
    """The lines under a FAIL line: why, the command (or block) as run, and the tail of the real output."""
    item = res.item
    out = [f"     {res.error}"]
    out.append(f"     {'command' if item.kind == 'shell' else item.kind + ' block'}:")
    out += ["       " + ln for ln in (item.command if item.kind == "shell" else item.source.rstrip()).splitlines()]
    tail = _tail(res.output)
    out.append("     real output (tail):" if tail else "     real output: (none)")
    out += ["       | " + ln for ln in tail.splitlines()]
    return "\n".join(out)


def run_items(items: list[Item], cwd: Path, timeout: float = 300, readme_name: str = "README.md",
              compare: bool = True, stream=None, venv_bin: Path | None = None) -> list[Result]:
    """Run the items in order, printing one line per item (and the details of a failure) to ``stream``."""
    env = make_env(venv_bin)
    results = []
    for item in items:
        status, output, seconds = run_item(item, cwd, timeout, env, readme_name, venv_bin)
        res = judge(item, status, output, seconds, timeout, compare)
        results.append(res)
        if stream is not None:
            print(report_line(res, readme_name), file=stream, flush=True)
            if not res.ok:
                print(failure_details(res), file=stream, flush=True)
    return results


def summary(results: list[Result], seconds: float) -> str:
    n_shell = sum(r.item.kind == "shell" for r in results)
    n_py = len(results) - n_shell
    failed = [r for r in results if not r.ok]
    head = f"{n_shell} command{'s' * (n_shell != 1)}, {n_py} python block{'s' * (n_py != 1)}"
    if not failed:
        return f"{head}: all ran as written ({seconds:.1f} s)"
    return f"{head}: {len(failed)} failed ({seconds:.1f} s)"


def check(text: str, cwd: Path, timeout: float = 300, readme_name: str = "README.md", only: str | None = None,
          stream=None, venv_bin: Path | None = None) -> list[Result]:
    items = select(parse_readme(text), only)
    return run_items(items, cwd, timeout, readme_name, True, stream, venv_bin)


def select(items: list[Item], only: str | None) -> list[Item]:
    if only is None:
        return items
    chosen = [it for it in items if only in it.command]
    if not chosen:
        raise UsageError(f"--only {only!r} matches none of the {len(items)} examples")
    return chosen


def format_output(output: str, indent: str = "") -> list[str]:
    """Real output as README lines: ANSI stripped, trailing whitespace and trailing blank lines dropped."""
    lines = [ln.rstrip() for ln in strip_ansi(output).replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return [(indent + ln) if ln else "" for ln in lines]


def update_text(text: str, results: list[Result]) -> str:
    """``text`` with the shown output of each successful shell command replaced by its real output."""
    lines = text.split("\n")
    for res in sorted(results, key=lambda r: r.item.span[0], reverse=True):
        item = res.item
        if item.kind != "shell" or res.status != item.expected_status:
            continue
        a, b = item.span
        lines[a:b] = format_output(res.output, item.indent)
    return "\n".join(lines)


# --- command line --------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="readme_commands.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--readme", type=Path, default=REPO / "README.md", help="the Markdown file (default: the repo's)")
    p.add_argument("--cwd", type=Path, default=REPO, help="where the examples run (default: the repository root)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per example (default 300)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--update", action="store_true", help="rewrite the shown outputs with the real ones")
    mode.add_argument("--list", action="store_true", help="list the examples without running them")
    p.add_argument("--only", metavar="SUBSTRING", help="run only the examples whose text contains SUBSTRING")
    return p


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        try:
            return str(path.resolve().relative_to(REPO))
        except ValueError:
            return str(path)


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.timeout <= 0:
            raise UsageError(f"--timeout must be positive, got {args.timeout:g}")
        if not args.readme.is_file():
            raise UsageError(f"no such file: {args.readme}")
        if not args.cwd.is_dir():
            raise UsageError(f"no such directory: {args.cwd}")
        text = args.readme.read_text(encoding="utf-8")
        items = select(parse_readme(text), args.only)
    except UsageError as err:
        print(f"readme_commands.py: error: {err}", file=sys.stderr)
        return 2
    name = _display_name(args.readme)

    if args.list:
        for it in items:
            print(f"{name}:{it.line:<5} {it.label}")
        return 0

    start = time.perf_counter()
    results = run_items(items, args.cwd, args.timeout, name, compare=not args.update, stream=sys.stdout,
                        venv_bin=None)
    elapsed = time.perf_counter() - start
    failed = [r for r in results if not r.ok]
    if args.update:
        new = update_text(text, results)
        if new != text:
            args.readme.write_text(new, encoding="utf-8")
        changed = sum(1 for r in results if r.item.kind == "shell" and r.ok)
        print(f"{name}: rewrote the output of {changed} command{'s' * (changed != 1)}"
              + (" (unchanged)" if new == text else ""))
        for r in results:
            if r.item.kind == "shell" and r.ok and any(ln.startswith("$ ") for ln in format_output(r.output)):
                print(f"warning: {name}:{r.item.line}: the output has a line starting with '$ ', which will "
                      "read as a command", file=sys.stderr)
    if failed:
        print("failed: " + ", ".join(f"{name}:{r.item.line}" for r in failed))
    print(summary(results, elapsed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
