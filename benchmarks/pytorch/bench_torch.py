#!/usr/bin/env python3
"""Times convnet4j's benchmark shapes in PyTorch (cuDNN underneath), for comparison on the same card.

Layers: every convolution of LeNet-5, AlexNet (227x227, paper filters) and AlexNet-OWT (224x224,
convnet-benchmarks' "one weird trick" filters), each pass separately: fwd, bwd_data, bwd_filter
(aten.convolution_backward with one output mask each). Networks: a whole training step (forward, loss,
backward, SGD update) of lenet5 (batch 64), alexnet-owt and alexnet (batch 128), and torchvision's
resnet18, resnet34 and googlenet (batch 128, no auxiliary classifiers), with peak memory.
Kernels: max pool 3x3/2, ReLU and softmax cross-entropy throughput in GB/s, and a device-to-device copy
as the bandwidth reference.

float32 throughout, torch.backends.cudnn.benchmark = True (cuDNN's fastest algorithm, found during the
warm-up), run once with TF32 off and once with TF32 on (--no-tf32: off only). Times are medians of
CUDA-event timings after warm-up. With --graph each network's step is also captured in a CUDA graph
(torch.cuda.CUDAGraph, as in PyTorch's "whole network capture" example) and its replays timed:
"torch_graph_step_ms", the step without launch overhead.
Usage: python3 bench_torch.py [--out FILE.json] [--iters N] [--quick] [--no-tf32] [--graph]
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    TORCH_MISSING = None
except ImportError as e:  # the report says "not available: reason"
    TORCH_MISSING = f"PyTorch not installed: {e}"

# (network, layer, batch, C, H, W, FN, FH, stride, pad[, groups]); groups defaults to 1. CaffeNet's conv1 and
# conv3 are AlexNet's; its grouped conv2, conv4 and conv5 (Caffe's group: 2) are listed on their own.
CONV_LAYERS = [
    ("lenet5", "conv1", 64, 1, 28, 28, 6, 5, 1, 2),
    ("lenet5", "conv2", 64, 6, 14, 14, 16, 5, 1, 0),
    ("alexnet", "conv1", 128, 3, 227, 227, 96, 11, 4, 0),
    ("alexnet", "conv2", 128, 96, 27, 27, 256, 5, 1, 2),
    ("alexnet", "conv3", 128, 256, 13, 13, 384, 3, 1, 1),
    ("alexnet", "conv4", 128, 384, 13, 13, 384, 3, 1, 1),
    ("alexnet", "conv5", 128, 384, 13, 13, 256, 3, 1, 1),
    ("caffenet", "conv2", 128, 96, 27, 27, 256, 5, 1, 2, 2),
    ("caffenet", "conv4", 128, 384, 13, 13, 384, 3, 1, 1, 2),
    ("caffenet", "conv5", 128, 384, 13, 13, 256, 3, 1, 1, 2),
    ("alexnet-owt", "conv1", 128, 3, 224, 224, 64, 11, 4, 2),
    ("alexnet-owt", "conv2", 128, 64, 27, 27, 192, 5, 1, 2),
    ("alexnet-owt", "conv3", 128, 192, 13, 13, 384, 3, 1, 1),
    ("alexnet-owt", "conv4", 128, 384, 13, 13, 256, 3, 1, 1),
    ("alexnet-owt", "conv5", 128, 256, 13, 13, 256, 3, 1, 1),
    ("vgg16", "conv1_1", 64, 3, 224, 224, 64, 3, 1, 1),
    ("vgg16", "conv1_2", 64, 64, 224, 224, 64, 3, 1, 1),
    ("vgg16", "conv2_1", 64, 64, 112, 112, 128, 3, 1, 1),
    ("vgg16", "conv2_2", 64, 128, 112, 112, 128, 3, 1, 1),
    ("vgg16", "conv3_1", 64, 128, 56, 56, 256, 3, 1, 1),
    ("vgg16", "conv3_2", 64, 256, 56, 56, 256, 3, 1, 1),
    ("vgg16", "conv4_1", 64, 256, 28, 28, 512, 3, 1, 1),
    ("vgg16", "conv4_2", 64, 512, 28, 28, 512, 3, 1, 1),
    ("vgg16", "conv5_1", 64, 512, 14, 14, 512, 3, 1, 1),
]


def timed(fn, iters, warmup=5):
    """Median milliseconds of fn() over iters runs, each timed with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def conv_layers(iters):
    rows = []
    for net, name, n, c, h, w, fn, k, s, p, *grouped in CONV_LAYERS:
        g = grouped[0] if grouped else 1
        x = torch.randn(n, c, h, w, device="cuda")
        wt = torch.randn(fn, c // g, k, k, device="cuda") * 0.01
        y = F.conv2d(x, wt, stride=s, padding=p, groups=g)
        dy = torch.randn_like(y)
        oh, ow = y.shape[2], y.shape[3]
        flops = 2.0 * n * fn * oh * ow * (c // g) * k * k  # one multiply-add per weight per output

        def bwd(mask):
            return lambda: torch.ops.aten.convolution_backward(
                dy, x, wt, None, [s, s], [p, p], [1, 1], False, [0, 0], g, mask)

        passes = {
            "fwd": lambda: F.conv2d(x, wt, stride=s, padding=p, groups=g),
            "bwd_data": bwd([True, False, False]),
            "bwd_filter": bwd([False, True, False]),
        }
        for pname, fn_ in passes.items():
            ms = timed(fn_, iters)
            rows.append({"network": net, "name": f"{net}/{name}", "pass": pname, "batch": n,
                         "torch_ms": ms, "gflop_per_s": flops / ms / 1e6})
        del x, wt, y, dy
    return rows


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def alexnet():
    lrn = lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), lrn(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))


