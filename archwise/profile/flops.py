"""FLOP formulas: torch's own registry, plus the kernels it does not count.

Convention: one multiply-accumulate (MAC) is 2 FLOPs, and only multiply-accumulates are
counted (matrix products, convolutions, attention, recurrent cells, sparse aggregation).
Elementwise work (activations, normalisation, bias adds, softmax) is not counted, as in
``torch.utils.flop_counter``, fvcore and the published MAC figures of papers.

``torch.utils.flop_counter.flop_registry`` covers ``mm``, ``addmm``, ``bmm``, ``baddbmm``,
convolutions and the CUDA attention kernels. On top of it this module counts:

* ``_scaled_dot_product_flash_attention_for_cpu`` (+ backward): the kernel that
  ``F.scaled_dot_product_attention`` runs on a real CPU; torch counts it as 0.
* ``mkldnn_rnn_layer`` (+ backward) and ``_cudnn_rnn`` (+ backward): the fused LSTM/GRU/RNN
  kernels that ``nn.LSTM`` runs on a CPU and on CUDA; torch counts them as 0.
* ``_native_multi_head_attention`` and ``_transformer_encoder_layer_fwd``: the inference fast
  path of ``nn.MultiheadAttention`` and ``nn.TransformerEncoderLayer``.
* ``mv``, ``addmv``, ``dot``, ``vdot``, ``addbmm``, ``_addmm_activation``.
* ``convolution_backward``, replaced: torch 2.13 ignores ``groups`` in the weight gradient and
  counts a depthwise convolution's backward C times too high (the fix is pytorch/pytorch#183405).
  Each gradient (input, weight) costs exactly the forward convolution's MACs.
* sparse aggregation (``scatter_add``, ``index_add``, ``scatter_reduce`` with sum or mean):
  one MAC per aggregated element, which is what message passing in a graph network costs
  (the sparse product Â·X). The tracer counts these only when they aggregate activations.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import torch
from torch.utils.flop_counter import conv_flop_count, flop_registry, sdpa_backward_flop_count, sdpa_flop_count

__all__ = ["count_flops", "SPARSE_AGGREGATION_OPS", "CONVENTION"]

CONVENTION = "FLOPs = 2 × MACs (one multiply-accumulate counts as 2 FLOPs); elementwise ops are not counted"

aten = torch.ops.aten
_EXTRA: dict[Any, Callable[..., int]] = {}


def _formula(*packets: Any) -> Callable[[Callable[..., int]], Callable[..., int]]:
    def register(fn: Callable[..., int]) -> Callable[..., int]:
        for packet in packets:
            _EXTRA[packet] = fn
        return fn

    return register


def _flops_of_rnn_weights(tokens: int, weights: list[torch.Tensor]) -> int:
    # Every step multiplies each 2-D weight matrix (W_ih: G·H × I, W_hh: G·H × H) by one vector.
    return 2 * tokens * sum(w.numel() for w in weights if isinstance(w, torch.Tensor) and w.dim() == 2)


@_formula(aten._scaled_dot_product_flash_attention_for_cpu, aten._scaled_dot_product_fused_attention_overrideable)
def _sdpa_cpu(query, key, value, *args, out=None, **kwargs) -> int:
    return sdpa_flop_count(query.shape, key.shape, value.shape)


@_formula(aten._scaled_dot_product_flash_attention_for_cpu_backward, aten._scaled_dot_product_fused_attention_overrideable_backward)
def _sdpa_cpu_backward(grad_out, query, key, value, *args, out=None, **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out.shape, query.shape, key.shape, value.shape)


@_formula(aten.mkldnn_rnn_layer)
def _mkldnn_rnn_layer(input, weight0, weight1, *args, out=None, **kwargs) -> int:
    return _flops_of_rnn_weights(prod(input.shape[:-1]), [weight0, weight1])


@_formula(aten.mkldnn_rnn_layer_backward)
def _mkldnn_rnn_layer_backward(input, weight1, weight2, *args, out=None, **kwargs) -> int:
    # Gradients with respect to the inputs and to the weights: two products per forward product.
    return 2 * _flops_of_rnn_weights(prod(input.shape[:-1]), [weight1, weight2])


@_formula(aten._cudnn_rnn)
def _cudnn_rnn(input, weight, *args, out=None, **kwargs) -> int:
    return _flops_of_rnn_weights(prod(input.shape[:-1]), list(weight))


@_formula(aten._cudnn_rnn_backward)
def _cudnn_rnn_backward(input, weight, *args, out=None, **kwargs) -> int:
    return 2 * _flops_of_rnn_weights(prod(input.shape[:-1]), list(weight))


def _mha_macs(batch: int, len_q: int, len_kv: int, embed: int) -> int:
    projections = batch * (len_q + 2 * len_kv) * embed * embed + batch * len_q * embed * embed
    attention = 2 * batch * len_q * len_kv * embed  # Q·Kᵀ and A·V over all heads
    return projections + attention


@_formula(aten._native_multi_head_attention)
def _native_mha(query, key, value, embed_dim, *args, out=None, **kwargs) -> int:
    batch = prod(query.shape[:-2]) if query.dim() > 2 else 1
    return 2 * _mha_macs(batch, query.shape[-2], key.shape[-2], embed_dim)


@_formula(aten._transformer_encoder_layer_fwd)
def _encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight, qkv_bias, proj_weight, proj_bias, use_gelu,
                       norm_first, eps, nw1, nb1, nw2, nb2, ffn_weight_1, *args, out=None, **kwargs) -> int:
    batch = prod(src.shape[:-2]) if src.dim() > 2 else 1
    tokens = batch * src.shape[-2]
    ffn = 2 * tokens * ffn_weight_1.numel()  # two matrices of the same size: E×F and F×E
    return 2 * (_mha_macs(batch, src.shape[-2], src.shape[-2], embed_dim) + ffn)


@_formula(aten.convolution_backward)
def _conv_backward(grad_out, x, w, bias_sizes, stride, padding, dilation, transposed, output_padding, groups,
                   output_mask, out=None, **kwargs) -> int:
    # The forward, the input gradient and the weight gradient multiply the same pairs of numbers.
    forward = conv_flop_count(list(x.shape), list(w.shape), list(grad_out.shape), transposed=transposed)
    return forward * (int(output_mask[0]) + int(output_mask[1]))


@_formula(aten.mv, aten.addmv)
def _mv(*args, out=None, **kwargs) -> int:
    mat = args[0] if args[0].dim() == 2 else args[1]
    return 2 * mat.numel()


@_formula(aten.dot, aten.vdot)
def _dot(a, b, *args, out=None, **kwargs) -> int:
    return 2 * a.numel()


@_formula(aten.addbmm)
def _addbmm(self, batch1, batch2, *args, out=None, **kwargs) -> int:
    b, n, k = batch1.shape
    return 2 * b * n * k * batch2.shape[-1]


@_formula(aten._addmm_activation)
def _addmm_activation(self, mat1, mat2, *args, out=None, **kwargs) -> int:
    return 2 * mat1.shape[0] * mat1.shape[1] * mat2.shape[1]


def aggregation_source(func: Any, args: tuple, kwargs: dict) -> torch.Tensor | None:
    """The tensor being aggregated by a sum/mean scatter, or None if ``func`` is not one."""
    packet = func.overloadpacket
    if packet in (aten.scatter_add, aten.scatter_add_, aten.index_add, aten.index_add_):
        src = args[3] if len(args) > 3 else kwargs.get("src", kwargs.get("source"))
        return src
    if packet in (aten.scatter_reduce, aten.scatter_reduce_):
        reduce = args[4] if len(args) > 4 else kwargs.get("reduce")
        return args[3] if reduce in ("sum", "mean") else None
    return None


SPARSE_AGGREGATION_OPS = frozenset(
    {aten.scatter_add, aten.scatter_add_, aten.index_add, aten.index_add_, aten.scatter_reduce, aten.scatter_reduce_}
)


def count_flops(func: Any, args: tuple, kwargs: dict, out: Any) -> int:
    """FLOPs of one dispatched aten op (0 for ops that do no multiply-accumulates).

    Example:
        >>> a, b = torch.empty(4, 8, device="meta"), torch.empty(8, 16, device="meta")
        >>> count_flops(torch.ops.aten.mm.default, (a, b), {}, torch.empty(4, 16, device="meta"))
        1024
    """
    packet = func.overloadpacket
    formula = _EXTRA.get(packet)
    if formula is not None:
        return int(formula(*args, out=out, **kwargs))
    formula = flop_registry.get(packet)
    if formula is not None:
        return int(formula(*args, **kwargs, out_val=out))
    if packet in SPARSE_AGGREGATION_OPS:
        src = aggregation_source(func, args, kwargs)
        if isinstance(src, torch.Tensor) and (src.dtype.is_floating_point or src.dtype.is_complex):
            return 2 * src.numel()
    return 0
