"""Graph neural networks for node classification, built on PyTorch Geometric's message-passing layers.

- GCN (Kipf & Welling, 2017, "Semi-Supervised Classification with Graph Convolutional Networks"):
  symmetric-normalised neighbour averaging with self-loops, ``GCNConv``.
- GraphSAGE (Hamilton et al., 2017, "Inductive Representation Learning on Large Graphs"): the
  node's own features plus the mean of its neighbours', each through its own weight, ``SAGEConv``.
- GAT (Veličković et al., 2018, "Graph Attention Networks"): learned attention over neighbours,
  several heads concatenated in hidden layers and one head at the output, ``GATConv``.

The model takes node features x (N, in_features) and edges edge_index (2, E) of int64 node ids, and
returns per-node logits (N, num_outputs); ReLU and dropout come between the layers.
"""

from dataclasses import dataclass

import torch.nn as nn
import torch.nn.functional as F
from torch_geometric.nn import GATConv, GCNConv, SAGEConv


@dataclass
class GNNConfig:
    conv: str = "gcn"  # "gcn", "sage" or "gat"
    in_features: int = 16  # features per node
    hidden: int = 64  # hidden width (for GAT: all heads together)
    layers: int = 2  # graph convolutions; the last one outputs num_outputs
    num_outputs: int = 7  # classes per node (logits) or regression targets
    dropout: float = 0.5  # on node features between layers
    heads: int = 4  # GAT attention heads in hidden layers (hidden must divide by it); unused otherwise


def make_conv(cfg: GNNConfig, width_in: int, width_out: int, last: bool) -> nn.Module:
    """One graph convolution from width_in to width_out features per node."""
    if cfg.conv == "gcn":
        return GCNConv(width_in, width_out)
    if cfg.conv == "sage":
        return SAGEConv(width_in, width_out)  # mean aggregation, root weight
    if last:  # GAT output layer: one head
        return GATConv(width_in, width_out, heads=1, concat=False)
    return GATConv(width_in, width_out // cfg.heads, heads=cfg.heads)  # heads concatenated → width_out


class GNN(nn.Module):
    def __init__(self, cfg: GNNConfig):
        super().__init__()
        assert cfg.conv in ("gcn", "sage", "gat"), f"conv must be 'gcn', 'sage' or 'gat', found {cfg.conv!r}"
        assert cfg.layers >= 1, "a GNN needs at least one layer"
        assert cfg.conv != "gat" or cfg.hidden % cfg.heads == 0, f"hidden={cfg.hidden} must divide by heads={cfg.heads}"
        self.cfg = cfg
        widths = [cfg.in_features] + [cfg.hidden] * (cfg.layers - 1) + [cfg.num_outputs]
        self.convs = nn.ModuleList([make_conv(cfg, widths[i], widths[i + 1], last=i == cfg.layers - 1)
                                    for i in range(cfg.layers)])

    def forward(self, x, edge_index):
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index)  # (N, width_in) → (N, width_out)
            if i < len(self.convs) - 1:
                x = F.dropout(F.relu(x), p=self.cfg.dropout, training=self.training)
        return x  # (N, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _conv_params(conv, width_in, width_out, heads, last):
    if conv == "gcn":
        return width_in * width_out + width_out
    if conv == "sage":  # lin_l (with bias) on the neighbour mean, lin_r (no bias) on the node itself
        return 2 * width_in * width_out + width_out
    h, c = (1, width_out) if last else (heads, width_out // heads)  # GAT: heads × per-head channels
    return width_in * h * c + 2 * h * c + (c if last else h * c)  # lin (no bias), att_src, att_dst, bias


def _gnn_params(conv, in_features, hidden, layers, num_outputs, heads=1, **_):
    widths = [in_features] + [hidden] * (layers - 1) + [num_outputs]
    return sum(_conv_params(conv, widths[i], widths[i + 1], heads, i == layers - 1) for i in range(layers))


def _graph(batch, in_features, num_nodes, num_edges, **_):
    return [(num_nodes, in_features), f"int64:2x{num_edges}:0..{num_nodes}"]  # one graph: batch is not used


_SIZES = ({"in_features": 8, "hidden": 16, "layers": 2, "num_outputs": 3, "num_nodes": 20, "num_edges": 60},
          {"in_features": 32, "hidden": 64, "layers": 3, "num_outputs": 7, "num_nodes": 50, "num_edges": 200})


@register_arch(family="gnn", params=lambda **kw: _gnn_params("gcn", **kw), inputs=_graph, test_sizes=_SIZES,
               needs=("torch_geometric",))
def gcn(in_features=16, hidden=64, layers=2, num_outputs=7, dropout=0.5, num_nodes=100, num_edges=400):
    """Graph convolutional network node classifier (Kipf & Welling 2017)."""
    return GNN(GNNConfig("gcn", in_features, hidden, layers, num_outputs, dropout))


@register_arch(family="gnn", params=lambda **kw: _gnn_params("sage", **kw), inputs=_graph, test_sizes=_SIZES,
               needs=("torch_geometric",))
def sage(in_features=16, hidden=64, layers=2, num_outputs=7, dropout=0.5, num_nodes=100, num_edges=400):
    """GraphSAGE node classifier, mean aggregation (Hamilton et al. 2017)."""
    return GNN(GNNConfig("sage", in_features, hidden, layers, num_outputs, dropout))


@register_arch(family="gnn", params=lambda **kw: _gnn_params("gat", **kw), inputs=_graph, test_sizes=_SIZES,
               needs=("torch_geometric",))
def gat(in_features=16, hidden=64, layers=2, num_outputs=7, dropout=0.5, heads=4, num_nodes=100, num_edges=400):
    """Graph attention network node classifier: multi-head attention over neighbours (Veličković et al. 2018)."""
    assert hidden % heads == 0, f"hidden={hidden} must divide by heads={heads}"
    return GNN(GNNConfig("gat", in_features, hidden, layers, num_outputs, dropout, heads))
