"""What each aten op means for the structure: weighted layers, families, joins.

The tracer looks ops up here by their overload packet (``torch.ops.aten.addmm``), so every
overload (``.default``, ``.out``, in-place ``_``) is covered by one entry.
"""

from __future__ import annotations

import torch
from torch import nn

aten = torch.ops.aten


# Which operands of a matrix product are the two matrices.
MATMUL_OPERANDS = {
    aten.mm: (0, 1), aten.bmm: (0, 1), aten.mv: (0, 1),
    aten.addmm: (1, 2), aten.baddbmm: (1, 2), aten.addbmm: (1, 2), aten.addmv: (1, 2),
    aten._addmm_activation: (1, 2),
}
CONV_OPS = {
    aten.convolution, aten._convolution, aten.convolution_overrideable, aten.cudnn_convolution,
    aten.mkldnn_convolution, aten._slow_conv2d_forward, aten.slow_conv3d_forward,
    aten.cudnn_convolution_transpose, aten.slow_conv_transpose2d, aten.slow_conv_transpose3d,
}
ATTENTION_OPS = {
    aten._scaled_dot_product_flash_attention_for_cpu, aten._scaled_dot_product_flash_attention,
    aten._scaled_dot_product_efficient_attention, aten._scaled_dot_product_cudnn_attention,
    aten._scaled_dot_product_fused_attention_overrideable, aten._flash_attention_forward,
    aten._efficient_attention_forward, aten._native_multi_head_attention,
    aten._transformer_encoder_layer_fwd,
}
SOFTMAX_OPS = {aten._softmax, aten._safe_softmax, aten.softmax, aten._log_softmax}
NORM_OPS = {
    aten.native_batch_norm: "batch_norm", aten._native_batch_norm_legit: "batch_norm",
    aten._native_batch_norm_legit_no_training: "batch_norm", aten.cudnn_batch_norm: "batch_norm",
    aten.native_layer_norm: "layer_norm", aten.native_group_norm: "group_norm",
    aten._fused_rms_norm: "rms_norm",
}
ACTIVATION_OPS = {
    aten.relu: "relu", aten.relu_: "relu", aten.gelu: "gelu", aten.gelu_: "gelu", aten.silu: "silu",
    aten.silu_: "silu", aten.sigmoid: "sigmoid", aten.sigmoid_: "sigmoid", aten.tanh: "tanh",
    aten.tanh_: "tanh", aten.leaky_relu: "leaky_relu", aten.leaky_relu_: "leaky_relu", aten.elu: "elu",
    aten.elu_: "elu", aten.hardswish: "hardswish", aten.hardswish_: "hardswish",
    aten.hardsigmoid: "hardsigmoid", aten.hardsigmoid_: "hardsigmoid", aten.mish: "mish",
    aten.mish_: "mish", aten.softplus: "softplus", aten._prelu_kernel: "prelu", aten.glu: "glu",
    aten.hardtanh: "hardtanh", aten.hardtanh_: "hardtanh", aten.log_sigmoid_forward: "log_sigmoid",
}
POOL_OPS = {
    aten.max_pool2d_with_indices, aten.max_pool3d_with_indices, aten.max_pool1d, aten.max_pool2d,
    aten.avg_pool1d, aten.avg_pool2d, aten.avg_pool3d, aten._adaptive_avg_pool2d,
    aten._adaptive_avg_pool3d, aten.adaptive_max_pool2d, aten.adaptive_max_pool3d, aten.mean,
}
# Modules that compute an activation or a norm elementwise (HF's NewGELUActivation, LlamaRMSNorm):
# the family comes from the class name, and the ops inside them do not add families of their own.
FAMILY_BY_CLASS = (
    ("GELU", "gelu"), ("SiLU", "silu"), ("Swish", "silu"), ("Mish", "mish"),
    ("RMSNorm", "rms_norm"), ("RmsNorm", "rms_norm"),
)
EMBEDDING_OPS = {aten.embedding, aten._embedding_bag, aten.embedding_bag}
RECURRENT_MODULES = (nn.RNNBase, nn.RNNCellBase)


def is_spatial_mean(args: tuple) -> bool:
    """A mean over the spatial dims of an image-like (N, C, H, W[, D]) tensor: global average pooling."""
    x, dims = args[0], args[1] if len(args) > 1 else None
    if not isinstance(x, torch.Tensor) or x.dim() < 4 or not dims:
        return False
    return all((d % x.dim()) >= 2 for d in dims)


def family_of_class(name: str) -> str | None:
    return next((family for key, family in FAMILY_BY_CLASS if key in name), None)
