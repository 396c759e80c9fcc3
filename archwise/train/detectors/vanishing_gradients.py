"""vanishing_gradients: some layers get gradients orders of magnitude below the others' (or below an
absolute floor) while the loss is not improving well."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, fmt
from ..record import TrainingRecord
from ._advice import check_initialization, normalize_inputs, weighted_depth
from ._signals import Signals, label, layer_ranges

PROBLEM = "vanishing_gradients"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    norms = sig.layer_medians("grad_norm")
    present = [(i, g) for i, g in enumerate(norms) if g is not None]
    if len(present) < 2:
        return None
    top_i, top = max(present, key=lambda item: item[1])
    if top <= 0:
        return None
    low = sig.vanishing_layers()
    if not low:
        return None
    smallest = min(norms[i] for i in low)
    ranges = layer_ranges(low, record.layers)
    evidence = {"layers": [record.layers[i].name for i in low], "min_grad_norm": smallest,
                "max_grad_norm": top, "max_grad_layer": record.layers[top_i].name, "loss_drop": sig.drop,
                "depth": weighted_depth(record)}
    severity, gate = sig.gate()
    highest = max(norms[i] for i in low)
    spread = fmt(smallest) if smallest == highest else f"{fmt(smallest)}–{fmt(highest)}"
    top_layer = record.layers[top_i]
    summary = (f"layers {ranges} have gradient norms {spread} while {label(top_layer.name, top_layer.type)} has "
               f"{fmt(top)}{gate}")
    depth = weighted_depth(record)
    skip = Prescription("add_skip_connections", f"add skip connections (residual blocks) across {ranges}: the "
                        f"network has {depth} weighted layers in sequence and the seed adds skips past 10")
    lr = sig.lr()
    # the seed adds skips for depth; a shallow network's gradients vanish for another reason
    # (dead or saturated units, initialisation), so there the first remedy is the initialisation
    prescriptions = ((skip,) if depth > 10 else ()) + (check_initialization(record),
                     Prescription("check_learning_rate", f"check the learning rate{f' ({fmt(lr)})' if lr else ''}: "
                                  "with vanishing gradients a lower one stabilises the top layers while the bottom "
                                  "ones catch up"),
                     normalize_inputs(sig))
    return Diagnosis(PROBLEM, severity, summary, evidence, prescriptions)
