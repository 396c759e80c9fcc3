"""The ``archwise`` command line: one typer app, each verb a thin wrapper over the Python API.

Bad input ends with one line on stderr, ``error: <what was expected, found, and what to do>``,
and exit code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from . import __version__
from .errors import ArchwiseError

__all__ = ["app", "main"]

T = TypeVar("T")

app = typer.Typer(
    name="archwise",
    help="Design, profile, check and debug neural network architectures in PyTorch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]


def _guard(debug: bool, work: Callable[[], T]) -> T:
    """Run ``work``; turn errors into one line and an exit code unless ``--debug``."""
    if not debug:
        warnings.filterwarnings("ignore")
    try:
        return work()
    except ArchwiseError as err:
        if debug:
            raise
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as err:
        if debug:
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        typer.echo(f"error: unexpected {type(err).__name__}: {first}; rerun with --debug for the traceback "
                   "and report it", err=True)
        raise typer.Exit(1) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"archwise {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """archwise: the seed's architecture design principles as commands that run and measure."""


@app.command("profile")
def profile_command(
    target: Annotated[str, typer.Argument(help="path/to/file.py:Name, package.module:Name or hf:ClassName")],
    inputs: Annotated[list[str] | None, typer.Option(
        "--input", "-i", help="An input shape with the batch: [DTYPE:]DIMxDIM..., e.g. 1x3x224x224 or int64:1x128. "
        "Repeat for several inputs; NAME=SPEC passes it by keyword.")] = None,
    kwargs: Annotated[str | None, typer.Option("--kwargs", help="JSON object of constructor arguments, e.g. '{\"depth\": 50}'.")] = None,
    config: Annotated[str | None, typer.Option("--config", help="JSON object of config fields for hf: targets.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    per_layer: Annotated[bool, typer.Option("--per-layer", help="Add the per-layer table.")] = False,
    debug: DebugOption = False,
) -> None:
    """Parameters, FLOPs (forward and backward) and structure of a model, on the meta device."""

    def work() -> None:
        from .loading import load_model, parse_json_object
        from .profile.api import profile
        from .report.terminal import print_profile
        from .spec import parse_input

        if not inputs:
            raise ArchwiseError("profile needs at least one --input, such as --input 1x3x224x224 or --input int64:1x128")
        specs = [parse_input(text) for text in inputs]
        loaded = load_model(target, parse_json_object(kwargs, "--kwargs"), parse_json_object(config, "--config"))
        result = profile(loaded.model, specs, _rebuild_on_cpu=loaded.rebuild_on_cpu)
        if loaded.notes:
            result = _with_notes(result, loaded.notes)
        if as_json:
            sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        else:
            print_profile(result, per_layer=per_layer)

    _guard(debug, work)


def _with_notes(result, notes: list[str]):  # noqa: ANN001, ANN202
    import dataclasses

    return dataclasses.replace(result, notes=(*notes, *result.notes))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
