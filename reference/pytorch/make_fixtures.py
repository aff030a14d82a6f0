#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures that TypedNets' C# tests compare against.

In the spirit of llm.c's test_gpt2: PyTorch is run once, here, and its results are
committed as JSON under tests/Fixtures/pytorch/, so the C# test suite can check
TypedNets against real PyTorch without needing Python.

Run from anywhere (the output directory is found from this file's location):

    /usr/bin/python3 reference/pytorch/make_fixtures.py

Everything is float64, single-threaded and seeded per fixture, so the output is
byte-for-byte deterministic for a given PyTorch build. See reference/README.md for
the JSON format.
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(REPO_ROOT, "tests", "Fixtures", "pytorch")

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

WRITTEN = []


# --------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------

def _num(x):
    """A float rendered by repr(): the shortest string that round-trips to the same double."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError("non-finite value in fixture: %r" % x)
    return repr(x)


def _value(v, indent):
    """JSON for config values (numbers, strings, bools, lists of those)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        if any(isinstance(e, dict) for e in v):
            pad = "  " * (indent + 1)
            return ("[\n" + ",\n".join(pad + _value(e, indent + 1) for e in v) + "\n" + "  " * indent + "]")
        return "[" + ", ".join(_value(e, indent) for e in v) + "]"
    if isinstance(v, dict):
        return _object(v, indent)
    raise TypeError("unsupported config value %r" % (v,))


def _object(d, indent):
    if not d:
        return "{}"
    pad = "  " * (indent + 1)
    items = [pad + json.dumps(k) + ": " + _value(v, indent + 1) for k, v in d.items()]
    return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"


def _tensor_json(t, indent):
    t = t.detach().to(torch.float64).contiguous()
    shape = list(t.shape)
    data = t.reshape(-1).tolist()
    pad = "  " * (indent + 1)
    return ("{\n" + pad + '"shape": ' + json.dumps(shape) + ",\n"
            + pad + '"data": [' + ", ".join(_num(x) for x in data) + "]\n"
            + "  " * indent + "}")


def write_fixture(name, description, config, tensors, scalars):
    for key, t in tensors.items():
        assert isinstance(t, torch.Tensor), key
        assert t.dim() >= 1, "%s/%s: use scalars for 0-d values" % (name, key)
        assert torch.isfinite(t).all(), "%s/%s is not finite" % (name, key)
    for key, s in scalars.items():
        assert math.isfinite(float(s)), "%s/%s is not finite" % (name, key)

    lines = ["{"]
    lines.append('  "name": ' + json.dumps(name) + ",")
    lines.append('  "description": ' + json.dumps(description) + ",")
    lines.append('  "config": ' + _object(config, 1) + ",")
    if tensors:
        body = ",\n".join("    " + json.dumps(k) + ": " + _tensor_json(t, 2) for k, t in tensors.items())
        lines.append('  "tensors": {\n' + body + "\n  },")
    else:
        lines.append('  "tensors": {},')
    lines.append('  "scalars": ' + _object({k: float(v) for k, v in scalars.items()}, 1))
    lines.append("}")
    text = "\n".join(lines) + "\n"

    json.loads(text)  # must be valid JSON
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    WRITTEN.append(path)


def seed(s):
    torch.manual_seed(s)


def close(a, b, tol=1e-12):
    return torch.allclose(torch.as_tensor(a), torch.as_tensor(b), rtol=tol, atol=tol)


# --------------------------------------------------------------------------------------
# 1. Losses
# --------------------------------------------------------------------------------------

LOSS_NOTE = ("Tensors: input (the network output the loss is applied to), target, grad.input (dLoss/dinput by "
             "autograd). Scalar loss uses reduction='mean' (PyTorch default).")


def loss_fixture(name, description, module, x, target, config, extra_tensors=None, extra_scalars=None):
    x = x.clone().requires_grad_(True)
    loss = module(x, target)
    loss.backward()
    tensors = {"input": x, "target": target, "grad.input": x.grad}
    if extra_tensors:
        tensors.update(extra_tensors)
    scalars = {"loss": loss.item()}
    if extra_scalars:
        scalars.update(extra_scalars)
    write_fixture(name, description + " " + LOSS_NOTE, config, tensors, scalars)
    return loss.item(), x.grad


def make_regression_losses():
    seed(1001)
    x = torch.randn(5, 3)
    t = torch.randn(5, 3)
    loss, g = loss_fixture(
        "mse", "nn.MSELoss on predictions [5,3] vs targets [5,3]: mean over all 15 elements of (input-target)^2; "
        "grad = 2*(input-target)/15.",
        nn.MSELoss(), x, t, {"loss": "MSELoss", "reduction": "mean"})
    assert close(g, 2 * (x - t) / x.numel())

    seed(1002)
    x = torch.randn(5, 3)
    t = torch.randn(5, 3)
    loss, g = loss_fixture(
        "mae", "nn.L1Loss on predictions [5,3] vs targets [5,3]: mean over all 15 elements of |input-target|; "
        "grad = sign(input-target)/15 (no residual is exactly 0).",
        nn.L1Loss(), x, t, {"loss": "L1Loss", "reduction": "mean"})
    assert close(g, torch.sign(x - t) / x.numel())

    for name, seed_value, delta in (("huber", 1003, 1.0), ("huber_delta_0_5", 1004, 0.5)):
        seed(seed_value)
        x = 2.0 * torch.randn(5, 3)
        t = torch.randn(5, 3)
        r = x - t
        n_big = int((r.abs() > delta).sum())
        assert 0 < n_big < r.numel(), "want residuals on both sides of delta"
        loss, g = loss_fixture(
            name, "nn.HuberLoss(delta=%r) on predictions [5,3] vs targets [5,3]; %d of 15 residuals exceed delta. "
            "Per element: 0.5*r^2 if |r| <= delta else delta*(|r| - 0.5*delta), mean over all elements; "
            "grad = clamp(r, -delta, delta)/15." % (delta, n_big),
            nn.HuberLoss(delta=delta), x, t, {"loss": "HuberLoss", "delta": delta, "reduction": "mean"},
            extra_scalars={"residuals_above_delta": n_big})
        assert close(g, r.clamp(-delta, delta) / r.numel())


CE_NOTE = ("input holds the logits [batch, classes]; probabilities = softmax(input, dim=1). "
           "Mean reduction divides by the batch size.")


def ce_probability_path(probabilities, target_log_weights):
    """Loss computed from probabilities: -mean_over_batch(sum_c w[n,c] * log p[n,c]), with its gradient."""
    p = probabilities.detach().clone().requires_grad_(True)
    loss = -(target_log_weights * torch.log(p)).sum(dim=1).mean()
    loss.backward()
    return loss.item(), p.grad


def make_cross_entropy():
    # Integer class targets.
    seed(1101)
    logits = torch.randn(6, 4) * 2.0
    classes = torch.tensor([0, 3, 1, 2, 3, 0])
    probs = F.softmax(logits, dim=1)
    onehot = F.one_hot(classes, 4).to(torch.float64)
    loss_p, grad_p = ce_probability_path(probs, onehot)
    loss, g = loss_fixture(
        "cross_entropy_indices",
        "nn.CrossEntropyLoss on logits [6,4] with integer class targets. target holds the class indices stored "
        "as floats (0.0..3.0). " + CE_NOTE + " grad.input = (softmax - onehot)/6. The probability path: "
        "loss_from_probabilities = -mean(log probabilities[n, target[n]]) equals loss, and grad.probabilities "
        "is its gradient w.r.t. the probabilities (-1/(6 p) at the target class, 0 elsewhere).",
        nn.CrossEntropyLoss(), logits, classes,
        {"loss": "CrossEntropyLoss", "target_kind": "class_indices", "reduction": "mean"},
        extra_tensors={"probabilities": probs, "grad.probabilities": grad_p},
        extra_scalars={"loss_from_probabilities": loss_p})
    assert close(g, (probs - onehot) / 6) and close(loss, loss_p)
    _check_target_stored_as_floats("cross_entropy_indices", classes)

    # The same logits and classes as one-hot probability targets: loss and gradient must match.
    loss_oh, g_oh = loss_fixture(
        "cross_entropy_onehot",
        "nn.CrossEntropyLoss on logits [6,4] with one-hot probability targets [6,4] (the same logits and "
        "classes as cross_entropy_indices, whose results these must equal; target_indices holds the classes "
        "as floats). " + CE_NOTE + " grad.input = (softmax - target)/6. loss_from_probabilities = "
        "-mean(sum_c target*log(probabilities)); grad.probabilities is its gradient w.r.t. the probabilities.",
        nn.CrossEntropyLoss(), logits, onehot,
        {"loss": "CrossEntropyLoss", "target_kind": "probabilities", "reduction": "mean"},
        extra_tensors={"target_indices": classes.to(torch.float64), "probabilities": probs,
                       "grad.probabilities": grad_p},
        extra_scalars={"loss_from_probabilities": loss_p})
    assert close(loss_oh, loss) and close(g_oh, g)

    # Soft probability targets.
    seed(1102)
    logits = torch.randn(6, 4) * 2.0
    target = F.softmax(torch.randn(6, 4) * 1.5, dim=1)
    assert close(target.sum(dim=1), torch.ones(6))
    probs = F.softmax(logits, dim=1)
    loss_p, grad_p = ce_probability_path(probs, target)
    loss, g = loss_fixture(
        "cross_entropy_probabilities",
        "nn.CrossEntropyLoss on logits [6,4] with soft probability targets [6,4] (each row sums to 1). "
        + CE_NOTE + " loss = -mean_n sum_c target*log_softmax(input); grad.input = (softmax - target)/6. "
        "loss_from_probabilities = -mean(sum_c target*log(probabilities)); grad.probabilities is its gradient "
        "w.r.t. the probabilities (-target/(6 p)).",
        nn.CrossEntropyLoss(), logits, target,
        {"loss": "CrossEntropyLoss", "target_kind": "probabilities", "reduction": "mean"},
        extra_tensors={"probabilities": probs, "grad.probabilities": grad_p},
        extra_scalars={"loss_from_probabilities": loss_p})
    assert close(g, (probs - target) / 6) and close(loss, loss_p)

    # Numerical stability: logits around +-1000.
    seed(1103)
    signs = torch.tensor([[1, -1, 1, -1], [-1, 1, 1, -1], [1, 1, -1, -1],
                          [-1, -1, 1, 1], [1, -1, -1, 1], [-1, 1, -1, 1]], dtype=torch.float64)
    logits = signs * (1000.0 + 5.0 * torch.randn(6, 4))
    classes = torch.tensor([0, 0, 1, 2, 3, 3])  # a mix of "right" (large positive) and "wrong" classes
    probs = F.softmax(logits, dim=1)
    loss, g = loss_fixture(
        "cross_entropy_large_logits",
        "nn.CrossEntropyLoss on logits of magnitude ~1000 ([6,4], signs mixed) with integer class targets "
        "stored as floats; a naive exp() overflows, a log-sum-exp implementation gives the finite loss and "
        "gradient recorded here. Some targets are the largest logit of their row (per-row loss ~0), others "
        "are far below it (per-row loss up to ~2000). probabilities = softmax(input) (contains exact 0s and 1s in float64; no probability-path "
        "loss is recorded since log(0) is infinite). " + CE_NOTE,
        nn.CrossEntropyLoss(), logits, classes,
        {"loss": "CrossEntropyLoss", "target_kind": "class_indices", "reduction": "mean"},
        extra_tensors={"probabilities": probs})
    assert math.isfinite(loss) and torch.isfinite(g).all() and loss > 100
    _check_target_stored_as_floats("cross_entropy_large_logits", classes)


def _check_target_stored_as_floats(name, classes):
    """Integer class targets are written as float64 by _tensor_json; confirm the file holds them as floats."""
    with open(os.path.join(OUT_DIR, name + ".json"), encoding="utf-8") as f:
        data = json.load(f)
    assert data["tensors"]["target"]["data"] == [float(c) for c in classes.tolist()]


BCE_NOTE = ("input holds the logits [6,1]; target is 0.0/1.0; probabilities = sigmoid(input). Mean over all "
            "elements; grad.input = (sigmoid(input) - target)/6.")


def make_bce():
    seed(1201)
    logits = torch.randn(6, 1) * 2.0
    target = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0]])
    probs = torch.sigmoid(logits)
    p = probs.clone().requires_grad_(True)
    loss_p = nn.BCELoss()(p, target)
    loss_p.backward()
    loss, g = loss_fixture(
        "bce_with_logits",
        "nn.BCEWithLogitsLoss on logits [6,1] with 0/1 targets. " + BCE_NOTE + " The probability path: "
        "loss_from_probabilities = nn.BCELoss(probabilities, target) = -mean(t*log p + (1-t)*log(1-p)), equal "
        "to loss; grad.probabilities = (p - t)/(p*(1-p))/6 is its gradient w.r.t. the probabilities.",
        nn.BCEWithLogitsLoss(), logits, target,
        {"loss": "BCEWithLogitsLoss", "reduction": "mean"},
        extra_tensors={"probabilities": probs, "grad.probabilities": p.grad},
        extra_scalars={"loss_from_probabilities": loss_p.item()})
    assert close(g, (probs - target) / 6) and close(loss, loss_p.item())
    assert close(p.grad, (probs - target) / (probs * (1 - probs)) / 6)

    logits = torch.tensor([[1000.0], [-1000.0], [-750.0], [800.0], [40.0], [-40.0]])
    target = torch.tensor([[1.0], [1.0], [0.0], [0.0], [1.0], [1.0]])
    probs = torch.sigmoid(logits)
    loss, g = loss_fixture(
        "bce_with_logits_large",
        "nn.BCEWithLogitsLoss on large-magnitude logits [6,1] (+-1000, -750, 800, +-40) with 0/1 targets, some "
        "on the wrong side (per-element losses of 0, 1000, 0, 800, ~4e-18, 40). Must be computed stably, e.g. "
        "max(x,0) - x*t + log(1 + exp(-|x|)). " + BCE_NOTE + " probabilities saturate to exact 0/1 in float64, "
        "so no probability-path loss is recorded.",
        nn.BCEWithLogitsLoss(), logits, target,
        {"loss": "BCEWithLogitsLoss", "reduction": "mean"},
        extra_tensors={"probabilities": probs})
    assert math.isfinite(loss) and close(loss, (1000.0 + 800.0 + 40.0 + math.log1p(math.exp(-40.0))) / 6)