def alexnet_owt():
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))


def torchvision_model(name, **kwargs):
    """torchvision's definition, untrained (GoogLeNet without its auxiliary classifiers, as ours)."""
    import torchvision
    return lambda: getattr(torchvision.models, name)(weights=None, **kwargs)


NETWORKS = [("lenet5", lenet5, 64, (1, 28, 28), 10),
            ("alexnet-owt", alexnet_owt, 128, (3, 224, 224), 1000),
            ("alexnet", alexnet, 128, (3, 227, 227), 1000),
            ("resnet18", torchvision_model("resnet18"), 128, (3, 224, 224), 1000),
            ("resnet34", torchvision_model("resnet34"), 128, (3, 224, 224), 1000),
            ("googlenet", torchvision_model("googlenet", aux_logits=False, init_weights=True), 128, (3, 224, 224),
             1000)]


def graph_step_ms(model, opt, x, t, iters):
    """Median ms of replaying one training step captured in a CUDA graph. The warm-up runs on a side stream
    (it also lets cudnn.benchmark pick its algorithms and SGD create its momentum buffers), the gradients are
    None at capture so that backward writes them from the graph's pool, as PyTorch's docs show."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), t).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        F.cross_entropy(model(x), t).backward()
        opt.step()
    return timed(graph.replay, iters)


def networks(iters, graph):
    rows = []
    for name, make, batch, shape, classes in NETWORKS:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        try:
            model = make().cuda().train()
        except ImportError as e:  # torchvision's models where torchvision is missing: the others still run
            print(f"skipped {name}: {e}", file=sys.stderr)
            continue
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = torch.randn(batch, *shape, device="cuda")
        t = torch.randint(0, classes, (batch,), device="cuda")

        def step():
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(model(x), t).backward()
            opt.step()

        ms = timed(step, iters)
        row = {"name": name, "batch": batch, "torch_step_ms": ms,
               "images_per_second": batch / ms * 1e3,
               "torch_peak_mib": torch.cuda.max_memory_allocated() / 2**20}
        if graph:
            try:
                row["torch_graph_step_ms"] = graph_step_ms(model, opt, x, t, iters)
            except RuntimeError as e:  # a capture that fails must not cost the eager numbers
                row["torch_graph_step_ms"] = f"not available: {e}".splitlines()[0]
        rows.append(row)
        del model, opt, x, t
    return rows


def kernels(iters):
    rows = []
    n = 256 * 2**20 // 4  # 256 MiB of floats
    a = torch.randn(n, device="cuda")
    b = torch.empty_like(a)
    ms = timed(lambda: b.copy_(a), iters)
    rows.append({"name": "d2d_copy", "gb_per_s": 2 * 4 * n / ms / 1e6})
    ms = timed(lambda: torch.relu(a), iters)
    rows.append({"name": "relu_fwd", "gb_per_s": 2 * 4 * n / ms / 1e6})
    x = torch.randn(128, 96, 55, 55, device="cuda")
    ms = timed(lambda: F.max_pool2d(x, 3, 2), iters)
    out = 128 * 96 * 27 * 27
    rows.append({"name": "maxpool3x3s2_fwd_alexnet", "gb_per_s": 4 * (x.numel() + out) / ms / 1e6})
    logits = torch.randn(4096, 1000, device="cuda")
    labels = torch.randint(0, 1000, (4096,), device="cuda")
    ms = timed(lambda: F.cross_entropy(logits, labels), iters)
    rows.append({"name": "softmax_xent_fwd_4096x1000", "gb_per_s": 4 * logits.numel() / ms / 1e6})
    return rows


def run(tf32, iters, quick, graph=False):
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    result = {"tf32": tf32, "layers": conv_layers(iters), "networks": networks(iters, graph)}
    if not quick:
        result["kernels"] = kernels(iters)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="-")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="skip the bandwidth kernels")
    ap.add_argument("--no-tf32", action="store_true", help="skip the TF32 run (the report uses the fp32 one)")
    ap.add_argument("--graph", action="store_true", help="also time each network's step as a CUDA graph")
    args = ap.parse_args()
    if TORCH_MISSING is not None:
        report = {"available": False, "reason": TORCH_MISSING}
    elif not torch.cuda.is_available():
        report = {"available": False, "reason": "PyTorch sees no CUDA device"}
    else:
        report = {
            "available": True,
            "date": time.strftime("%Y-%m-%d"),
            "device": torch.cuda.get_device_name(),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(),
            "iters": args.iters,
            "fp32": run(False, args.iters, args.quick, args.graph),
        }
        if not args.no_tf32:
            report["tf32"] = run(True, args.iters, True)
    text = json.dumps(report, indent=1)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
