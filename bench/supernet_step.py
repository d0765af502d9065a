#!/usr/bin/python3
"""The fmnist-mbconv supernet steps of bench/supernet_step_bench.cpp in PyTorch's Python API.

Reference point for the C++ benchmark: the same supernet (configs/spaces/fmnist-mbconv.yaml,
hard-coded below), the same weight step (one path sampled from softmax(alpha), cross-entropy,
SGD with momentum 0.9) and architecture steps (ProxylessNAS full_v2 and two-path binary gates,
cross-entropy + 0.1 * (E[MACs] - T) / T, Adam with betas (0, 0.999)), batch 128, and the same
output layout, which bench/supernet_speed.sh parses. Default (contiguous) memory format unless
--channels-last.

Run with Debian's interpreter, which has python3-torch (the same LibTorch version):
  /usr/bin/python3 bench/supernet_step.py [--threads 2] [--steps 20] [--channels-last]
"""

import argparse
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- configs/spaces/fmnist-mbconv.yaml ----------------------------------------------------------
INPUT_CHANNELS, INPUT_SIZE, CLASSES = 1, 28, 10
STEM = dict(out=16, kernel=3, stride=1)
FIRST = dict(out=16, expand=1, kernel=3)
STAGES = [(24, 2, 2), (40, 3, 2), (80, 2, 1)]  # (width, depth, stride of the first block)
CANDIDATES = [(3, 3), (3, 6), (5, 3), (5, 6), (7, 3), (7, 6)]  # (kernel, expand): k3e3 ... k7e6
ALLOW_SKIP = True
MIX = 160

BATCH = 128
WARMUP = 3
LATENCY_WEIGHT = 0.1
TARGET_MMACS = 10.0


def out_size(size, stride):
    return (size - 1) // stride + 1  # padding kernel // 2, odd kernels