# --------------------------------------------------------------------------------------
# 2. Optimizers
# --------------------------------------------------------------------------------------

def optimizer_inputs():
    """The shared p0 [7] and gradient sequence [10, 7] used by every optimizer fixture."""
    seed(2000)
    p0 = torch.randn(7)
    grads = torch.randn(10, 7)
    return p0, grads


OPT_NOTE = ("Tensors: p0 [7] initial parameters; grads [10,7] where row t is the gradient assigned to p.grad "
            "before step t+1; params [10,7] where row t is the parameter vector after step t+1. Optimizer "
            "state starts empty. ")


def run_optimizer(make_opt, p0, grads):
    p = p0.clone().requires_grad_(True)
    opt = make_opt([p])
    out = []
    for t in range(grads.shape[0]):
        p.grad = grads[t].clone()
        opt.step()
        out.append(p.detach().clone())
    return opt, torch.stack(out)


def manual_optimizer(kind, cfg, p0, grads):
    """Independent re-implementation used to check the formulas documented in each description."""
    p = p0.clone()
    m = torch.zeros_like(p)
    v = torch.zeros_like(p)
    vmax = torch.zeros_like(p)
    gavg = torch.zeros_like(p)
    buf = None
    out = []
    for t in range(1, grads.shape[0] + 1):
        g = grads[t - 1].clone()
        lr, wd = cfg["lr"], cfg["weight_decay"]
        if kind == "SGD":
            g = g + wd * p
            if cfg["momentum"] != 0:
                buf = g.clone() if buf is None else cfg["momentum"] * buf + (1 - cfg["dampening"]) * g
                g = g + cfg["momentum"] * buf if cfg["nesterov"] else buf
            p = p - lr * g
        elif kind in ("Adam", "AdamW"):
            b1, b2 = cfg["betas"]
            if kind == "Adam":
                g = g + wd * p
            else:
                p = p * (1 - lr * wd)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            vmax = torch.maximum(vmax, v)
            vv = vmax if cfg["amsgrad"] else v
            denom = vv.sqrt() / math.sqrt(1 - b2 ** t) + cfg["eps"]
            p = p - (lr / (1 - b1 ** t)) * m / denom
        elif kind == "RMSprop":
            a = cfg["alpha"]
            g = g + wd * p
            v = a * v + (1 - a) * g * g
            if cfg["centered"]:
                gavg = a * gavg + (1 - a) * g
                avg = (v - gavg * gavg).sqrt() + cfg["eps"]
            else:
                avg = v.sqrt() + cfg["eps"]
            if cfg["momentum"] > 0:
                m = cfg["momentum"] * m + g / avg
                p = p - lr * m
            else:
                p = p - lr * g / avg
        out.append(p.clone())
    return torch.stack(out)


