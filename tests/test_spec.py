"""The input grammar shared by the CLI and the API: [NAME=][DTYPE:]DIMxDIM...[:LOW..HIGH]."""

from __future__ import annotations

import pytest
import torch

import archwise
from archwise import InputSpec, parse_input
from archwise.spec import normalize_inputs


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1x3x224x224", InputSpec((1, 3, 224, 224))),
        ("int64:1x128", InputSpec((1, 128), torch.int64)),
        ("bf16:2x8", InputSpec((2, 8), torch.bfloat16)),
        ("  4 × 16 ", InputSpec((4, 16))),
        ("int64:2x500:0..100", InputSpec((2, 500), torch.int64, 0, 100)),
        ("mask=bool:1x16", InputSpec((1, 16), torch.bool, name="mask")),
    ],
)
def test_parse_input(text, expected):
    assert parse_input(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("1x0x3", "'0' is not a positive integer"),
        ("1x-3", "'-3' is not a positive integer"),
        ("", "expected [DTYPE:]DIMxDIMx"),
        ("float32:2x3:0..5", "a value range applies to integer dtypes only"),
        ("int64:2x3:5..1", "is empty"),
        ("int64:2x3:a..b", "should be LOW..HIGH"),
        ("quad:2x3", "unknown dtype 'quad'; known: float32"),
        ("1 name=2x3", "not a valid argument name"),
    ],
)
def test_malformed_inputs_fail_with_one_clear_line(text, message):
    with pytest.raises(archwise.ArchwiseError, match=None) as err:
        parse_input(text)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_normalize_accepts_every_documented_form():
    t = torch.zeros(2, 3)
    args, kwargs = normalize_inputs([t, (1, 4), ((2, 5), torch.int64), ((2, 5), "int32"), "x=int64:1x2"])
    assert args[0] is t
    assert args[1:] == [InputSpec((1, 4)), InputSpec((2, 5), torch.int64), InputSpec((2, 5), torch.int32)]
    assert kwargs == {"x": InputSpec((1, 2), torch.int64, name="x")}
    assert normalize_inputs((1, 3, 8, 8))[0] == [InputSpec((1, 3, 8, 8))]
    assert normalize_inputs(((1, 8), "int64"))[0] == [InputSpec((1, 8), torch.int64)]
    assert normalize_inputs(torch.Size([2, 2]))[0] == [InputSpec((2, 2))]


def test_normalize_rejects_what_is_not_an_input():
    with pytest.raises(archwise.ArchwiseError, match="cannot use dict"):
        normalize_inputs([{"a": 1}])
    with pytest.raises(archwise.ArchwiseError, match="no model inputs"):
        normalize_inputs([])
    with pytest.raises(archwise.ArchwiseError, match="positional input follows a named one"):
        normalize_inputs(["x=1x2", "1x2"])


def test_real_values_for_a_real_run():
    assert InputSpec((2, 3), torch.int64).real().eq(0).all()
    ranged = InputSpec((1000,), torch.int64, 5, 9).real(torch.Generator().manual_seed(0))
    assert ranged.min() >= 5 and ranged.max() < 9
    assert InputSpec((2,), torch.bool).real().all()


def test_profile_rejects_non_modules():
    with pytest.raises(archwise.ArchwiseError, match="expected a torch.nn.Module"):
        archwise.profile(lambda x: x, [(1, 2)])