class ConvBnAct(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu6(x) if self.act else x


class MBConv(nn.Module):
    def __init__(self, cin, cout, kernel, expand, stride, shortcut):
        super().__init__()
        mid = cin * expand
        self.expand = ConvBnAct(cin, mid, 1) if mid != cin else None
        self.depthwise = ConvBnAct(mid, mid, kernel, stride, groups=mid)
        self.project = ConvBnAct(mid, cout, 1, act=False)
        self.shortcut = shortcut

    def forward(self, x):
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return y + x if self.shortcut else y


def mbconv_macs(cin, cout, kernel, expand, stride, size):
    """LayerFlops of an MBConv (core/netspec.cpp)."""
    mid = cin * expand
    out = out_size(size, stride)
    return (size * size * cin * mid if mid != cin else 0) + out * out * (
        kernel * kernel * mid + mid * cout)


class BinaryGate(torch.autograd.Function):
    """y = o_active(x) passes through; alpha gets the ProxylessNAS binary-gate gradient.

    dL/dg_j = <o_j(x), dL/dy> for every gated candidate j, the unsampled ones recomputed under
    no_grad in the backward pass (full_v2), then dL/dalpha_i = sum_j dL/dg_j p_j (delta_ij - p_i).
    """

    @staticmethod
    def forward(ctx, y, alpha, x, mixed):
        ctx.mixed, ctx.x, ctx.y = mixed, x.detach(), y.detach()
        return y.view_as(y)

    @staticmethod
    def backward(ctx, grad_y):
        alpha_grad = None
        if ctx.needs_input_grad[1]:
            alpha_grad = ctx.mixed.alpha_gradient(ctx.x, ctx.y, grad_y)
        return grad_y, alpha_grad, None, None


class MixedOp(nn.Module):
    """One searchable block: the candidate MBConvs, then the zero op (no module) if allowed."""

    def __init__(self, cin, cout, stride, size, skip):
        super().__init__()
        shortcut = stride == 1 and cin == cout
        self.ops = nn.ModuleList(MBConv(cin, cout, k, e, stride, shortcut) for k, e in CANDIDATES)
        self.n = len(CANDIDATES) + (1 if skip else 0)
        self.alpha = nn.Parameter(torch.zeros(self.n))
        self.costs = [mbconv_macs(cin, cout, k, e, stride, size) / 1e6 for k, e in CANDIDATES]
        if skip:
            self.costs.append(0.0)
        self.active, self.gated, self.pair, self.p, self.skip_frozen = 0, [], [], None, False

    def is_skip(self, j):
        return j == len(self.ops)

    def sample(self, mode):
        for p in self.ops.parameters():  # ProxylessNAS clears candidate grads at every binarize
            p.grad = None
        self.gated, self.pair, self.skip_frozen = [], [], False
        probs = F.softmax(self.alpha.detach(), 0)
        if mode == "two":
            self.pair = torch.multinomial(probs, 2, replacement=False).tolist()
            self.pair_alpha_before = self.alpha.detach()[self.pair].clone()
            pair_p = F.softmax(self.pair_alpha_before, 0)
            self.active = self.pair[torch.multinomial(pair_p, 1).item()]
            self.gated, self.p = self.pair, pair_p
        else:
            self.active = torch.multinomial(probs, 1).item()
            if mode == "full_v2":
                self.gated, self.p = list(range(self.n)), probs
        if mode != "path" and self.is_skip(self.active):
            self.skip_frozen, self.gated = True, []
            self.alpha.grad = None

    def forward(self, x):
        if self.is_skip(self.active):
            return x
        y = self.ops[self.active](x)
        if not self.gated or not torch.is_grad_enabled():
            return y
        return BinaryGate.apply(y, self.alpha, x, self)

    @torch.no_grad()
    def alpha_gradient(self, x, y, grad_y):
        g = torch.empty(len(self.gated), dtype=torch.float64)
        for i, j in enumerate(self.gated):
            o = y if j == self.active else x if self.is_skip(j) else self.ops[j](x)
            g[i] = (o * grad_y).sum(dtype=torch.float64)
        p = self.p.double()
        grad = torch.zeros(self.n, dtype=torch.float64)
        grad[self.gated] = p * (g - (g * p).sum())  # = sum_j g_j p_j (delta_ij - p_i)
        return grad.to(self.alpha.dtype)

    def path_probabilities(self):
        p = F.softmax(self.alpha, 0)
        if self.pair:
            p = torch.zeros_like(self.alpha).index_put(
                (torch.tensor(self.pair),), F.softmax(self.alpha[self.pair], 0))
        return p.detach() if self.skip_frozen else p

    @torch.no_grad()
    def rescale_pair(self):
        if not self.pair:
            return
        now = self.alpha[self.pair]
        offset = torch.logsumexp(now, 0) - torch.logsumexp(self.pair_alpha_before, 0)
        self.alpha[self.pair] -= offset
        self.pair_alpha_before = now - offset


class SuperNet(nn.Module):
    def __init__(self):
        super().__init__()
        size = INPUT_SIZE
        self.stem = ConvBnAct(INPUT_CHANNELS, STEM["out"], STEM["kernel"], STEM["stride"])
        fixed = size * size * STEM["kernel"] ** 2 * INPUT_CHANNELS * STEM["out"]
        size = out_size(size, STEM["stride"])
        # The fixed first block: no shortcut, as in ProxylessNAS.
        self.first = MBConv(STEM["out"], FIRST["out"], FIRST["kernel"], FIRST["expand"], 1, False)
        fixed += mbconv_macs(STEM["out"], FIRST["out"], FIRST["kernel"], FIRST["expand"], 1, size)
        cin = FIRST["out"]
        blocks = []
        for width, depth, stride in STAGES:
            for i in range(depth):
                s = stride if i == 0 else 1
                skip = ALLOW_SKIP and s == 1 and cin == width
                blocks.append(MixedOp(cin, width, s, size, skip))
                size, cin = out_size(size, s), width
        self.blocks = nn.ModuleList(blocks)
        self.mix = ConvBnAct(cin, MIX, 1)
        self.classifier = nn.Linear(MIX, CLASSES)
        self.fixed_mmacs = (fixed + size * size * cin * MIX + MIX * CLASSES) / 1e6

    def forward(self, x):
        x = self.first(self.stem(x))
        for b in self.blocks:
            x = b(x)
        return self.classifier(self.mix(x).mean((2, 3)))

    def weight_parameters(self):
        return [p for n, p in self.named_parameters() if not n.endswith("alpha")]

    def arch_parameters(self):
        return [b.alpha for b in self.blocks]

    def sample(self, mode):
        for b in self.blocks:
            b.sample(mode)

    def expected_mmacs(self):
        total = torch.tensor(self.fixed_mmacs, dtype=torch.float64)
        for b in self.blocks:
            costs = torch.tensor(b.costs, dtype=torch.float64)
            total = total + (b.path_probabilities().double() * costs).sum()
        return total


def to_channels_last(module):
    # A forced copy: 1x1, depthwise and single-channel weights count as channels-last contiguous
    # already, so module.to(memory_format=...) would leave them NCHW (see supernet/network.cpp).
    with torch.no_grad():
        for p in module.parameters():
            if p.dim() == 4:
                p.data = p.data.clone(memory_format=torch.channels_last)


def images_per_second(kind, steps, channels_last):
    torch.manual_seed(0)
    random.seed(1)
    net = SuperNet()
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        to_channels_last(net)
    weight_optimizer = torch.optim.SGD(net.weight_parameters(), lr=0.01, momentum=0.9)
    arch_optimizer = torch.optim.Adam(net.arch_parameters(), lr=1e-3, betas=(0.0, 0.999))
    images = torch.randn(BATCH, INPUT_CHANNELS, INPUT_SIZE, INPUT_SIZE).contiguous(
        memory_format=memory_format)
    labels = torch.randint(CLASSES, (BATCH,), dtype=torch.int64)

    def weight_step():
        net.sample("path")
        loss = F.cross_entropy(net(images), labels)
        weight_optimizer.zero_grad()
        loss.backward()
        weight_optimizer.step()

    def arch_step(mode):
        net.sample(mode)
        ce = F.cross_entropy(net(images), labels)
        loss = ce + LATENCY_WEIGHT * (net.expected_mmacs() - TARGET_MMACS) / TARGET_MMACS
        arch_optimizer.zero_grad()
        loss.backward()
        arch_optimizer.step()
        if mode == "two":
            for b in net.blocks:
                b.rescale_pair()

    step = {
        "weight": weight_step,
        "arch-full_v2": lambda: arch_step("full_v2"),
        "arch-two": lambda: arch_step("two"),
    }[kind]
    for _ in range(WARMUP):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * BATCH / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--kinds", default="weight,arch-full_v2,arch-two")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fmt = "channels-last" if args.channels_last else "contiguous"
    print(f"# Python torch {torch.__version__} supernet fmnist-mbconv, batch {BATCH}, "
          f"{WARMUP} warm-up + {args.steps} timed steps, {fmt}")
    print(f"{'step':<13} {'threads':>7} {'images/s':>9}", flush=True)
    for kind in args.kinds.split(","):
        ips = images_per_second(kind, args.steps, args.channels_last)
        print(f"{kind:<13} {args.threads:>7} {ips:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
