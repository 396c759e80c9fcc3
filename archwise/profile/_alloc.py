"""Live tensor storage bytes over one simulated step, and what was live at the peak.

A ``TorchDispatchMode`` registers the storage of every tensor an op returns; a weak reference
on the storage object removes it again when its last view dies (PyTorch keeps a storage's
Python object alive exactly as long as the storage). Each storage gets a record with the event
at which it was allocated and freed, so what was live at the peak can be classified after the
step, when it is known which storages became gradients or optimizer state.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["StorageTracker", "Record"]


@dataclass
class Record:
    nbytes: int
    allocated: int  # event index
    freed: int | None = None  # event index, None while alive
    tag: str | None = None  # "weights", "weight_copies", "gradients", "optimizer_state", "activations"; None: transient
    op: str = ""  # the op that allocated it

    def live_at(self, event: int) -> bool:
        return self.allocated <= event and (self.freed is None or self.freed > event)


class StorageTracker(TorchDispatchMode):
    """Tracks the bytes of live storages; ``peak`` and ``peak_event`` cover events since ``reset_peak``."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[Record] = []
        self._by_storage: dict[int, int] = {}  # id(storage object) -> record index, while alive
        self._refs: dict[int, Any] = {}
        self.events = 0
        self.current = 0
        self.peak = 0
        self.peak_event = -1
        self.peak_phase = ""
        self.phase = ""
        self.phase_peaks: dict[str, int] = {}
        self.phase_peak_events: dict[str, int] = {}
        self.op = ""  # the aten op being run
        self.peak_op = ""

    # --- recording ------------------------------------------------------------------------------
    def track(self, tensors: Iterable[Any]) -> None:
        for t in tensors:
            if isinstance(t, torch.Tensor):
                self._track(t)

    def _track(self, t: torch.Tensor) -> None:
        storage = t.untyped_storage()
        key = id(storage)
        if key in self._by_storage:
            return
        nbytes = storage.nbytes()
        self.events += 1
        self.records.append(Record(nbytes, self.events, op=self.op))
        self._by_storage[key] = len(self.records) - 1
        self._refs[key] = weakref.ref(storage, lambda _, key=key: self._free(key))
        self.current += nbytes
        self._note()

    def _free(self, key: int) -> None:
        index = self._by_storage.pop(key, None)
        self._refs.pop(key, None)
        if index is None:
            return
        self.events += 1
        record = self.records[index]
        record.freed = self.events
        self.current -= record.nbytes

    def _note(self) -> None:
        if self.current > self.phase_peaks.get(self.phase, -1):
            self.phase_peaks[self.phase] = self.current
            self.phase_peak_events[self.phase] = self.events
        if self.current > self.peak:
            self.peak, self.peak_event, self.peak_phase, self.peak_op = self.current, self.events, self.phase, self.op

    def reset_peak(self) -> None:
        self.peak, self.peak_event, self.peak_phase, self.peak_op = self.current, self.events, self.phase, self.op
        self.phase_peaks = {}
        self.phase_peak_events = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        self.op = func.__name__
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor):
            self._track(out)
            if func is torch.ops.aten._to_copy.default and isinstance(args[0], torch.Tensor):
                source = self.record_of(args[0])  # a weight cast to another dtype (autocast's copies)
                if source is not None and source.tag == "weights":
                    self.tag([out], "weight_copies")
        elif isinstance(out, (tuple, list)):
            for t in out:
                if isinstance(t, torch.Tensor):
                    self._track(t)
        return out

    # --- reading --------------------------------------------------------------------------------
    def record_of(self, t: torch.Tensor) -> Record | None:
        index = self._by_storage.get(id(t.untyped_storage()))
        return self.records[index] if index is not None else None

    def tag(self, tensors: Iterable[Any], tag: str, overwrite: bool = False) -> None:
        for t in tensors:
            if isinstance(t, torch.Tensor) and (record := self.record_of(t)) is not None:
                if overwrite or record.tag is None:
                    record.tag = tag

    def live_at(self, event: int) -> list[Record]:
        return [r for r in self.records if r.live_at(event)]

    def live_at_peak(self) -> list[Record]:
        return self.live_at(self.peak_event)
