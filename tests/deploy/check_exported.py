#!/usr/bin/env python3
"""Checks an exported hwnas model from Python against LibTorch's logits (tests/deploy).

  check_exported.py torchscript MODEL IMAGES REF N TOL   torch.jit.load with hwnas.json
  check_exported.py onnx MODEL IMAGES REF N TOL          onnx checker, strict shape inference,
                                                         and a NumPy evaluation of the graph

IMAGES: N x C x H x W float32 pixels in [0, 1]; REF: N x classes float32 logits (raw files).
Prints "max_abs_diff X"; exits 1 when X > TOL or the metadata is incomplete. The NumPy evaluator
follows the ONNX operator specifications (opset 13) for the operators hwnas exports; it stands in
for a runtime where OpenCV 4.6 cannot run the graph and Debian has no onnxruntime.
"""
import json
import sys

import numpy as np


def load_torchscript(path):
    import torch
    files = {"hwnas.json": ""}
    model = torch.jit.load(path, _extra_files=files)
    meta = json.loads(files["hwnas.json"])
    assert list(model.class_names) == meta["class_names"], "class_names attribute differs"
    return meta, lambda x: model(torch.from_numpy(x)).detach().numpy()


def conv(x, w, b, strides, pads, group):
    n, c, h, wd = x.shape
    out_c, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - kh) // strides[0] + 1
    ow = (x.shape[3] - kw) // strides[1] + 1
    patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    patches = patches[:, :, ::strides[0], ::strides[1]][:, :, :oh, :ow]
    og = out_c // group
    y = np.concatenate([np.einsum("ncyxij,ocij->noyx", patches[:, g * cg:(g + 1) * cg].astype(np.float64),
                                  w[g * og:(g + 1) * og].astype(np.float64)) for g in range(group)], axis=1)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def per_axis(v, x, axis):
    if v.ndim == 0:
        return v
    shape = [1] * x.ndim
    shape[axis] = -1
    return v.reshape(shape)


def quantize(x, scale, zero, axis=1):
    info = np.iinfo(zero.dtype)
    q = np.round(x / per_axis(scale, x, axis)) + per_axis(zero, x, axis).astype(np.float32)
    return np.clip(q, info.min, info.max).astype(zero.dtype)


def dequantize(q, scale, zero, axis=1):
    return ((q.astype(np.int32) - per_axis(zero, q, axis).astype(np.int32)).astype(np.float32)
            * per_axis(scale, q, axis)).astype(np.float32)


def run_node(node, v):
    from onnx import helper
    a = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
    i = [v[name] for name in node.input]
    t = node.op_type
    if t in ("Sub", "Div", "Mul", "Add"):
        return getattr(np, {"Sub": "subtract", "Div": "divide", "Mul": "multiply", "Add": "add"}[t])(
            i[0], i[1]).astype(np.float32)
    if t == "Relu":
        return np.maximum(i[0], np.float32(0))
    if t == "Round":
        return np.round(i[0])  # half to even, as the specification says
    if t == "Clip":
        return np.clip(i[0], i[1], i[2])
    if t == "Conv":
        k = len(a["kernel_shape"])
        return conv(i[0], i[1], i[2] if len(i) > 2 else None, a.get("strides", [1] * k),
                    a.get("pads", [0] * 2 * k), a.get("group", 1))
    if t == "QuantizeLinear":
        return quantize(i[0], i[1], i[2], a.get("axis", 1))
    if t == "DequantizeLinear":
        return dequantize(i[0], i[1], i[2], a.get("axis", 1))
    if t == "GlobalAveragePool":
        return i[0].mean(axis=(2, 3), keepdims=True, dtype=np.float64).astype(np.float32)
    if t == "Flatten":
        return i[0].reshape(i[0].shape[0], -1)
    if t == "Gemm":
        b = i[1].T if a.get("transB", 0) else i[1]
        return (i[0].astype(np.float64) @ b.astype(np.float64) + i[2]).astype(np.float32)
    raise NotImplementedError(t)


def load_onnx(path):
    import onnx
    from onnx import numpy_helper, shape_inference
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    meta = {p.key[len("hwnas."):]: p.value for p in model.metadata_props if p.key.startswith("hwnas.")}
    for key in ("class_names", "mean", "stddev", "input_shape", "operator_bits", "netspec"):
        meta[key] = json.loads(meta[key])
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}

    def run(x):
        values = dict(inits, **{model.graph.input[0].name: x})
        for node in model.graph.node:
            values[node.output[0]] = run_node(node, values)
        return values[model.graph.output[0].name]
    return meta, run


def main():
    mode, model, images, ref, n, tol = sys.argv[1:7]
    meta, run = (load_torchscript if mode == "torchscript" else load_onnx)(model)
    c, h, w = meta["input_shape"]
    x = np.fromfile(images, dtype=np.float32).reshape(int(n), c, h, w)
    expected = np.fromfile(ref, dtype=np.float32).reshape(int(n), -1)
    assert len(meta["class_names"]) == expected.shape[1] and len(meta["mean"]) == c
    got = run(x)
    diff = float(np.abs(got - expected).max())
    flips = int((got.argmax(1) != expected.argmax(1)).sum())
    print(f"max_abs_diff {diff:.3g} top1_changed {flips}")
    return 0 if diff <= float(tol) else 1


if __name__ == "__main__":
    sys.exit(main())
