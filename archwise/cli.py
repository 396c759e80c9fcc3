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
    train: Annotated[bool, typer.Option("--train", help="Simulate one training step's memory.")] = False,
    optimizer: Annotated[str, typer.Option("--optimizer", help="sgd, momentum, adam, adamw or adafactor.")] = "adamw",
    precision: Annotated[str, typer.Option("--precision", help="fp32, bf16, fp16, bf16-mixed or fp16-mixed.")] = "fp32",
    checkpointing: Annotated[bool, typer.Option("--checkpointing", help="Checkpoint each repeated block.")] = False,
    device: Annotated[str | None, typer.Option("--device", help="A device to fit on (see archwise devices).")] = None,
    memory: Annotated[str | None, typer.Option("--memory", help="A GPU memory size to fit in, e.g. 24GB.")] = None,
    gpus: Annotated[int, typer.Option("--gpus", help="Data-parallel GPUs for the multi-GPU plans.")] = 1,
    sharding: Annotated[str | None, typer.Option("--sharding", help="ddp, zero1, zero2, zero3 or fsdp.")] = None,
    headroom: Annotated[float, typer.Option("--headroom", help="Share of device memory kept free.")] = 0.1,
    seq_len: Annotated[int | None, typer.Option("--seq-len", help="Tokens for the inference memory (KV cache).")] = None,
    batch_search: Annotated[bool, typer.Option("--batch-search/--no-batch-search",
                                               help="Search the largest batch that fits.")] = True,
    measure: Annotated[bool, typer.Option("--measure", help="Time the model for real on this CPU.")] = False,
    debug: DebugOption = False,
) -> None:
    """Parameters, FLOPs, structure and (with --train, --device) memory and fit of a model."""

    def work() -> None:
        from .loading import load_model, parse_json_object
        from .profile.api import profile
        from .report.terminal import print_profile

        loaded = load_model(target, parse_json_object(kwargs, "--kwargs"), parse_json_object(config, "--config"))
        specs = _inputs_for(inputs, loaded, "profile")
        result = profile(loaded.model, specs, train=train, optimizer=optimizer, precision=precision,
                         checkpointing=checkpointing, device=device, memory=memory, gpus=gpus, sharding=sharding,
                         headroom=headroom, seq_len=seq_len, search_batch=batch_search, measure=measure,
                         _rebuild_on_cpu=loaded.rebuild_on_cpu)
        if loaded.notes:
            result = _with_notes(result, loaded.notes)
        if as_json:
            sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        else:
            print_profile(result, per_layer=per_layer)
        verdict = result.fit
        if verdict is not None and not verdict.fits and verdict.max_batch_size is None and batch_search:
            raise ArchwiseError(f"{result.model} does not fit on {verdict.device_title} ({verdict.mode}) even at a "
                                "batch of 1 with these settings; see the remedies above")

    _guard(debug, work)