SGD_DOC = ("torch.optim.SGD (single-tensor path): g <- g + weight_decay*p; if momentum != 0: on the FIRST step "
           "buf = g (no dampening applied), afterwards buf = momentum*buf + (1-dampening)*g; then g <- g + "
           "momentum*buf if nesterov else buf; p <- p - lr*g.")
ADAM_DOC = ("torch.optim.Adam: g <- g + weight_decay*p (coupled L2); m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; "
            "vmax = max(vmax, v) if amsgrad; denom = sqrt(v or vmax)/sqrt(1-b2^t) + eps; "
            "p <- p - (lr/(1-b1^t)) * m/denom, t counted from 1.")
ADAMW_DOC = ("torch.optim.AdamW: p <- p*(1 - lr*weight_decay) (decoupled, before the moment updates); then "
             "Adam without L2: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; denom = sqrt(v)/sqrt(1-b2^t) + eps; "
             "p <- p - (lr/(1-b1^t)) * m/denom.")
RMSPROP_DOC = ("torch.optim.RMSprop: g <- g + weight_decay*p; v = alpha*v + (1-alpha)*g^2; if centered: "
               "gavg = alpha*gavg + (1-alpha)*g, avg = sqrt(v - gavg^2) + eps else avg = sqrt(v) + eps "
               "(eps outside the sqrt); if momentum > 0: buf = momentum*buf + g/avg, p <- p - lr*buf else "
               "p <- p - lr*g/avg.")


