"""The Lightning and transformers integrations, on tiny real trainings (CPU, a few seconds each).

Each run is checked against an independent reference: a second callback that computes the per-layer
gradient norms itself (Lightning), or the Trainer's own logged losses (transformers).
"""

from __future__ import annotations

import math
import warnings

import lightning as L  # a dev dependency (like accelerate, which the Trainer needs): these tests run in `make test`
import pytest
import torch
import transformers
from torch import nn
from torch.nn import functional as F

import archwise
from archwise.errors import ArchwiseError
from archwise.train.integrations.hf import ArchwiseTrainerCallback
from archwise.train.integrations.lightning import ArchwiseCallback

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _close(a: float, b: float, rel: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def _hooks(model: nn.Module) -> dict[str, tuple]:
    """Every hook dict of every module, by module name (to check the callbacks leave none behind)."""
    names = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
             "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs")
    return {name: tuple(tuple(getattr(m, attr, {}).keys()) for attr in names) for name, m in model.named_modules()}


def _layer_grad_norms(model: nn.Module) -> list[float]:
    """Per module with parameters of its own: the 2-norm of all its gradients (what Monitor calls a layer)."""
    out = []
    for _, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if params:
            out.append(math.sqrt(sum(float(p.grad.double().norm()) ** 2 for p in params if p.grad is not None)))
    return out


# ---- Lightning ------------------------------------------------------------------------------------

def _blobs(n: int, seed: int, d: int = 16, k: int = 3):
    g = torch.Generator().manual_seed(seed)
    teacher = torch.randn(d, k, generator=torch.Generator().manual_seed(123))
    x = torch.randn(n, d, generator=g)
    y = (x @ teacher + 0.5 * torch.randn(n, k, generator=g)).argmax(1)
    return torch.utils.data.TensorDataset(x, y)


class _MLP(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3))
        self.raw_losses: list[float] = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.raw_losses.append(float(loss.detach()))
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        self.log("train_acc", (logits.argmax(1) == y).float().mean(), on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)


class _Reference(L.Callback):
    """Computes per-layer gradient norms itself, and copies what Lightning logged at each epoch's end."""

    def __init__(self) -> None:
        self.grads: list[list[float]] = []
        self.epoch_metrics: list[dict[str, float]] = []
        self.sanity_seen = False

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        self.grads.append(_layer_grad_norms(pl_module))

    def on_validation_epoch_end(self, trainer, pl_module):
        self.sanity_seen |= trainer.sanity_checking

    def on_train_epoch_end(self, trainer, pl_module):
        self.epoch_metrics.append({k: float(v) for k, v in trainer.callback_metrics.items()})