@app.command("check")
def check_command(
    target: Annotated[str, typer.Argument(help="path/to/file.py:Name, package.module:Name or hf:ClassName")],
    inputs: Annotated[list[str] | None, typer.Option("--input", "-i", help="An input shape with the batch, as for "
                                                     "profile: 1x3x224x224, int64:1x128.")] = None,
    kwargs: Annotated[str | None, typer.Option("--kwargs", help="JSON object of constructor arguments.")] = None,
    config: Annotated[str | None, typer.Option("--config", help="JSON object of config fields for hf: targets.")] = None,
    modality: Annotated[str | None, typer.Option("--modality", help="image, sequence, text, timeseries, graph or "
                                                 "tabular (default: read from the inputs).")] = None,
    samples: Annotated[int | None, typer.Option("--samples", help="Training samples.")] = None,
    task: Annotated[str, typer.Option("--task", help="classification or regression.")] = "classification",
    outputs: Annotated[int | None, typer.Option("--outputs", help="Classes or regression targets.")] = None,
    seq_len: Annotated[int | None, typer.Option("--seq-len", help="Steps or tokens per sample (default: the "
                                                "input's dim 1 for sequential data).")] = None,
    loss: Annotated[str | None, typer.Option("--loss", help="What the outputs feed: cross_entropy, bce_with_logits, "
                                             "nll, bce, mse, …")] = None,
    device: Annotated[str | None, typer.Option("--device", help="A device to fit on (see archwise devices).")] = None,
    memory: Annotated[str | None, typer.Option("--memory", help="A GPU memory size, e.g. 24GB.")] = None,
    latency_budget: Annotated[str | None, typer.Option("--latency-budget", help="Inference budget, e.g. 100ms.")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Training batch for the memory check.")] = None,
    optimizer: Annotated[str, typer.Option("--optimizer", help="sgd, momentum, adam, adamw or adafactor.")] = "adamw",
    precision: Annotated[str, typer.Option("--precision", help="fp32, bf16, fp16, bf16-mixed or fp16-mixed.")] = "fp32",
    baseline_score: Annotated[float | None, typer.Option("--baseline-score", help="A simple baseline's score.")] = None,
    score: Annotated[float | None, typer.Option("--score", help="This model's score on the same split.")] = None,
    lower_is_better: Annotated[bool, typer.Option("--lower-is-better", help="Scores are losses/errors.")] = False,
    select: Annotated[str | None, typer.Option("--select", help="Rule codes or prefixes to run, e.g. AW2,AW301.")] = None,
    ignore: Annotated[str | None, typer.Option("--ignore", help="Rule codes or prefixes to skip, e.g. AW401.")] = None,
    threshold: Annotated[list[str] | None, typer.Option("--threshold", help="Override a threshold: "
                                                        "AW301.max_depth=60 (repeatable).")] = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Exit 1 on findings at or above: error, warning "
                                                "or info (default: error, or [tool.archwise] fail-on).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, json, markdown or github.")] = "text",
    settings: Annotated[str | None, typer.Option("--settings", help="A pyproject.toml to read [tool.archwise] "
                                                 "from (default: the nearest one).")] = None,
    debug: DebugOption = False,
) -> None:
    """Lint a model against the seed's design checklist and anti-patterns (exit 0 clean, 1 findings, 2 usage)."""

    def work() -> int:
        from .loading import load_model, parse_json_object
        from .problem import ProblemSpec
        from .report.check import render_github, render_json, render_markdown, render_text
        from .rules import check_report, load_config, parse_threshold

        formats = ("text", "json", "markdown", "github")
        if fmt not in formats:
            raise ArchwiseError(f"unknown --format '{fmt}'; expected one of {', '.join(formats)}")
        overrides: dict[str, dict[str, float]] = {}
        for text in threshold or []:
            code, name, value = parse_threshold(text)
            overrides.setdefault(code, {})[name] = value
        cfg = load_config(settings).merged(select=_codes(select), ignore=_codes(ignore), fail_on=fail_on,
                                           thresholds=overrides)
        spec = None
        if modality is not None:
            spec = ProblemSpec(modality, samples=samples, outputs=outputs, task=task, seq_len=seq_len, device=device,
                               memory=memory, latency_budget=latency_budget, batch_size=batch_size,
                               optimizer=optimizer, precision=precision, loss=loss)
        elif any(v is not None for v in (samples, outputs, seq_len, device, memory, latency_budget, batch_size, loss)):
            raise ArchwiseError("--samples, --device, --latency-budget and the other problem options need --modality "
                                "(image, sequence, text, timeseries, graph or tabular)")
        loaded = load_model(target, parse_json_object(kwargs, "--kwargs"), parse_json_object(config, "--config"))
        specs = _inputs_for(inputs, loaded, "check")
        report = check_report(loaded.model, specs, spec, cfg, baseline_score=baseline_score, score=score,
                              higher_is_better=not lower_is_better, _rebuild_on_cpu=loaded.rebuild_on_cpu)
        if fmt == "json":
            sys.stdout.write(render_json(report))
        elif fmt == "markdown":
            sys.stdout.write(render_markdown(report))
        elif fmt == "github":
            file, line = _source_of(loaded.model)
            sys.stdout.write(render_github(report, file, line))
        else:
            sys.stdout.write(render_text(report))
        return 1 if report.failed(cfg.fail_on) else 0

    raise typer.Exit(_guard(debug, work))