def make_optimizers():
    p0, grads = optimizer_inputs()
    O = torch.optim
    configs = [
        ("sgd", "SGD", dict(lr=0.1), SGD_DOC),
        ("sgd_momentum", "SGD", dict(lr=0.1, momentum=0.9), SGD_DOC),
        ("sgd_nesterov", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True), SGD_DOC),
        ("sgd_momentum_dampening", "SGD", dict(lr=0.1, momentum=0.9, dampening=0.1), SGD_DOC),
        ("sgd_weight_decay", "SGD", dict(lr=0.1, weight_decay=0.01), SGD_DOC),
        ("adam", "Adam", dict(lr=0.01), ADAM_DOC),
        ("adam_betas_eps_weight_decay", "Adam",
         dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1), ADAM_DOC),
        ("adam_amsgrad", "Adam", dict(amsgrad=True), ADAM_DOC),
        ("adamw", "AdamW", dict(lr=0.01, weight_decay=0.1), ADAMW_DOC),
        ("rmsprop", "RMSprop", dict(lr=0.01), RMSPROP_DOC),
        ("rmsprop_centered_momentum", "RMSprop",
         dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01), RMSPROP_DOC),
    ]
    recorded_keys = {
        "SGD": ["lr", "momentum", "dampening", "weight_decay", "nesterov"],
        "Adam": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
        "AdamW": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
        "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"],
    }
    for i, (name, kind, kwargs, doc) in enumerate(configs):
        seed(2100 + i)  # unused by the optimizers, fixed for uniformity
        cls = getattr(O, kind)
        opt, params = run_optimizer(lambda ps: cls(ps, foreach=False, **kwargs), p0, grads)
        group = opt.param_groups[0]
        config = {"optimizer": kind}
        for k in recorded_keys[kind]:
            v = group[k]
            config[k] = [float(b) for b in v] if isinstance(v, tuple) else (
                v if isinstance(v, bool) else float(v))
        config["steps"] = 10
        assert close(params, manual_optimizer(kind, config, p0, grads)), name
        call = "%s(%s)" % (kind, ", ".join("%s=%r" % kv for kv in kwargs.items()))
        write_fixture(name, "torch.optim.%s on a single parameter vector, 10 steps with recorded gradients. "
                      % call + OPT_NOTE + "config holds every hyper-parameter including defaults. " + doc,
                      config, {"p0": p0, "grads": grads, "params": params}, {})


