"""The CNN builders reproduce the published parameter counts (torchvision's models), both by their
closed-form formula and by the built model (built on the meta device: no memory, no init cost)."""

from __future__ import annotations

import pytest
import torch

from archwise.design.zoo import arch_params, create_arch
from archwise.errors import ArchwiseError

IMAGENET = {"img_size": 224, "in_chans": 3, "num_outputs": 1000}
PUBLISHED = [
    ("resnet", {"depth": 18, "width": 64, "block": "basic"}, 11_689_512),  # ResNet-18
    ("resnet", {"depth": 50, "width": 64, "block": "bottleneck"}, 25_557_032),  # ResNet-50
    ("densenet", {"growth": 32, "block_config": [6, 12, 24, 16], "init_features": 64}, 7_978_856),  # DenseNet-121
    ("mobilenetv2", {"width_mult": 1.0, "depth_mult": 1.0}, 3_504_872),  # MobileNetV2
    ("efficientnet", {"phi": 0.0}, 5_288_548),  # EfficientNet-B0
]


@pytest.mark.parametrize("name,kwargs,count", PUBLISHED,
                         ids=["resnet18", "resnet50", "densenet121", "mobilenetv2", "efficientnet_b0"])
def test_published_parameter_count(name, kwargs, count):
    kwargs = {**kwargs, **IMAGENET}
    assert arch_params(name, **kwargs) == count
    with torch.device("meta"):
        model = create_arch(name, **kwargs)
    assert sum(p.numel() for p in model.parameters()) == count


def test_resnet_layouts():
    assert create_arch("resnet", depth=20).cfg.stages == 3  # CIFAR ResNet-20: 3 stages of 3 basic blocks
    assert len(create_arch("resnet", depth=20).blocks) == 9
    with torch.device("meta"):
        assert len(create_arch("resnet", depth=34, width=64, img_size=224).blocks) == 16  # [3, 4, 6, 3]
        assert len(create_arch("resnet", depth=101, block="bottleneck", width=8, img_size=224).blocks) == 33
    with pytest.raises(ArchwiseError, match=r"depth = 6n\+2"):
        create_arch("resnet", depth=21)
    with pytest.raises(ArchwiseError, match=r"depth = 9n\+2"):
        create_arch("resnet", depth=26, block="bottleneck")


def test_se_resnet_adds_only_the_gates():
    plain = arch_params("resnet", depth=20, width=16)
    se = arch_params("se_resnet", depth=20, width=16, se_ratio=0.25)
    # 9 blocks of 16/32/64 channels, squeeze c/4: 2·c·c/4 + c/4 + c per block
    assert se - plain == sum(3 * (2 * c * c // 4 + c // 4 + c) for c in (16, 32, 64))


@pytest.mark.parametrize("name", ["resnet", "se_resnet", "densenet", "mobilenetv2", "efficientnet", "inception"])
@pytest.mark.parametrize("img_size", [8, 13, 65, 100])
def test_small_and_odd_inputs_keep_a_map(name, img_size):
    sizes = {"resnet": {"width": 8}, "se_resnet": {"width": 8}, "densenet": {"growth": 4, "block_config": [1, 1, 1, 1]},
             "mobilenetv2": {"width_mult": 0.25, "depth_mult": 0.3}, "efficientnet": {"width_mult": 0.25,
             "depth_mult": 0.3}, "inception": {"width": 16, "depth": 1}}[name]
    if name in ("resnet", "se_resnet") and img_size > 64:
        sizes["depth"] = 10  # 4 stages of 1 basic block
    model = create_arch(name, img_size=img_size, num_outputs=2, **sizes).eval()
    out = model(torch.randn(2, 3, img_size, img_size))
    assert out.shape == (2, 2) and torch.isfinite(out).all()


def test_resnet_depth_alone_picks_the_papers_layout():
    """`archwise profile zoo:resnet --kwargs '{"depth": 18}'`: the paper's 4-stage ResNet-18 at width 64;
    at 32 px with a 3×3 stem and 10 classes it is the usual CIFAR ResNet-18, 11,173,962 parameters."""
    import torch

    from archwise.design.zoo import arch_params, create_arch

    assert arch_params("resnet", depth=18) == 11_173_962
    with torch.device("meta"):
        model = create_arch("resnet", depth=18)
    assert (model.cfg.stages, model.cfg.width, model.cfg.block) == (4, 64, "basic")
    with torch.device("meta"):
        assert create_arch("resnet", depth=50, img_size=224, num_outputs=1000).cfg.block == "bottleneck"
    assert arch_params("resnet", depth=50, img_size=224, num_outputs=1000) == 25_557_032
    assert arch_params("resnet", depth=20) == 272_474  # other depths: CIFAR's 6n+2 layout, width 16