def _inputs_for(inputs: list[str] | None, loaded, verb: str) -> list:  # noqa: ANN001
    """The --input shapes, or the ones a zoo: target knows, or one line saying what to give."""
    from .spec import parse_input

    if inputs:
        return [parse_input(text) for text in inputs]
    if loaded.inputs is not None:
        return list(loaded.inputs)  # shapes and "int64:…" strings, as profile and check take them
    raise ArchwiseError(f"{verb} needs at least one --input, such as --input 1x3x224x224 or --input int64:1x128")


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _source_of(model: object) -> tuple[str | None, int | None]:
    """The file and line of the model's class, for GitHub annotations (None for library classes)."""
    import inspect
    import os

    try:
        file = inspect.getsourcefile(type(model))
        line = inspect.getsourcelines(type(model))[1]
    except (OSError, TypeError):
        return None, None
    if file is None or "site-packages" in file:
        return None, None
    return os.path.relpath(file), line


@app.command("design")
def design_command(
    modality: Annotated[str | None, typer.Option("--modality", help="image, sequence, text, timeseries, graph or "
                                                 "tabular.")] = None,
    input_shape: Annotated[str | None, typer.Option("--input", help="One sample without the batch: C×H×W for images "
                                                    "(3x32x32), features per step for sequences, the vocabulary size "
                                                    "for text, features for tabular data and graph nodes.")] = None,
    samples: Annotated[int | None, typer.Option("--samples", help="Training samples (graphs: labelled nodes).")] = None,
    outputs: Annotated[int | None, typer.Option("--outputs", help="Classes, or regression targets.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="classification or regression.")] = None,
    seq_len: Annotated[int | None, typer.Option("--seq-len", help="Steps or tokens per sample.")] = None,
    nodes: Annotated[int | None, typer.Option("--nodes", help="Graph nodes.")] = None,
    edges: Annotated[int | None, typer.Option("--edges", help="Graph edges.")] = None,
    device: Annotated[str | None, typer.Option("--device", help="A device to fit on (see archwise devices).")] = None,
    memory: Annotated[str | None, typer.Option("--memory", help="Or a memory size instead of a device, e.g. 24GB.")] = None,
    latency_budget: Annotated[str | None, typer.Option("--latency-budget", help="Inference budget at batch 1, "
                                                       "e.g. 30ms.")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Training batch (default 64).")] = None,
    optimizer: Annotated[str | None, typer.Option("--optimizer", help="sgd, momentum, adam, adamw or adafactor.")] = None,
    precision: Annotated[str | None, typer.Option("--precision", help="fp32, bf16, fp16, bf16-mixed or "
                                                  "fp16-mixed.")] = None,
    spec_file: Annotated[str | None, typer.Option("--spec", help="A YAML or JSON file with the same fields; options "
                                                  "given here override it.")] = None,
    emit: Annotated[str | None, typer.Option("--emit", help="Write the model as standalone PyTorch to this file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="text, json or markdown.")] = "text",
    settings: Annotated[str | None, typer.Option("--settings", help="A pyproject.toml to read [tool.archwise.tree] "
                                                 "from (default: the nearest one).")] = None,
    debug: DebugOption = False,
) -> None:
    """Decide the family by the seed's tree, size it to every budget, explain it (exit 0 fits, 1 nothing fits, 2 usage)."""

    def work() -> int:
        from pathlib import Path

        from .design import DesignSettings, design
        from .problem import ProblemSpec, load_problem
        from .report.design import render_design_json, render_design_markdown, render_design_text
        from .rules import load_config

        chosen = "json" if as_json else fmt
        if chosen not in ("text", "json", "markdown"):
            raise ArchwiseError(f"unknown --format '{fmt}'; expected one of text, json, markdown")
        given = dict(modality=modality, input=input_shape, samples=samples, outputs=outputs, task=task,
                     seq_len=seq_len, nodes=nodes, edges=edges, device=device, memory=memory,
                     latency_budget=latency_budget, batch_size=batch_size, optimizer=optimizer, precision=precision)
        if spec_file is not None:
            spec = load_problem(spec_file, **given)
        elif modality is None:
            raise ArchwiseError("design needs the problem: give --modality (image, sequence, text, timeseries, graph "
                                "or tabular) and --input, --samples, --outputs, or --spec problem.yaml")
        else:
            spec = ProblemSpec(**{k: v for k, v in given.items() if v is not None})
        if emit is not None and Path(emit).suffix != ".py":
            raise ArchwiseError(f"--emit writes Python source: expected a .py path, found '{emit}'")
        rec = design(spec, DesignSettings(tree=load_config(settings).tree))
        render = {"json": render_design_json, "markdown": render_design_markdown}.get(chosen, render_design_text)
        sys.stdout.write(render(rec))
        if emit is not None:
            Path(emit).write_text(rec.emit())
            if chosen == "text":
                typer.echo(f"wrote {emit}: {rec.architecture}, {rec.params:,} parameters (build_model())")
        return 0 if rec.fits else 1

    raise typer.Exit(_guard(debug, work))


@app.command("diagnose")
def diagnose_command(
    run: Annotated[str, typer.Argument(help="A run: the .jsonl archwise.Monitor.save wrote, or a Lightning "
                                       "CSVLogger metrics.csv.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    plot: Annotated[str | None, typer.Option("--plot", help="Also draw the gradient flow and the loss curves, "
                                             "with the diagnosed regions marked, to this .png (or .svg, .pdf).")] = None,
    threshold: Annotated[list[str] | None, typer.Option("--threshold", help="Override a detector threshold: "
                                                        "overfit_val_rise=0.3 (repeatable; see "
                                                        "archwise.train.DiagnoseConfig).")] = None,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Exit 1 when a diagnosis at or above this severity "
                                                "is found: error, warning or info (default: always exit 0).")] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Ignore the diagnose table of pyproject.toml (tool.archwise.diagnose).")] = False,
    verify: Annotated[str | None, typer.Option("--verify", help="A .py file defining setup(seed) that returns "
                                               "archwise.TrainSetup(model, optimizer, loss_fn, data): re-run it with "
                                               "each prescribed setting and rank the fixes by the loss.")] = None,
    verify_steps: Annotated[int | None, typer.Option("--verify-steps", help="Optimizer steps per trial (default "
                                                     "500).")] = None,
    verify_budget: Annotated[str | None, typer.Option("--verify-budget", help="Time for all trials, e.g. 60s or "
                                                      "2m (default 60s).")] = None,
    verify_fix: Annotated[list[str] | None, typer.Option("--verify-fix", help="Try this fix instead of the "
                                                         "prescribed ones (repeatable; 'all' for every one).")] = None,
    debug: DebugOption = False,
) -> None:
    """Diagnose a recorded training run: what went wrong, the numbers behind it, what to do (exit 0; 1 with --fail-on; 2 usage)."""

    def work() -> int:
        import math
        from pathlib import Path

        from .report.diagnose import diagnoses_to_json, render_diagnoses
        from .report.terminal import make_console
        from .rules.registry import Severity
        from .train import DiagnoseConfig, diagnose, load_record

        levels = {s.value: s for s in Severity}
        if fail_on is not None and fail_on not in levels:
            raise ArchwiseError(f"unknown --fail-on '{fail_on}'; expected one of {', '.join(levels)}")
        overrides: dict[str, float] = {}
        for text in threshold or []:
            name, sep, value = text.partition("=")
            name, value = name.strip(), value.strip()
            if not sep or not name or not value:
                raise ArchwiseError(f"--threshold expects NAME=VALUE, such as overfit_val_rise=0.3; found '{text}'")
            try:
                number = float(value)
            except ValueError:
                number = None
            if number is not None and not math.isfinite(number):
                raise ArchwiseError(f"threshold {name} expects a finite number; found '{value}'")
            overrides[name] = value
        base = DiagnoseConfig() if no_config else DiagnoseConfig.from_pyproject()   # [tool.archwise.diagnose]
        config = base.with_overrides(**overrides)  # unknown names and bad values: one line
        if plot is not None and Path(plot).suffix.lower() not in (".png", ".svg", ".pdf"):
            raise ArchwiseError(f"--plot writes an image: expected a .png, .svg or .pdf path, found '{plot}'")
        setup = _verify_setup(verify, verify_steps, verify_budget, verify_fix)
        record = load_record(run)
        found = diagnose(record, config)
        checked = None
        if not as_json:
            make_console().print(render_diagnoses(record, found))
        if setup is not None:
            from .train.verify import verify_fixes

            with _VerifyProgress(enabled=not as_json) as progress:
                checked = verify_fixes(setup, found, steps=verify_steps or 500, budget=verify_budget or 60.0,
                                       fixes=verify_fix or None, on_trial=progress.done)
            if not as_json:
                console = make_console()
                console.print()
                console.print(checked)
        if as_json:
            chosen = {k: getattr(config, k) for k in overrides}
            sys.stdout.write(diagnoses_to_json(record, found, chosen, verify=checked))
        if plot is not None:
            from .train.plot import plot_run

            written = plot_run(record, found, plot)
            if not as_json:
                typer.echo(f"wrote {written}")
        if fail_on is None:
            return 0
        return 1 if any(d.severity.rank >= levels[fail_on].rank for d in found) else 0

    raise typer.Exit(_guard(debug, work))


def _verify_setup(script: str | None, steps: int | None, budget: str | None, fixes: list[str] | None):  # noqa: ANN202
    """``--verify``'s setup function, its options checked first (before the run is read)."""
    if script is None:
        given = [o for o, v in (("--verify-steps", steps), ("--verify-budget", budget), ("--verify-fix", fixes)) if v]
        if given:
            raise ArchwiseError(f"{given[0]} needs --verify script.py (a file defining setup(seed))")
        return None
    from .loading import load_setup
    from .spec import parse_budget
    from .train.verify import parse_fixes

    if steps is not None and steps < 1:
        raise ArchwiseError(f"--verify-steps must be a positive whole number; found {steps}")
    if budget is not None:
        parse_budget(budget, "--verify-budget")
    if fixes:
        parse_fixes(fixes)
    return load_setup(script)


class _VerifyProgress:
    """One status line on stderr while the trials run (a terminal only)."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        console = Console(stderr=True)
        self.status = console.status("verify: the unchanged run") if enabled and console.is_terminal else None

    def __enter__(self) -> _VerifyProgress:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def done(self, trial) -> None:  # noqa: ANN001
        if self.status is not None:
            self.status.update(f"verify: {trial.action} {trial.status.value} ({trial.seconds:.1f} s); next")


@app.command("ladder")
def ladder_command(
    data: Annotated[str, typer.Argument(help="A .csv, .tsv or .parquet table (with --target), an .npz archive with "
                                        "arrays X and y, or a bundled dataset: digits, breast_cancer, wine, "
                                        "diabetes, sunspots, nile, karate.")],
    target: Annotated[str | None, typer.Option("--target", help="The label column of a table.")] = None,
    modality: Annotated[str | None, typer.Option("--modality", help="Override the inferred modality: tabular, image, "
                                                 "sequence or timeseries.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Override the inferred task: classification or "
                                             "regression.")] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Training seeds per rung (the noise rule needs ≥ 2).")] = 3,
    threshold: Annotated[str, typer.Option("--threshold", help="The relative error cut a rung needs over the best "
                                           "simpler one: 0.05 or 5%.")] = "0.05",
    budget: Annotated[str, typer.Option("--budget", help="The most time the ladder may take, e.g. 90s or 5m: rungs "
                                        "run in order while their worst case fits; it never cuts a job short.")] = "5m",
    executor: Annotated[str, typer.Option("--executor", help="local (a process pool) or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option("--ray-address", help="A Ray cluster to run on (default: a "
                                                    "local Ray started for the run).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Parallel jobs (default: the cores, or 1 when "
                                                "the whole ladder is predicted to train in under 30 s; 1 runs in "
                                                "this process).")] = None,
    window: Annotated[int, typer.Option("--window", help="Steps per window for a bundled time series.")] = 16,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the interrupted run in --out, skipping the jobs "
                                         "it finished.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    out: Annotated[str | None, typer.Option("--out", help="A folder for ladder.json, the recommended model's "
                                            "weights, ladder.png and every job's result.")] = None,
    debug: DebugOption = False,
) -> None:
    """Train the seed's ladder, simplest first, on your data; keep a rung only when it clearly beats the simpler ones (exit 0; 2 usage)."""

    def work() -> None:
        from .ladder import ladder
        from .report.ladder import ladder_to_text, render_ladder
        from .report.terminal import make_console

        cut = _fraction(threshold, "--threshold")
        if workers is not None and workers < 1:
            raise ArchwiseError(f"--workers must be at least 1, found {workers}")
        progress = _LadderProgress(enabled=not as_json)
        with progress:
            result = ladder(data, target=target, modality=modality, task=task, seeds=seeds, threshold=cut,
                            budget=budget, executor=executor, workers=workers, ray_address=ray_address,
                            resume=resume, out=out, window=window, on_plan=progress.plan, on_result=progress.done)
        if as_json:
            sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
            return
        if sys.stdout.isatty():
            make_console().print(render_ladder(result))
        else:
            sys.stdout.write(ladder_to_text(result))
        if out is not None:
            typer.echo(f"wrote {out}/ladder.json, {out}/{result.weights}, {out}/ladder.png and {out}/runs/")

    _guard(debug, work)


def _fraction(text: str, option: str) -> float:
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ArchwiseError(f"{option} expects a fraction such as 0.05 or a percentage such as 5%; found '{text}'") \
            from None
    if not 0 <= value < 1:
        raise ArchwiseError(f"{option} must be in [0, 1) (0 % to 100 %); found '{text}'")
    return value


class _LadderProgress:
    """A rich progress bar per rung, advanced per (learning rate, seed) job, on stderr."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.bars = None
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> _LadderProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.stop()

    def plan(self, rungs, counts: dict[str, int]) -> None:  # noqa: ANN001
        if not self.enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bars = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=self.console,
                             transient=True)
        for r in rungs:
            self.tasks[r.name] = self.bars.add_task(r.name, total=counts[r.name], last="")
        self.bars.start()

    def done(self, result: dict, reused: bool) -> None:
        if self.bars is None:
            return
        what = "read back" if reused else f"{result['seconds']:.1f} s"
        self.bars.update(self.tasks[result["rung"]], advance=1,
                         last=f"lr {result['lr']:g} seed {result['seed']}: val error {result['val_error']:.4g} ({what})")


@app.command("zoo")
def zoo_command(
    name: Annotated[str | None, typer.Argument(help="A builder to show in full.")] = None,
    debug: DebugOption = False,
) -> None:
    """List the registered builders (archwise profile zoo:NAME profiles one)."""

    def work() -> None:
        from .report.design import render_arch, render_zoo

        sys.stdout.write(render_arch(name) if name else render_zoo())

    _guard(debug, work)


@app.command("rules")
def rules_command(
    code: Annotated[str | None, typer.Argument(help="A rule code or name: show its full documentation.")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the whole rules page (docs/rules.md).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the registry as JSON.")] = False,
    debug: DebugOption = False,
) -> None:
    """List every rule with its code, name, severity and the seed section it enforces."""

    def work() -> None:
        from .report.check import render_rule, render_rules, rules_page
        from .rules import all_rules, get_rule

        rules = all_rules()
        if code is not None:
            sys.stdout.write(render_rule(get_rule(code)))
        elif markdown:
            sys.stdout.write(rules_page(rules))
        elif as_json:
            sys.stdout.write(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value,
                                          "principle": r.principle, "checklist": list(r.checklist),
                                          "anti_patterns": list(r.anti_patterns), "thresholds": r.thresholds,
                                          "needs": list(r.needs), "summary": r.summary()} for r in rules], indent=2)
                             + "\n")
        else:
            sys.stdout.write(render_rules(rules))

    _guard(debug, work)


@app.command("calibrate")
def calibrate_command(
    quick: Annotated[bool, typer.Option("--quick", help="Shorter measurements (less precise).")] = False,
    debug: DebugOption = False,
) -> None:
    """Measure this CPU (matmul and convolution FLOP/s, memory bandwidth, per-op overhead) for latency predictions."""

    def work() -> None:
        from rich.progress import Progress

        from .devices import calibration_path
        from .profile.latency import calibrate

        steps = 5
        with Progress(transient=True) as progress:
            task = progress.add_task("calibrating", total=steps)

            def on_step(step: str) -> None:
                progress.update(task, description=f"measuring {step}", advance=1 if progress.tasks[0].description
                                != "calibrating" else 0)

            result = calibrate(on_step, quick=quick)
            progress.update(task, completed=steps)
        flops = result["kind_flops"]
        typer.echo(f"matmul fp32 {flops['matmul']['fp32'] / 1e9:,.1f} GFLOP/s · bf16 {flops['matmul']['bf16'] / 1e9:,.1f} "
                   f"GFLOP/s · conv fp32 {flops['conv']['fp32'] / 1e9:,.1f} GFLOP/s · copy bandwidth "
                   f"{result['bandwidth'] / 1e9:,.1f} GB/s · per-op overhead {result['op_overhead_s'] * 1e6:.1f} µs")
        import os

        where = str(calibration_path())
        home = os.path.expanduser("~")
        typer.echo(f"saved to {'~' + where[len(home):] if where.startswith(home + os.sep) else where}")

    _guard(debug, work)


@app.command("devices")
def devices_command(
    sources: Annotated[bool, typer.Option("--sources", help="Show where each figure comes from.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    debug: DebugOption = False,
) -> None:
    """The device catalog: memory, peak FLOP/s per dtype and memory bandwidth, with sources."""

    def work() -> None:
        from dataclasses import asdict

        from .devices import DEVICES, local_cpu
        from .report.memory import render_devices
        from .report.terminal import make_console

        catalog = [*DEVICES.values(), local_cpu()]
        if as_json:
            sys.stdout.write(json.dumps([asdict(d) for d in catalog], indent=2, default=list) + "\n")
        else:
            make_console().print(render_devices(catalog, sources=sources))

    _guard(debug, work)


def _with_notes(result, notes: list[str]):  # noqa: ANN001, ANN202
    import dataclasses

    return dataclasses.replace(result, notes=(*notes, *result.notes))

@app.command("report")
def report_command(
    inputs: Annotated[list[str], typer.Argument(
        help="Results to report on: profile --json, check --format json or design --json output, a run.jsonl "
        "(or Lightning metrics.csv), a ladder --out folder or its ladder.json. Several make one report.")],
    out: Annotated[str | None, typer.Option("--out", "-o", help="The file to write (report.html, or report.md with "
                                            "its figures in report_files/). Without it the report goes to stdout.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="html or markdown (default: from --out's suffix, else "
                                            "html).")] = None,
    title: Annotated[str | None, typer.Option("--title", help="The report's title.")] = None,
    debug: DebugOption = False,
) -> None:
    """One self-contained HTML report (or Markdown, for pull requests) of profiles, checks, designs, runs, ladders."""

    def work() -> None:
        from .report.document import build_report, render_html, render_markdown, write_report

        chosen = fmt.lower() if fmt else None
        if chosen is not None and chosen not in ("html", "markdown", "md"):
            raise ArchwiseError(f"--format {fmt!r} is not known; expected html or markdown")
        chosen = "markdown" if chosen == "md" else chosen
        doc = build_report(inputs, title)
        if out is None:
            sys.stdout.write(render_markdown(doc) if chosen == "markdown" else render_html(doc))
            return
        path = write_report(doc, out, chosen)
        kb = path.stat().st_size / 1024
        typer.echo(f"{doc.title}: {len(doc.sections)} section{'s' if len(doc.sections) != 1 else ''}")
        for s in doc.sections:
            typer.echo(f"  {s.kind:<8} {s.headline}")
        typer.echo(f"wrote {path} ({kb:,.0f} KiB)")

    _guard(debug, work)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