def make_clip_grad_norm():
    seed(2200)
    # Per-step scales so that some steps are clipped and some are not.
    scales = torch.tensor([1.0, 0.05, 0.3, 2.0, 0.1, 0.02, 1.5, 0.15, 0.6, 0.08])
    ga = torch.randn(10, 3, 2) * scales.view(10, 1, 1)
    gb = torch.randn(10, 4) * scales.view(10, 1)
    a = torch.zeros(3, 2, requires_grad=True)
    b = torch.zeros(4, requires_grad=True)
    norms, ca, cb = [], [], []
    max_norm = 0.5
    for t in range(10):
        a.grad = ga[t].clone()
        b.grad = gb[t].clone()
        n = torch.nn.utils.clip_grad_norm_([a, b], max_norm=max_norm)
        norms.append(n.item())
        ca.append(a.grad.clone())
        cb.append(b.grad.clone())
    norms = torch.tensor(norms)
    clipped = int((norms > max_norm).sum())
    assert 0 < clipped < 10
    ca, cb = torch.stack(ca), torch.stack(cb)
    expect = torch.sqrt((ga ** 2).sum(dim=(1, 2)) + (gb ** 2).sum(dim=1))
    assert close(norms, expect)
    coef = torch.clamp(max_norm / (norms + 1e-6), max=1.0)
    assert close(ca, ga * coef.view(10, 1, 1)) and close(cb, gb * coef.view(10, 1))
    write_fixture(
        "clip_grad_norm",
        "torch.nn.utils.clip_grad_norm_(parameters, max_norm=0.5) (L2 norm) over two parameter tensors of shapes "
        "[3,2] and [4], applied independently to 10 gradient pairs (%d of them are clipped). Tensors: grads.0 "
        "[10,3,2] and grads.1 [10,4] are the gradients before clipping (row t = step t), clipped.0 / clipped.1 "
        "after clipping, total_norm [10] the value returned = sqrt(sum of squares over both tensors). PyTorch "
        "multiplies every gradient by min(1, max_norm/(total_norm + 1e-6)), so clipped norms are slightly "
        "below 0.5 and unclipped gradients are multiplied by exactly 1.0." % clipped,
        {"max_norm": max_norm, "norm_type": 2.0, "epsilon": 1e-6, "steps": 10,
         "parameter_shapes": [[3, 2], [4]]},
        {"grads.0": ga, "grads.1": gb, "clipped.0": ca, "clipped.1": cb, "total_norm": norms},
        {"clipped_steps": clipped})