def _fit(cb: ArchwiseCallback, n: int = 512, epochs: int = 3, accumulate: int = 1,
         module: L.LightningModule | None = None):
    torch.manual_seed(0)
    model = module or _MLP()
    ref = _Reference()
    train = torch.utils.data.DataLoader(_blobs(n, 1), batch_size=32, shuffle=True)
    val = torch.utils.data.DataLoader(_blobs(128, 2), batch_size=64)
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, enable_progress_bar=False, logger=False,
                        enable_checkpointing=False, enable_model_summary=False, accumulate_grad_batches=accumulate,
                        callbacks=[cb, ref], num_sanity_val_steps=2)
    before = _hooks(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(model, train, val)
    return model, ref, trainer, before


def test_lightning_records_every_optimizer_step(tmp_path, capsys):
    cb = ArchwiseCallback(every=5, path=tmp_path / "run.jsonl")
    model, ref, trainer, before = _fit(cb)
    mon = cb.monitor
    steps = mon.record.steps
    # one step per optimizer step; the sanity check added none
    assert ref.sanity_seen
    assert len(steps) == trainer.global_step == len(ref.grads) == 48
    assert [s.step for s in steps] == list(range(48))
    # samples every 5 steps, per-layer gradient norms as computed independently
    sampled = [s for s in steps if s.sampled]
    assert [s.step for s in sampled] == list(range(0, 48, 5))
    assert [layer.name for layer in mon.record.layers] == ["net.0", "net.2", "net.4"]
    for s in sampled:
        assert len(s.grad_norm) == 3
        for got, want in zip(s.grad_norm, ref.grads[s.step]):
            assert _close(got, want, 1e-6), (s.step, got, want)
        assert all(r is not None and 0 < r < 1 for r in s.update_ratio)
        assert s.dead[0] is not None and s.saturated[1] is not None   # ReLU and Tanh were watched
    # the step losses are the training_step losses
    for s, raw in zip(steps, model.raw_losses):
        assert _close(s.loss, raw, 1e-6)
    # the time split came from Lightning's hooks
    for s in steps:
        assert set(s.time) == {"total", "data", "forward", "backward", "optimizer"}
        assert s.time["forward"] > 0 and s.time["backward"] > 0 and s.time["optimizer"] > 0 and s.time["data"] >= 0
    # epochs: what Lightning logged, validation included (not the sanity check's)
    epochs = mon.record.epochs
    assert len(epochs) == 3
    for e, logged in zip(epochs, ref.epoch_metrics):
        assert _close(e.train_loss, logged["train_loss_epoch"], 1e-6)
        assert _close(e.val_loss, logged["val_loss"], 1e-6)
        assert _close(e.train_metric, logged["train_acc"], 1e-6)
        assert _close(e.val_metric, logged["val_acc"], 1e-6)
    assert [e.step for e in epochs] == [15, 31, 47]
    assert mon.record.meta["n_train"] == 512
    # hooks removed, record saved and diagnosed
    assert _hooks(model) == before
    assert isinstance(cb.diagnoses, list) and all(isinstance(d, archwise.Diagnosis) for d in cb.diagnoses)
    assert isinstance(mon.diagnose(), list)
    back = archwise.load_record(tmp_path / "run.jsonl")
    assert len(back.steps) == 48 and len(back.epochs) == 3
    assert "archwise:" in capsys.readouterr().out


def test_lightning_gradient_accumulation_is_one_step_per_optimizer_step():
    # 480 samples / 32 = 15 batches per epoch: with accumulation 2, 8 optimizer steps (the last on one batch)
    cb = ArchwiseCallback(every=3, print_diagnoses=False)
    model, ref, trainer, before = _fit(cb, n=480, epochs=2, accumulate=2)
    steps = cb.monitor.record.steps
    assert len(steps) == trainer.global_step == len(ref.grads) == 16
    raw = model.raw_losses
    groups = [raw[i:min(i + 2, 15 * (epoch + 1))] for epoch in range(2) for i in range(15 * epoch, 15 * (epoch + 1), 2)]
    assert len(groups) == 16
    for s, group in zip(steps, groups):
        assert _close(s.loss, sum(group) / len(group), 1e-6)
    for s in (s for s in steps if s.sampled):
        for got, want in zip(s.grad_norm, ref.grads[s.step]):
            assert _close(got, want, 1e-6)
    assert [s.step for s in steps if s.sampled] == [0, 3, 6, 9, 12, 15]
    assert len(cb.monitor.record.epochs) == 2
    assert _hooks(model) == before


class _Failing(_MLP):
    def training_step(self, batch, batch_idx):
        if self.global_step == 7:
            raise RuntimeError("boom")
        return super().training_step(batch, batch_idx)


def test_lightning_removes_hooks_when_training_fails(tmp_path):
    cb = ArchwiseCallback(every=2, path=tmp_path / "run.jsonl", print_diagnoses=False)
    model = _Failing()
    before = _hooks(model)
    with pytest.raises(RuntimeError, match="boom"):
        _fit(cb, epochs=1, module=model)
    assert _hooks(model) == before
    assert len(cb.monitor.record.steps) == 7
    assert isinstance(cb.diagnoses, list)
    assert (tmp_path / "run.jsonl").exists()


def test_callbacks_reject_bad_options():
    with pytest.raises(ArchwiseError, match="every"):
        ArchwiseCallback(every=0)
    with pytest.raises(ArchwiseError, match="unknown option"):
        ArchwiseTrainerCallback(windw=3)


# ---- transformers ---------------------------------------------------------------------------------

class _Tokens(torch.utils.data.Dataset):
    def __init__(self, n: int, seed: int, length: int = 16, vocab: int = 100) -> None:
        g = torch.Generator().manual_seed(seed)
        start = torch.randint(0, vocab, (n, 1), generator=g)
        self.ids = (start + torch.arange(length)) % vocab   # counting sequences: learnable

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


class _Plain(nn.Module):
    """A plain module that returns a dict with "loss" and takes no **kwargs (the Trainer then averages
    micro-batch losses itself), optionally failing at a given training forward."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 16)
        self.head = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 100))
        self.fail_at, self.calls = fail_at, 0

    def forward(self, input_ids, labels=None):
        if self.training:
            self.calls += 1
            if self.calls == self.fail_at:
                raise RuntimeError("boom")
        logits = self.head(self.emb(input_ids))
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten()) if labels is not None else None
        return {"loss": loss, "logits": logits}


def _hf_train(tmp_path, cb, model, accumulate: int = 1, epochs: int = 2, n: int = 64):
    transformers.logging.set_verbosity_error()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), num_train_epochs=epochs, per_device_train_batch_size=8,
        per_device_eval_batch_size=16, gradient_accumulation_steps=accumulate, eval_strategy="epoch",
        logging_steps=1, report_to=[], use_cpu=True, save_strategy="no", learning_rate=5e-3, seed=0,
        dataloader_num_workers=0, disable_tqdm=True)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=_Tokens(n, 1), eval_dataset=_Tokens(16, 2),
                                   callbacks=[cb])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    return trainer


def _tiny_gpt2():
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=100, n_positions=32, n_embd=32, n_layer=2, n_head=2,
                                    bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(config)


def _logged(trainer, key: str) -> list[float]:
    return [row[key] for row in trainer.state.log_history if key in row]


def test_hf_trainer_records_steps_losses_and_evals(tmp_path, capsys):
    model = _tiny_gpt2()
    before = _hooks(model)
    cb = ArchwiseTrainerCallback(every=4, path=tmp_path / "run.jsonl")
    trainer = _hf_train(tmp_path, cb, model)
    mon = cb.monitor
    steps = mon.record.steps
    assert len(steps) == trainer.state.global_step == 16
    losses = _logged(trainer, "loss")
    assert len(losses) == 16
    for s, want in zip(steps, losses):
        assert _close(s.loss, want, 1e-5), (s.step, s.loss, want)
    sampled = [s for s in steps if s.sampled]
    assert [s.step for s in sampled] == [0, 4, 8, 12]
    assert all(g is not None for s in sampled for g in s.grad_norm)
    assert all(r is not None for s in sampled for r in s.update_ratio)
    # the Trainer clips before on_pre_optimizer_step: the recorded gradients are the clipped ones
    # (the logged pre-clip norms exceed 1; no layer's recorded norm does)
    assert mon.record.meta["max_grad_norm"] == 1.0
    assert max(_logged(trainer, "grad_norm")) > 1.0
    assert all(g <= 1.0 + 1e-4 for s in sampled for g in s.grad_norm)
    epochs = mon.record.epochs
    assert len(epochs) == 2
    evals = _logged(trainer, "eval_loss")
    assert len(evals) == 2
    for e, want in zip(epochs, evals):
        assert _close(e.val_loss, want, 1e-6)
    for i, e in enumerate(epochs):
        assert _close(e.train_loss, sum(s.loss for s in steps[8 * i:8 * (i + 1)]) / 8, 1e-6)
    assert mon.record.meta["n_train"] == 64
    assert _hooks(model) == before
    assert isinstance(cb.diagnoses, list) and isinstance(mon.diagnose(), list)
    assert len(archwise.load_record(tmp_path / "run.jsonl").steps) == 16
    assert "archwise:" in capsys.readouterr().out


def test_hf_gradient_accumulation_averages_micro_batches(tmp_path):
    # 72 samples / 8 = 9 micro-batches per epoch, accumulation 2: 5 optimizer steps (the last on one batch)
    torch.manual_seed(0)
    model = _Plain()
    cb = ArchwiseTrainerCallback(every=2, print_diagnoses=False)
    trainer = _hf_train(tmp_path, cb, model, accumulate=2, n=72)
    steps = cb.monitor.record.steps
    assert len(steps) == trainer.state.global_step == 10
    losses = _logged(trainer, "loss")
    assert len(losses) == 10
    for s, want in zip(steps, losses):
        assert _close(s.loss, want, 1e-5), (s.step, s.loss, want)
    assert len(cb.monitor.record.epochs) == 2 and all(e.val_loss is not None for e in cb.monitor.record.epochs)
    assert _hooks(model) == _hooks(_Plain())


def test_hf_removes_hooks_when_training_fails(tmp_path):
    torch.manual_seed(0)
    model = _Plain(fail_at=6)
    before = _hooks(model)
    cb = ArchwiseTrainerCallback(every=2, print_diagnoses=False)
    with pytest.raises(RuntimeError, match="boom"), cb:
        _hf_train(tmp_path, cb, model, epochs=1)
    assert _hooks(model) == before
    assert len(cb.monitor.record.steps) == 5
    assert isinstance(cb.diagnoses, list)
    cb.close()   # idempotent
    assert _hooks(model) == before
