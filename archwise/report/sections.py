"""One report section per result: the blocks a profile, a check, a design, a monitored run or a
ladder shows. Each builder reads the result's JSON form (``archwise.*/1``; a run is read as its
:class:`~archwise.train.record.TrainingRecord`) and computes nothing new: it arranges, formats
and draws what the result holds. Tables with a total row hold rows that add up to it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import figures
from .blocks import Bullets, Facts, Figure, Finding, Heading, Section, Table, Text
from .ladder import fmt_score, fmt_seconds
from .memory import fmt_bytes, fmt_time
from .terminal import human, run_lengths

__all__ = ["profile_section", "check_section", "design_section", "monitor_section", "ladder_section"]

SEVERITIES = ("error", "warning", "info")


def _n(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}" if whole else "—"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v) or "—"
    if v is None:
        return "—"
    return str(v)


# ---- profile ------------------------------------------------------------------------------------

def _groups(layers: list[dict[str, Any]], most: int = 12) -> list[tuple[str, int, int]]:
    """The layers' params and forward FLOPs summed by module path prefix, at the shallowest depth
    that splits the model into at least four groups; past ``most`` groups the rest is one row."""
    def prefix(path: str, depth: int) -> str:
        return ".".join(path.split(".")[:depth]) if path else "(the model itself)"

    deepest = max((len(r["path"].split(".")) for r in layers if r["path"]), default=1)
    depth = 1
    while depth < deepest and len({prefix(r["path"], depth) for r in layers}) < 4:
        depth += 1
    sums: dict[str, list[int]] = {}
    for r in layers:
        entry = sums.setdefault(prefix(r["path"], depth), [0, 0])
        entry[0] += r["params"]
        entry[1] += r["flops"]
    order = sorted(sums.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
    rows = [(name, p, f) for name, (p, f) in order[:most]]
    rest = order[most:]
    if rest:
        rows.append((f"{len(rest)} other groups", sum(v[0] for _, v in rest), sum(v[1] for _, v in rest)))
    return rows


def profile_section(p: dict[str, Any], source: str | None = None) -> Section:
    params, flops, s = p["params"], p["flops"], p["structure"]
    skips = s["skip_connections"]
    inputs = ", ".join(p["inputs"])
    headline = (f"{p['model']} at {inputs}: {params['total']:,} parameters, {human(flops['forward'], 'FLOPs')} forward, "
                f"{s['depth']} weighted layers deep, {len(skips)} skip connection{'s' if len(skips) != 1 else ''}")
    fit = p.get("fit")
    if fit:
        headline += f"; {'fits' if fit['fits'] else 'does not fit'} on {fit['device_title']} ({fit['mode']})"
    kinds: dict[str, int] = {}
    for k in skips:
        kinds[k["kind"]] = kinds.get(k["kind"], 0) + 1
    facts = [
        ("Model", p["model"]), ("Inputs", inputs),
        ("Method", "meta: shapes only, nothing allocated" if p["method"] == "meta" else "a real run on the CPU"),
        ("Parameters", f"{params['total']:,} ({human(params['total'])}) · trainable {params['trainable']:,} · "
                       f"{fmt_bytes(params['bytes'])}"),
        ("FLOPs", f"forward {human(flops['forward'], 'FLOPs')} · backward {human(flops['backward'], 'FLOPs')} "
                  f"({flops['convention']})"),
        ("Depth", f"{s['depth']} weighted layers on the longest input→output path"),
        ("Widths", run_lengths(s["widths"]) or "—"),
        ("Skip connections", ", ".join(f"{n} {k}" for k, n in kinds.items()) or "none found"),
        ("Families", ", ".join(s["families"]) or "—"),
    ]
    blocks: list[Any] = [Text(headline, "lead"), Facts(facts)]
    if p.get("notes"):
        blocks.append(Bullets(list(p["notes"])))
    layers = p["layers"]
    groups = _groups(layers)
    blocks += [Heading("Where the parameters and FLOPs sit"),
               Figure(figures.share_bars(groups), "share of parameters and forward FLOPs by module group",
                      name="profile-shares")]
    blocks.append(Table(["Module group", "Params", "% params", "FLOPs fwd", "% FLOPs"],
                        [[name, f"{a:,}", _pct(a, params["total"]), f"{b:,}", _pct(b, flops["forward"])]
                         for name, a, b in groups],
                        total=["Total", f"{sum(g[1] for g in groups):,}", "100.0", f"{sum(g[2] for g in groups):,}",
                               "100.0"], numeric={1, 2, 3, 4}))
    by_op = p.get("flops_by_op") or {}
    if by_op:
        ops = sorted(by_op.items(), key=lambda kv: -(kv[1]["forward"] + kv[1]["backward"]))
        blocks.append(Table(["Op", "FLOPs fwd", "FLOPs bwd"],
                            [[op, f"{v['forward']:,}", f"{v['backward']:,}"] for op, v in ops],
                            total=["Total", f"{sum(v['forward'] for _, v in ops):,}",
                                   f"{sum(v['backward'] for _, v in ops):,}"],
                            numeric={1, 2}, caption="FLOPs by operator"))
    latency = p.get("latency") or {}
    per_layer_ms = {r["path"]: r for r in latency.get("per_layer") or []}
    columns = ["Layer", "Type", "Output shape", "Params", "FLOPs fwd", "% fwd", "FLOPs bwd"]
    if per_layer_ms:
        columns += ["Predicted fwd", "Predicted bwd"]
    rows = []
    for r in layers:
        shape = "×".join(map(str, r["output_shape"])) if r["output_shape"] else "—"
        row = [r["path"] or "(model)", r["type"], shape, f"{r['params']:,}" + ("*" if r["tied_to"] else ""),
               f"{r['flops']:,}", _pct(r["flops"], flops["forward"]), f"{r['flops_backward']:,}"]
        if per_layer_ms:
            t = per_layer_ms.get(r["path"])
            row += [f"{t['forward_ms']:.3g} ms" if t else "—", f"{t['backward_ms']:.3g} ms" if t else "—"]
        rows.append(row)
    total = ["Total", "", "", f"{sum(r['params'] for r in layers):,}", f"{sum(r['flops'] for r in layers):,}", "100.0",
             f"{sum(r['flops_backward'] for r in layers):,}"]
    if per_layer_ms:
        total += ["", ""]
    blocks += [Heading("Per layer"),
               Table(columns, rows, total=total, numeric={3, 4, 5, 6, 7, 8}, collapsed=len(rows) > 40,
                     summary=f"{len(rows)} rows: every module that owns parameters or does work itself")]
    tied = [f"{r['path']}: {', '.join(r['tied_to'])} (shared, counted once at its owner)" for r in layers if r["tied_to"]]
    if tied:
        blocks.append(Text("* " + "; ".join(tied), "note"))
    if p.get("unused_parameters"):
        blocks.append(Text("Parameters no forward op read: " + ", ".join(
            f"{u['name']} ({u['elements']:,})" for u in p["unused_parameters"]), "note"))
    blocks += _memory_blocks(p.get("memory"), fit)
    blocks += _latency_blocks(latency)
    return Section("profile", p["model"], source, headline, blocks)


def _memory_blocks(memory: dict[str, Any] | None, fit: dict[str, Any] | None) -> list[Any]:
    out: list[Any] = []
    if memory and (memory.get("training") or memory.get("inference")):
        train, infer = memory.get("training"), memory.get("inference")
        bars: list[tuple[str, dict[str, int]]] = []
        columns = ["Holds"]
        if train:
            for phase, parts in train["phases"].items():
                bars.append((f"training:\n{phase}" + (" (peak)" if phase == train["peak_phase"] else ""), parts))
            columns += [f"Training peak ({train['peak_phase']})", "%"]
        if infer:
            bars.append(("inference", infer))
            columns += ["Inference", "%"]
        limit = ("usable device memory", fit["usable_bytes"]) if fit else None
        rows = []
        for key, label, _ in figures.MEMORY_PARTS:
            row = [label]
            if train:
                row += [fmt_bytes(train[key]), _pct(train[key], train["peak_bytes"])]
            if infer:
                v = infer.get(key, 0) or 0
                row += [fmt_bytes(v), _pct(v, infer["peak_bytes"])]
            rows.append(row)
        total = ["Peak"] + ([fmt_bytes(train["peak_bytes"]), "100.0"] if train else []) + (
            [fmt_bytes(infer["peak_bytes"]), "100.0"] if infer else [])
        what = []
        if train:
            what.append(f"training: {train['optimizer']}, {train['precision']}"
                        + (", activation checkpointing" if train["checkpointing"] else ""))
        if infer:
            what.append(f"inference: {infer['precision']}")
        out += [Heading("Memory"), Text("; ".join(what) + " — simulated on fake tensors, at every phase of one step."),
                Figure(figures.memory_bars(bars, limit), "memory by phase, stacked by what it holds", name="memory"),
                Table(columns, rows, total=total, numeric=set(range(1, len(columns))))]
        notes = (train or {}).get("notes", []) + [n for n in (infer or {}).get("notes", [])
                                                   if n not in (train or {}).get("notes", [])]
        if notes:
            out.append(Bullets(notes))
    if fit:
        out += [Heading(f"Fit on {fit['device_title']} ({fit['mode']})"),
                Table(["What", "Bytes", "Source"], [[line["name"], fmt_bytes(line["bytes"]), line["source"]]
                                                    for line in fit["lines"]],
                      total=["Required", fmt_bytes(sum(line["bytes"] for line in fit["lines"])), ""], numeric={1}),
                Facts([("Usable", f"{fmt_bytes(fit['usable_bytes'])} of {fmt_bytes(fit['capacity_bytes'])} "
                                  f"({100 * fit['headroom']:.0f} % kept free)"),
                       ("Verdict", ("fits" if fit["fits"] else "does not fit")
                        + (f" at batch {fit['batch_size']}" if fit.get("batch_size") else "")),
                       ("Largest batch that fits", _n(fit.get("max_batch_size")))])]
        if fit.get("remedies"):
            out.append(Table(["Remedy", "Detail", "Required", "Fits"],
                             [[r["name"], r["detail"], fmt_bytes(r["required_bytes"]), "yes" if r["fits"] else "no"]
                              for r in fit["remedies"]], numeric={2}, caption="Remedies, cheapest first",
                             row_classes=["good" if r["fits"] else "bad" for r in fit["remedies"]]))
        if fit.get("plans"):
            plans = fit["plans"]
            out += [Heading("Per-GPU memory under each sharding strategy"),
                    Figure(figures.plan_bars(plans, fit["usable_bytes"], fit["device"]),
                           "per-GPU memory under each sharding strategy", name="sharding"),
                    Table(["Strategy", "GPUs", "Per GPU", "Fits", "Fewest GPUs that fit"],
                          [[pl["strategy"], str(pl["gpus"]), fmt_bytes(pl["per_gpu_bytes"]),
                            "yes" if pl["fits"] else "no", _n(pl.get("fewest_gpus"))] for pl in plans],
                          numeric={1, 2, 4}, row_classes=["good" if pl["fits"] else "bad" for pl in plans])]
        if fit.get("notes"):
            out.append(Bullets(list(fit["notes"])))
    return out


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g} ms"


def _latency_blocks(lat: dict[str, Any]) -> list[Any]:
    if not lat:
        return []
    batch = lat["batch_size"]
    out: list[Any] = [Heading("Latency")]
    rows = [["forward", _ms(lat.get("predicted_ms")), _ms(lat.get("local_predicted_ms")), _ms(lat.get("measured_ms"))],
            ["training step", _ms(lat.get("predicted_train_step_ms")), _ms(lat.get("local_predicted_train_step_ms")),
             _ms(lat.get("measured_train_step_ms"))]]
    out.append(Table(["At batch " + str(batch), f"Predicted on {lat['device']}", "Predicted on this CPU",
                      "Measured on this CPU"], rows, numeric={1, 2, 3}))
    facts = []
    if lat.get("throughput_samples_per_s"):
        facts.append(("Throughput (predicted)", f"{lat['throughput_samples_per_s']:,.0f} samples/s on {lat['device']}"))
    if lat.get("compute_bound_share") is not None:
        facts.append(("Compute-bound share", f"{100 * lat['compute_bound_share']:.0f} % of the predicted time"))
    if facts:
        out.append(Facts(facts))
    if lat.get("measured_ms") is not None and lat.get("local_predicted_ms") is not None:
        pairs = [("forward", lat["local_predicted_ms"], lat["measured_ms"])]
        if lat.get("measured_train_step_ms") is not None and lat.get("local_predicted_train_step_ms") is not None:
            pairs.append(("training step", lat["local_predicted_train_step_ms"], lat["measured_train_step_ms"]))
        out.append(Figure(figures.latency_bars(pairs, "predicted on this CPU", "measured on this CPU"),
                          "predicted against measured latency on this CPU", name="latency"))
        ratio = lat["measured_ms"] / lat["local_predicted_ms"] if lat["local_predicted_ms"] else math.nan
        out.append(Text(f"Measured forward / predicted on this CPU: {ratio:.2f}×.", "note"))
    else:
        out.append(Text("Not measured: profile with --measure to time the model on this CPU beside the prediction.",
                        "note"))
    per = sorted(lat.get("per_layer") or [], key=lambda r: -(r["forward_ms"] + r["backward_ms"]))[:10]
    if per:
        out.append(Table(["Layer", "Predicted fwd", "Predicted bwd"],
                         [[r["path"] or "(model)", _ms(r["forward_ms"]), _ms(r["backward_ms"])] for r in per],
                         numeric={1, 2}, caption=f"The slowest layers on {lat['device']} (predicted)"))
    if lat.get("notes"):
        out.append(Bullets(list(lat["notes"])))
    return out


# ---- check --------------------------------------------------------------------------------------

def _spec_text(spec: dict[str, Any] | None) -> str:
    if not spec:
        return "none (the modality was read from the inputs)"
    skip = {"optimizer", "precision", "task"}
    shown = {"input": lambda v: "×".join(map(str, v)) if isinstance(v, list) else _value(v),
             "latency_budget": lambda v: fmt_time(float(v)), "memory": fmt_bytes}
    parts = [f"{k.replace('_', ' ')} {shown.get(k, _value)(v)}" for k, v in spec.items()
             if v is not None and k not in skip]
    if spec.get("task") and spec.get("modality") not in (None,):
        parts.insert(1, spec["task"])
    if spec.get("device") or spec.get("memory"):
        parts.append(f"{spec.get('optimizer')} {spec.get('precision')}")
    return ", ".join(parts)


def check_section(c: dict[str, Any], source: str | None = None) -> Section:
    summary = c["summary"]
    counts = ", ".join(f"{summary[s]} {s}{'s' if summary[s] != 1 and s != 'info' else ''}" for s in SEVERITIES)
    headline = f"{c['model']} at {', '.join(c['inputs'])}: {counts} ({summary['rules_run']} rules ran)"
    blocks: list[Any] = [Text(headline, "lead"),
                         Facts([("Model", c["model"]), ("Inputs", ", ".join(c["inputs"])),
                                ("Problem", _spec_text(c.get("spec"))), ("Rules run", str(summary["rules_run"]))]),
                         Table(["Severity", "Findings"], [[s, str(summary[s])] for s in SEVERITIES],
                               total=["Total", str(summary["total"])], numeric={1},
                               row_classes=[s for s in SEVERITIES])]
    for severity in SEVERITIES:
        found = [f for f in c["findings"] if f["severity"] == severity]
        if not found:
            continue
        blocks.append(Heading(f"{severity.capitalize()}{'s' if severity != 'info' else ''} ({len(found)})"))
        for f in found:
            blocks.append(Finding(f["severity"], f"{f['code']} {f['name']}", f["message"], where=f.get("where"),
                                  why=f.get("why"), evidence=[(k, _value(v)) for k, v in f["evidence"].items()],
                                  fixes=list(f["fixes"]), principle=f.get("principle")))
    if not c["findings"]:
        blocks.append(Text("No findings: every rule that could judge passed."))
    if c.get("notes"):
        blocks += [Heading("Notes"), Bullets(list(c["notes"]))]
    return Section("check", c["model"], source, headline, blocks)


# ---- design -------------------------------------------------------------------------------------

def _constraint_text(c: dict[str, Any], spec) -> tuple[str, str, str, float]:  # noqa: ANN001
    """(name, limit, value) as ``archwise design`` prints them, and the value's share of the limit
    (capacity: of the band's top), for a constraint's JSON form."""
    from ..design.explain import describe_constraint
    from ..design.size import Constraint

    name, limit, value = describe_constraint(Constraint(**c), spec)
    top = c["limit"][1] if c["name"] == "capacity" else c["limit"]
    return name, limit, value, c["value"] / top if top else math.nan


def design_section(d: dict[str, Any], source: str | None = None) -> Section:
    from ..problem import ProblemSpec

    spec = d["spec"]
    problem = ProblemSpec(**spec)  # the dict is ProblemSpec.to_dict(): it rebuilds the same spec
    verdict = "meets every budget" if d["fits"] else "meets no budget set fully: the closest candidate"
    headline = (f"{d['architecture']}: {d['params']:,} parameters, {human(d['macs'], 'MACs')} per forward; "
                f"binding constraint: {d['binding_constraint']}; {verdict}")
    hp = ", ".join(f"{k}={v!r}" for k, v in d["hyperparameters"].items())
    blocks: list[Any] = [Text(headline, "lead"), Facts([
        ("Problem", _spec_text(spec)),
        ("Family", d["family"]),
        ("Recommended", d["architecture"]),
        ("Build", f"archwise.create_arch({d['arch']!r}, {hp})"),
        ("Parameters", f"{d['params']:,}"),
        ("MACs per forward (batch 1)", human(d["macs"], "MACs")),
        ("Predicted latency (batch 1)", fmt_time(d.get("predicted_latency_s"))),
        ("Training memory", f"{fmt_bytes(d.get('training_bytes'))} at batch {d['batch_size']}"
         if d.get("training_bytes") is not None else "— (no device or memory given)"),
        ("Candidates", f"{d['candidates_evaluated']} evaluated of {d['candidates_considered']} considered"),
    ])]
    decision = d["decision"]
    blocks += [Heading("The decision path through the seed's tree"),
               Bullets(list(decision["path"]), ordered=True),
               Text(f"→ {decision['architecture']} ({decision['principle']})")]
    if d.get("rationale"):
        blocks += [Heading("Why"), Bullets([f"{r['principle']}: {r['because']}" for r in d["rationale"]])]
    rows, classes, bars = [], [], []
    for c in d["constraints"]:
        name, limit, value, share = _constraint_text(c, problem)
        binding = c["name"] == d["binding_constraint"]
        rows.append([name + (" (binding)" if binding else ""), limit, value, "yes" if c["ok"] else "no"])
        classes.append("good" if c["ok"] else "bad")
        if math.isfinite(share) and share > 0:
            bars.append((name, share, bool(c["ok"]), binding))
    blocks.append(Heading("Budgets and the binding constraint"))
    blocks.append(Table(["Constraint", "Limit", "Recommended model", "Met"], rows, row_classes=classes))
    if bars:
        blocks.append(Figure(figures.constraint_bars(bars), "each budget's use as a share of its limit",
                             name="design-budgets"))
    cand_rows = [[d["architecture"] + " (recommended)", f"{d['params']:,}",
                  ", ".join(f"{_constraint_text(c, problem)[0]} {'✓' if c['ok'] else '✗'}" for c in d["constraints"]),
                  "chosen: " + d["binding_constraint"] + " binds"]]
    for a in d["alternatives"]:
        cand_rows.append([a["architecture"], f"{a['params']:,}",
                          ", ".join(f"{_constraint_text(c, problem)[0]} {'✓' if c['ok'] else '✗'}" for c in a["constraints"]),
                          a["why"]])
    blocks += [Heading("Candidates"), Table(["Candidate", "Params", "Budgets", "Why not chosen"], cand_rows,
                                            numeric={1}, row_classes=["good"] + [""] * len(d["alternatives"]))]
    if d.get("references"):
        blocks.append(Table(["Reference to train beside it", "Params", "Why"],
                            [[r["architecture"], f"{r['params']:,}", r["why"]] for r in d["references"]], numeric={1}))
    if d.get("relax"):
        blocks += [Heading("What to relax"), Bullets(list(d["relax"]))]
    if d.get("notes"):
        blocks += [Heading("Notes"), Bullets(list(d["notes"]))]
    return Section("design", d["architecture"], source, headline, blocks)


# ---- monitored run ------------------------------------------------------------------------------

def monitor_section(record, diagnoses: Sequence[Any], source: str | None = None) -> Section:  # noqa: ANN001
    from .diagnose import run_summary

    s = run_summary(record)
    name = Path(record.source).name if record.source else "run"
    found = ", ".join(f"{d.problem} ({d.severity.value})" for d in diagnoses) or "no problems found"
    headline = (f"{name}: {s['model'] or 'a model'}, {s['steps']:,} steps, {s['epochs']} epochs; {found}")
    facts = [("Run", record.source or "—"), ("Model", f"{s['model'] or '—'}"
                                               + (f" ({s['params']:,} parameters)" if s.get("params") else "")),
             ("Optimizer", f"{s['optimizer'] or '—'}" + (f", lr {s['lr']:g}" if s.get("lr") else "")),
             ("Recorded", f"{s['steps']:,} steps ({s['losses']:,} with a loss), {s['sampled_steps']:,} sampled every "
                          f"{s['every']} for per-layer statistics, {s['epochs']} epochs"),
             ("Watched", f"{s['layers']} weighted layers, {s['activations']} activation modules")]
    blocks: list[Any] = [Text(headline, "lead"), Facts(facts)]
    blocks.append(Heading(f"Diagnoses ({len(diagnoses)})"))
    if not diagnoses:
        blocks.append(Text("No problems found: every detector passed."))
    for d in diagnoses:
        blocks.append(Finding(d.severity.value, d.problem, d.summary,
                              evidence=[(k, _value(v)) for k, v in d.evidence.items()],
                              fixes=[p.text for p in d.prescriptions], fixes_label="What to do, in the seed's order"))
    marked: set[str] = set()
    for d in diagnoses:
        for key in ("layers", "nonfinite_grad_layers"):
            marked.update(v for v in d.evidence.get(key, []) or [] if isinstance(v, str))
        for key in ("max_grad_layer", "update_ratio_layer"):
            if isinstance(d.evidence.get(key), str):
                marked.add(d.evidence[key])
    sampled = [st for st in record.steps if st.grad_norm is not None and not st.skipped]
    if record.layers and sampled:
        blocks += [Heading("Gradient flow per layer over time"),
                   Figure(figures.gradient_heatmap(record, sorted(marked)), "gradient norm per layer and sampled step",
                          caption="Layers named in a diagnosis have red labels.", name="gradient-flow")]
        rows = []
        for i, layer in enumerate(record.layers):
            grads = [v for st in sampled if (v := st.grad_norm[i]) is not None and math.isfinite(v)]
            ratios = [v for st in sampled if st.update_ratio and (v := st.update_ratio[i]) is not None
                      and math.isfinite(v)]
            rows.append([layer.name, layer.type, f"{layer.params:,}",
                         f"{statistics.median(grads):.3g}" if grads else "—", f"{grads[-1]:.3g}" if grads else "—",
                         f"{statistics.median(ratios):.3g}" if ratios else "—"])
        blocks.append(Table(["Layer", "Type", "Params", "Median grad norm", "Last grad norm", "Median update/weight"],
                            rows, numeric={2, 3, 4, 5}, collapsed=len(rows) > 30,
                            row_classes=["bad" if layer.name in marked else "" for layer in record.layers],
                            summary=f"{len(rows)} weighted layers"))
    if any(st.loss is not None for st in record.steps) or record.epochs:
        blocks += [Heading("Learning curves"),
                   Figure(figures.learning_curves(record, diagnoses), "loss per step and per epoch, diagnosed regions "
                          "marked", name="learning-curves")]
    if record.epochs:
        def f(v: float | None) -> str:
            return "—" if v is None else f"{v:.4g}"

        blocks.append(Table(["Epoch", "Train loss", "Val loss", "Train metric", "Val metric"],
                            [[str(e.epoch), f(e.train_loss), f(e.val_loss), f(e.train_metric), f(e.val_metric)]
                             for e in record.epochs], numeric={0, 1, 2, 3, 4}, collapsed=len(record.epochs) > 12,
                            summary=f"{len(record.epochs)} epochs"))
    return Section("monitor", name, source, headline, blocks)


# ---- ladder -------------------------------------------------------------------------------------

def ladder_section(r: dict[str, Any], source: str | None = None) -> Section:
    metric = r["metric"]
    rec = next((x for x in r["rungs"] if x["name"] == r["recommended"]), None)
    headline = (f"{r['data']}: recommended {r['recommended']}"
                + (f" ({fmt_score(metric, rec['test_score'], rec['test_std'])} test {metric}, {rec['params']:,} params)"
                   if rec else "") + f"; {len(r['rungs'])} rungs × {len(r['seeds'])} seed{'s' if len(r['seeds']) != 1 else ''} in {fmt_seconds(r['seconds'])}")
    split = r["split"]
    st = r["settings"]
    facts = [("Data", r["inferred"]), ("Split", f"{split['train']:,} train · {split['val']:,} validation · "
                                                f"{split['test']:,} test ({split['order']}; hash {r['split_hash']})"),
             ("Training", f"Adam, learning rate searched over {', '.join(f'{v:g}' for v in st['lrs'])} on validation "
                          f"error; early stopping (patience {st['patience']}); seeds "
                          f"{', '.join(map(str, r['seeds']))}; watched by archwise.Monitor"),
             ("Rule", f"keep a rung only when it cuts the best simpler rung's test error by more than "
                      f"{100 * r['threshold']:.3g} % and the gain exceeds twice the noise"),
             ("Ran on", f"{r['executor']}, {r['workers']} worker{'s' if r['workers'] != 1 else ''}; "
                        f"{r['jobs']['trained']} jobs trained, {r['jobs']['reused']} reused; {fmt_seconds(r['seconds'])}")]
    blocks: list[Any] = [Text(headline, "lead"), Facts(facts),
                         Figure(figures.ladder_scatter(r), "test score against parameters, with error bars",
                                name="ladder")]
    rows, classes = [], []
    for x in r["rungs"]:
        problems = ", ".join(f"{d['problem']} ({d['severity']}, {d['seeds']} seed{'s' if d['seeds'] != 1 else ''})"
                             for d in x["diagnoses"]) or "—"
        verdict = "recommended" if x["name"] == r["recommended"] else ("kept" if x["kept"] else "rejected")
        rows.append([x["name"], x["label"], f"{x['params']:,}", f"{x['lr']:g}" if x.get("lr") is not None else "—",
                     fmt_score(metric, x["train_score"], x["train_std"]), fmt_score(metric, x["test_score"], x["test_std"]),
                     fmt_seconds(x["seconds"]), problems, verdict])
        classes.append("good" if x["kept"] else "muted")
    blocks += [Heading("Rungs, simplest first"),
               Table(["Rung", "What", "Params", "lr", f"Train {metric}", f"Test {metric}", "Time", "Monitor found",
                      "Verdict"], rows, total=["Total", "", "", "", "", "",
                                               fmt_seconds(sum(x["seconds"] for x in r["rungs"])), "", ""],
                     numeric={2, 3, 4, 5, 6}, row_classes=classes),
               Heading("Verdicts"), Bullets([f"{x['name']}: {x['reason']}" for x in r["rungs"]])]
    if r.get("notes"):
        blocks += [Heading("Notes"), Bullets(list(r["notes"]))]
    return Section("ladder", r["data"], source, headline, blocks)