def make_lr_schedules():
    S = torch.optim.lr_scheduler
    schedules = [
        ("lr_step", "StepLR", dict(step_size=3, gamma=0.5),
         "StepLR: lr = base_lr * gamma^floor(epoch/step_size)."),
        ("lr_exponential", "ExponentialLR", dict(gamma=0.9),
         "ExponentialLR: lr = base_lr * gamma^epoch."),
        ("lr_cosine_annealing", "CosineAnnealingLR", dict(T_max=10, eta_min=0.001),
         "CosineAnnealingLR: closed form lr = eta_min + (base_lr - eta_min)*(1 + cos(pi*epoch/T_max))/2 "
         "(lr_closed_form). PyTorch's get_last_lr() uses a recursive form, so lr may differ from "
         "lr_closed_form in the last bits; past T_max the schedule rises again (period 2*T_max)."),
    ]
    base_lr = 0.1
    epochs = 12
    for i, (name, kind, kwargs, doc) in enumerate(schedules):
        seed(2300 + i)
        p = torch.zeros(3, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base_lr)
        sched = getattr(S, kind)(opt, **kwargs)
        lrs = []
        for epoch in range(epochs):
            p.grad = torch.zeros(3)
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        lrs = torch.tensor(lrs)
        ep = torch.arange(1, epochs + 1, dtype=torch.float64)
        tensors = {"lr": lrs}
        if kind == "StepLR":
            expect = base_lr * 0.5 ** torch.floor(ep / 3)
        elif kind == "ExponentialLR":
            expect = base_lr * 0.9 ** ep
        else:
            expect = torch.tensor([0.001 + (base_lr - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2
                                   for e in range(1, epochs + 1)])
            tensors["lr_closed_form"] = expect
        assert close(lrs, expect), name
        config = {"scheduler": kind, "base_lr": base_lr, "epochs": epochs}
        config.update({k: (float(v) if isinstance(v, float) else v) for k, v in kwargs.items()})
        write_fixture(
            name,
            "torch.optim.lr_scheduler.%s(%s) on SGD(lr=%r). For epoch e = 1..%d: optimizer.step(), "
            "scheduler.step(), record scheduler.get_last_lr()[0]; tensor lr [%d] holds those values (the lr "
            "before any scheduler step, epoch 0, is base_lr). %s"
            % (kind, ", ".join("%s=%r" % kv for kv in kwargs.items()), base_lr, epochs, epochs, doc),
            config, tensors, {})


def make_l1_penalty():
    p0, _ = optimizer_inputs()
    seed(2400)
    p = p0.clone()
    p[2] = 0.0
    p[5] = 0.0
    target = torch.randn(7)
    l1 = 0.01
    p = p.requires_grad_(True)
    data_loss = nn.MSELoss()(p, target)
    g_data, = torch.autograd.grad(data_loss, p)
    penalty = l1 * p.abs().sum()
    g_pen, = torch.autograd.grad(penalty, p)
    total = nn.MSELoss()(p, target) + l1 * p.abs().sum()
    total.backward()
    assert close(g_pen, l1 * torch.sign(p.detach())) and g_pen[2] == 0.0 and g_pen[5] == 0.0
    assert close(p.grad, g_data + g_pen)
    write_fixture(
        "l1_penalty",
        "Gradient of total = data_loss + l1*sum(|p|) with l1=0.01, where data_loss = nn.MSELoss()(p, target) "
        "(mean over 7 elements). p is the optimizer fixtures' p0 with elements 2 and 5 set to exactly 0.0; the "
        "gradient of |p| at 0 is 0 (torch.sign convention), so grad.penalty = l1*sign(p). Tensors: p, target, "
        "grad.data (d data_loss/dp = 2*(p-target)/7), grad.penalty (d penalty/dp), grad.p (d total/dp = "
        "grad.data + grad.penalty). Scalars: data_loss, penalty, total_loss.",
        {"l1": l1, "data_loss": "MSELoss", "reduction": "mean", "zero_indices": [2, 5]},
        {"p": p, "target": target, "grad.data": g_data, "grad.penalty": g_pen, "grad.p": p.grad},
        {"data_loss": data_loss.item(), "penalty": penalty.item(), "total_loss": total.item()})


# --------------------------------------------------------------------------------------
# 3. Small networks
# --------------------------------------------------------------------------------------

class TinyMlp(nn.Module):
    """Mirrors a TypedNets network with layer properties Hidden (Dense 5, ReLU) and Output (Dense 3)."""

    def __init__(self, output_activation=None):
        super().__init__()
        self.hidden = nn.Linear(4, 5)
        self.output = nn.Linear(5, 3)
        self.output_activation = output_activation

    def logits(self, x):
        return self.output(torch.relu(self.hidden(x)))

    def forward(self, x):
        z = self.logits(x)
        return z if self.output_activation is None else self.output_activation(z)


MLP_NOTE = ("Network: hidden = nn.Linear(4, 5) -> ReLU -> output = nn.Linear(5, 3)%s, weights from PyTorch's "
            "default nn.Linear init under the fixture seed; Linear weights are [out, in] and compute "
            "x W^T + b. Tensors named by state_dict key (hidden.weight [5,4], hidden.bias [5], output.weight "
            "[3,5], output.bias [3]) hold the initial parameters; grad.<key> their gradients of the loss on the "
            "batch; grad.input the gradient w.r.t. the input. ")


def make_mlp_tiny():
    seed(3001)
    net = TinyMlp()
    x = torch.randn(6, 4)
    classes = torch.tensor([0, 2, 1, 1, 0, 2])
    init = {k: v.detach().clone() for k, v in net.state_dict().items()}
    assert list(init) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]

    xi = x.clone().requires_grad_(True)
    logits = net(xi)
    probs = F.softmax(logits, dim=1)
    loss = nn.CrossEntropyLoss()(logits, classes)
    loss.backward()
    grads = {"grad." + k: p.grad.detach().clone() for k, p in net.named_parameters()}
    grad_input = xi.grad.detach().clone()

    net.zero_grad(set_to_none=True)
    opt = torch.optim.Adam(net.parameters(), lr=0.01, foreach=False)
    losses = []
    for _ in range(10):
        opt.zero_grad(set_to_none=True)
        step_loss = nn.CrossEntropyLoss()(net(x), classes)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    final_loss = nn.CrossEntropyLoss()(net(x), classes).item()
    assert losses[0] == loss.item() and final_loss < losses[0]

    tensors = dict(init)
    tensors.update({"input": x, "target": classes.to(torch.float64), "logits": logits,
                    "probabilities": probs})
    tensors.update(grads)
    tensors["grad.input"] = grad_input
    tensors["adam_losses"] = torch.tensor(losses)
    tensors.update({"final." + k: v for k, v in net.state_dict().items()})
    write_fixture(
        "mlp_tiny",
        MLP_NOTE % "" + "input x [6,4]; target holds integer classes as floats; logits [6,3] = network output; "
        "probabilities = softmax(logits); scalar loss = nn.CrossEntropyLoss (mean). Then 10 steps of "
        "torch.optim.Adam(lr=0.01) (defaults betas=(0.9,0.999), eps=1e-8, no weight decay) on the same batch "
        "starting from the initial parameters: adam_losses [10] is the loss before each step, final.<key> the "
        "parameters after the 10th step, scalar final_loss the loss after it.",
        {"layers": [{"name": "hidden", "type": "Linear", "in_features": 4, "out_features": 5, "activation": "relu"},
                    {"name": "output", "type": "Linear", "in_features": 5, "out_features": 3,
                     "activation": "none"}],
         "loss": "CrossEntropyLoss", "reduction": "mean", "optimizer": "Adam", "lr": 0.01,
         "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "steps": 10, "batch": 6},
        tensors, {"loss": loss.item(), "final_loss": final_loss})


def make_mlp_tiny_mse():
    seed(3002)
    net = TinyMlp(output_activation=torch.sigmoid)
    x = torch.randn(6, 4)
    classes = torch.tensor([1, 0, 2, 2, 1, 0])
    onehot = F.one_hot(classes, 3).to(torch.float64)
    init = {k: v.detach().clone() for k, v in net.state_dict().items()}
    assert list(init) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]

    xi = x.clone().requires_grad_(True)
    logits = net.logits(xi)
    out = torch.sigmoid(logits)
    loss = nn.MSELoss()(out, onehot)
    loss.backward()
    grads = {"grad." + k: p.grad.detach().clone() for k, p in net.named_parameters()}
    grad_input = xi.grad.detach().clone()

    net.zero_grad(set_to_none=True)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, foreach=False)
    losses = []
    for _ in range(10):
        opt.zero_grad(set_to_none=True)
        step_loss = nn.MSELoss()(net(x), onehot)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    final_loss = nn.MSELoss()(net(x), onehot).item()
    assert losses[0] == loss.item() and final_loss < losses[0]

    tensors = dict(init)
    tensors.update({"input": x, "target": onehot, "target_indices": classes.to(torch.float64),
                    "logits": logits, "output": out})
    tensors.update(grads)
    tensors["grad.input"] = grad_input
    tensors["sgd_losses"] = torch.tensor(losses)
    tensors.update({"final." + k: v for k, v in net.state_dict().items()})
    write_fixture(
        "mlp_tiny_mse",
        MLP_NOTE % " -> Sigmoid" + "input x [6,4]; target [6,3] one-hot (target_indices holds the classes as "
        "floats); logits [6,3] = pre-sigmoid output layer values; output [6,3] = sigmoid(logits), the network "
        "output; scalar loss = nn.MSELoss(output, target) (mean over all 18 elements). Then 10 steps of "
        "torch.optim.SGD(lr=0.1, momentum=0.9) (dampening 0, first step buf = g) on the same batch starting "
        "from the initial parameters: sgd_losses [10] is the loss before each step, final.<key> the parameters "
        "after the 10th step, scalar final_loss the loss after it.",
        {"layers": [{"name": "hidden", "type": "Linear", "in_features": 4, "out_features": 5, "activation": "relu"},
                    {"name": "output", "type": "Linear", "in_features": 5, "out_features": 3,
                     "activation": "sigmoid"}],
         "loss": "MSELoss", "reduction": "mean", "optimizer": "SGD", "lr": 0.1, "momentum": 0.9,
         "dampening": 0.0, "nesterov": False, "weight_decay": 0.0, "steps": 10, "batch": 6},
        tensors, {"loss": loss.item(), "final_loss": final_loss})


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    make_regression_losses()
    make_cross_entropy()
    make_bce()
    make_optimizers()
    make_clip_grad_norm()
    make_lr_schedules()
    make_l1_penalty()
    make_mlp_tiny()
    make_mlp_tiny_mse()
    for path in WRITTEN:
        print(os.path.relpath(path, REPO_ROOT))
    print("wrote %d fixtures with torch %s" % (len(WRITTEN), torch.__version__), file=sys.stderr)


if __name__ == "__main__":
    main()
