"""scripts/readme_commands.py: the README's examples are extracted, run and compared as documented.

Fast: only trivial shell commands (echo, printf, exit) and tiny Python blocks run here; CI runs the
script itself on the real README after the suite.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def _load():
    name = "archwise_scripts_readme_commands"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "readme_commands.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


rc = _load()

# first words a README command may start with; extend when the README needs another
ALLOWED_FIRST_WORDS = {"archwise", "python", "cat", "ls", "head"}

SYNTHETIC = """\
# demo

    $ make demo    # indented block: not extracted

```
$ archwise profile a.py:Net \\
    --input 1x3 \\
    --json
first line of output
second   line
$ archwise check a.py:Net # exit 1
AW101 warning something 1.2 s
```

```toml
[tool.archwise]
$ not a command
```

```text
$ not a command either
```

<!-- no-run -->
```console
$ rm -rf /
```

```bash
before the first prompt: ignored
$ echo hi
hi
```

```python
import sys
print(sys.version)
```

<!-- no-run -->

```python
this is not python
```

```python
>>> 1 + 1
2
```

~~~sh
$ printf 'a\\nb\\n' | cat
a
b
~~~
"""


def test_parse_commands_continuations_exit_and_output():
    items = rc.parse_readme(SYNTHETIC)
    kinds = [it.kind for it in items]
    assert kinds == ["shell", "shell", "shell", "python", "doctest", "shell"]
    first, second, echo, py, dt, pipe = items
    assert first.line == 6
    assert first.source == "archwise profile a.py:Net \\\n    --input 1x3 \\\n    --json"
    assert first.command == "archwise profile a.py:Net     --input 1x3     --json"
    assert shlex.split(first.command) == ["archwise", "profile", "a.py:Net", "--input", "1x3", "--json"]
    assert first.expected_status == 0
    assert first.shown == ["first line of output", "second   line"]
    assert second.expected_status == 1 and second.line == 11
    assert second.shown == ["AW101 warning something 1.2 s"]
    assert echo.command == "echo hi" and echo.shown == ["hi"]
    assert "import sys" in py.source and py.line == 36
    assert dt.source.startswith(">>> 1 + 1")
    assert pipe.command == "printf 'a\\nb\\n' | cat" and pipe.shown == ["a", "b"]
    assert all("not a command" not in it.source and "rm -rf" not in it.source for it in items)
    assert all("this is not python" not in it.source for it in items)


def test_exit_comment_only_at_the_end_and_on_the_last_continuation_line():
    text = "```\n$ foo '# exit 3' bar\n$ foo \\\n  --x # exit 4\n$ foo#exit 5\n```\n"
    a, b, c = rc.parse_readme(text)
    assert a.expected_status == 0
    assert b.expected_status == 4 and b.command == "foo   --x # exit 4"
    assert c.expected_status == 0  # a '#' inside a word is not a comment


def test_indented_fence_in_a_list():
    text = "- item\n\n  ```console\n  $ echo x\n  x\n  ```\n"
    (item,) = rc.parse_readme(text)
    assert item.command == "echo x" and item.shown == ["x"] and item.indent == "  "


def test_compare_ignores_digit_lines_and_whitespace():
    real = "Parameters  175,258\nFamilies   conv,  relu\n\nthe end\n"
    assert rc.compare_output(["Parameters 999", "Families conv, relu", "", "the   end"], real) is None


def test_compare_enforces_order_and_reports_the_first_missing_line():
    real = "alpha\nbeta\ngamma\n"
    assert rc.compare_output(["alpha", "gamma"], real) is None
    assert rc.compare_output(["gamma", "alpha"], real) == "alpha"
    assert rc.compare_output(["alpha", "delta", "epsilon"], real) == "delta"
    assert rc.compare_output(["alpha"], "\x1b[1malpha\x1b[0m\n") is None


def test_update_rewrites_shown_outputs(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n\n"
        "```\n"
        "$ echo hello   \n"
        "stale output\n"
        "more stale\n"
        "$ printf 'one  \\n\\x1b[31mred\\x1b[0m\\n\\n\\n' \\\n"
        "    ; echo tail\n"
        "old\n"
        "$ echo oops; exit 3 # exit 3\n"
        "```\n\n"
        "```python\nprint('not rewritten')\n```\n\n"
        "```toml\nkey = 1\n```\n"
    )
    code = rc.main(["--readme", str(readme), "--cwd", str(tmp_path), "--update"])
    assert code == 0
    assert readme.read_text() == (
        "intro\n\n"
        "```\n"
        "$ echo hello   \n"
        "hello\n"
        "$ printf 'one  \\n\\x1b[31mred\\x1b[0m\\n\\n\\n' \\\n"
        "    ; echo tail\n"
        "one\nred\n\n\ntail\n"
        "$ echo oops; exit 3 # exit 3\n"
        "oops\n"
        "```\n\n"
        "```python\nprint('not rewritten')\n```\n\n"
        "```toml\nkey = 1\n```\n"
    )
    # and the rewritten README passes the check
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path)]) == 0


def test_update_keeps_the_output_of_a_command_with_the_wrong_status(tmp_path, capsys):
    readme = tmp_path / "README.md"
    text = "```\n$ echo a; exit 2\nshown\n$ echo b\nold\n```\n"
    readme.write_text(text)
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path), "--update"]) == 1
    assert readme.read_text() == "```\n$ echo a; exit 2\nshown\n$ echo b\nb\n```\n"
    assert "1 failed" in capsys.readouterr().out


def test_check_reports_a_status_mismatch(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# t\n\n```\n$ echo fine\nfine\n$ echo broken; exit 3\nbroken\n```\n")
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("ok ") and lines[0].endswith("README.md:4  echo fine")
    assert lines[1].startswith("FAIL") and "README.md:6  echo broken; exit 3" in lines[1]
    assert "exit status: expected 0, found 3" in out
    assert "| broken" in out
    assert lines[-1].startswith("2 commands, 0 python blocks: 1 failed (")


def test_check_reports_a_missing_line_and_passes_when_all_agree(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("```\n$ printf 'x\\ny 12\\n'\nx\ny 99\nz\n```\n")
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path)]) == 1
    assert "first missing line (shown, not in the real output in order): z\n" in capsys.readouterr().out
    readme.write_text("```\n$ printf 'x\\ny 12\\n' > f.txt\n$ cat f.txt\nx\ny 99\n```\n\n"
                      "```python\nimport pathlib\nassert pathlib.Path('f.txt').read_text().startswith('x')\n```\n\n"
                      "```python\n>>> 6 * 7\n42\n```\n")
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("2 commands, 2 python blocks: all ran as written (")


def test_python_and_doctest_failures(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("```python\nraise SystemExit(4)\n```\n\n```python\n>>> 1 + 1\n3\n```\n")
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("FAIL") == 2 and "0 commands, 2 python blocks: 2 failed" in out


def test_timeout(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("```\n$ sleep 5\n```\n")
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path), "--timeout", "0.3"]) == 1
    assert "timed out after 0.3 s" in capsys.readouterr().out


def test_list_only_and_usage_errors(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("```\n$ echo one\n$ echo two\n```\n")
    assert rc.main(["--readme", str(readme), "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and listed[0].endswith("README.md:2     echo one") and listed[1].endswith(":3     echo two")
    assert rc.main(["--readme", str(readme), "--cwd", str(tmp_path), "--only", "two"]) == 0
    out = capsys.readouterr().out
    assert "echo two" in out and "echo one" not in out
    for argv in (["--bogus"], ["--readme", str(tmp_path / "missing.md")], ["--readme", str(readme), "--only", "zzz"],
                 ["--timeout", "0"], ["--list", "--update"]):
        assert rc.main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("readme_commands.py: error: ")


def _verbs():
    from archwise.cli import app

    names = set()
    for info in app.registered_commands:
        names.add(info.name or info.callback.__name__.replace("_", "-"))
    for group in app.registered_groups:
        names.add(group.name or group.typer_instance.info.name)
    return names


def test_the_real_readme_runs_only_known_programs_and_verbs():
    items = rc.parse_readme((ROOT / "README.md").read_text(encoding="utf-8"))
    shell = [it for it in items if it.kind == "shell"]
    assert shell, "the README shows no commands"
    verbs = _verbs()
    for it in shell:
        words = shlex.split(it.command, comments=True)
        assert words, f"README.md:{it.line}: empty command"
        assert words[0] in ALLOWED_FIRST_WORDS, f"README.md:{it.line}: {words[0]!r} is not one of {ALLOWED_FIRST_WORDS}"
        if words[0] == "archwise" and len(words) > 1 and not words[1].startswith("-"):
            assert words[1] in verbs, f"README.md:{it.line}: 'archwise {words[1]}' is not a command ({sorted(verbs)})"
