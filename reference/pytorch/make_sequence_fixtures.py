#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for TypedNets' sequence layers.

Embedding, LSTM, GRU, global 1-D pooling, Dense applied per time step, a tiny text
classifier (Embedding -> LSTM -> Dense -> Dense) with a few Adam steps, and stacked
(num_layers=2) and bidirectional LSTMs and GRUs, also over packed (padded) sequences. Same format and
determinism rules as make_fixtures.py (whose JSON writer this script reuses): float64,
one thread, deterministic algorithms, a fixed seed per fixture, byte-identical output on
a rerun for a given PyTorch build.

Run from anywhere (the output directory is found from this file's location):

    /usr/bin/python3 reference/pytorch/make_sequence_fixtures.py

TypedNets conventions followed here: batch-first tensors ([batch, steps, features];
token ids [batch, steps] stored as floats), state_dict keys named after the C# property
in snake_case, PyTorch's recurrent parameter names (_l{k}, _reverse) and gate order, zero
initial states. See reference/README.md for the JSON format and the list of fixtures.
"""

import math
import os
import sys

sys.dont_write_bytecode = True  # importing make_fixtures must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

write_fixture = mf.write_fixture
seed = mf.seed
close = mf.close

BATCH, STEPS, FEATURES, HIDDEN = 3, 5, 4, 6

LOSS_NOTE = ("Loss: scalar loss = sum(output * output_weights), where output_weights is a recorded random tensor "
             "of the output's shape (drawn after the parameters and the input), so dLoss/doutput = "
             "output_weights. grad.<key> is the autograd gradient of that loss w.r.t. the parameter <key>; "
             "grad.input the gradient w.r.t. the input. ")


class Wrap(nn.Module):
    """A container whose single attribute is named like the C# layer property (snake_case)."""

    def __init__(self, name, module):
        super().__init__()
        setattr(self, name, module)


def weighted_sum_loss(output):
    r = torch.randn(output.shape)
    return (output * r).sum(), r


def params_and_grads(model):
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grads = {"grad." + k: p.grad.detach().clone() for k, p in model.named_parameters()}
    assert list(grads) == ["grad." + k for k in state], "every state_dict entry must be a parameter"
    return state, grads


def check_gradients_numerically(fn, inputs):
    """Central finite differences (torch.autograd.gradcheck) on a float64 function of the given tensors."""
    inputs = tuple(t.detach().clone().requires_grad_(True) for t in inputs)
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-6)


# --------------------------------------------------------------------------------------
# 1. Embedding
# --------------------------------------------------------------------------------------

def make_embedding():
    seed(4001)
    model = Wrap("embedding", nn.Embedding(11, 4))
    # ids 0 and 10 (both ends of the table), repeated ids (3, 2, 10, 0), unused ids 4 and 8.
    tokens = torch.tensor([[0, 3, 3, 7, 10],
                           [10, 1, 0, 5, 3],
                           [2, 2, 9, 0, 6]])
    out = model.embedding(tokens)
    loss, r = weighted_sum_loss(out)
    loss.backward()
    state, grads = params_and_grads(model)

    w = state["embedding.weight"]
    assert torch.equal(out.detach(), w[tokens])
    expect = torch.zeros_like(w)
    for b in range(tokens.shape[0]):
        for t in range(tokens.shape[1]):
            expect[tokens[b, t]] += r[b, t]
    assert close(grads["grad.embedding.weight"], expect)
    assert (grads["grad.embedding.weight"][4] == 0).all() and (grads["grad.embedding.weight"][8] == 0).all()

    tensors = dict(state)
    tensors.update({"input": tokens.to(torch.float64), "output": out, "output_weights": r})
    tensors.update(grads)
    write_fixture(
        "embedding",
        "nn.Embedding(num_embeddings=11, embedding_dim=4) as module 'embedding' (padding_idx=None: id 0 is an "
        "ordinary trainable row), weight from PyTorch's default N(0,1) init. input [3,5] holds integer token "
        "ids stored as floats (batch-first [batch, steps]); it includes ids 0 and 10, repeated ids and "
        "leaves ids 4 and 8 unused. output [3,5,4]: output[b,t,:] = embedding.weight[input[b,t], :]. " + LOSS_NOTE
        + "grad.embedding.weight [11,4]: row k = sum of output_weights[b,t,:] over all positions with "
        "input[b,t] = k (rows 4 and 8 are exactly 0). No grad.input: token ids are not differentiable.",
        {"layer": "Embedding", "module": "embedding", "vocab_size": 11, "embedding_dim": 4,
         "padding_idx": "none", "batch": 3, "steps": 5, "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 2. LSTM and GRU
# --------------------------------------------------------------------------------------

def manual_lstm(x, w_ih, w_hh, b_ih, b_hh):
    """Independent re-implementation of the formulas in LSTM_DOC; returns all h_t [B, T, H]."""
    B, T, _ = x.shape
    H = w_hh.shape[1]
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    hs = []
    for t in range(T):
        gates = x[:, t, :] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i = torch.sigmoid(gates[:, 0:H])
        f = torch.sigmoid(gates[:, H:2 * H])
        g = torch.tanh(gates[:, 2 * H:3 * H])
        o = torch.sigmoid(gates[:, 3 * H:4 * H])
        c = f * c + i * g
        h = o * torch.tanh(c)
        hs.append(h)
    return torch.stack(hs, dim=1)


def manual_gru(x, w_ih, w_hh, b_ih, b_hh):
    """Independent re-implementation of the formulas in GRU_DOC; returns all h_t [B, T, H]."""
    B, T, _ = x.shape
    H = w_hh.shape[1]
    h = x.new_zeros(B, H)
    hs = []
    for t in range(T):
        gi = x[:, t, :] @ w_ih.T + b_ih
        gh = h @ w_hh.T + b_hh
        r = torch.sigmoid(gi[:, 0:H] + gh[:, 0:H])
        z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = torch.tanh(gi[:, 2 * H:3 * H] + r * gh[:, 2 * H:3 * H])
        h = (1 - z) * n + z * h
        hs.append(h)
    return torch.stack(hs, dim=1)


LSTM_DOC = ("LSTM step (PyTorch, gate blocks of H rows in the order i, f, g, o): gates = x_t W_ih^T + b_ih + "
            "h_{t-1} W_hh^T + b_hh; i = sigmoid(gates[0:H]), f = sigmoid(gates[H:2H]), g = tanh(gates[2H:3H]), "
            "o = sigmoid(gates[3H:4H]); c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t); h_0 = c_0 = 0. Both biases are "
            "separate parameters and are simply added. ")
GRU_DOC = ("GRU step (PyTorch, gate blocks of H rows in the order r, z, n): gi = x_t W_ih^T + b_ih, gh = h_{t-1} "
           "W_hh^T + b_hh; r = sigmoid(gi[0:H] + gh[0:H]); z = sigmoid(gi[H:2H] + gh[H:2H]); n = tanh(gi[2H:3H] "
           "+ r*gh[2H:3H]) (the reset gate multiplies W_hn h + b_hn, i.e. Keras' reset_after=True form); h_t = "
           "(1-z)*n + z*h_{t-1}; h_0 = 0. ")


def make_recurrent(name, kind, return_sequences, seed_value):
    seed(seed_value)
    cls = nn.LSTM if kind == "LSTM" else nn.GRU
    gates = 4 if kind == "LSTM" else 3
    model = Wrap("encoder", cls(FEATURES, HIDDEN, num_layers=1, bias=True, batch_first=True))
    x = torch.randn(BATCH, STEPS, FEATURES)
    keys = ["encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0", "encoder.bias_hh_l0"]
    assert list(model.state_dict()) == keys

    xi = x.clone().requires_grad_(True)
    seq, state_n = model.encoder(xi)
    h_n = state_n[0] if kind == "LSTM" else state_n
    assert torch.equal(seq[:, -1, :], h_n[0])
    out = seq if return_sequences else h_n[0]
    loss, r = weighted_sum_loss(out)
    loss.backward()
    state, grads = params_and_grads(model)
    grad_input = xi.grad.detach().clone()
    assert [list(state[k].shape) for k in keys] == [[gates * HIDDEN, FEATURES], [gates * HIDDEN, HIDDEN],
                                                    [gates * HIDDEN], [gates * HIDDEN]]

    # Check against the documented formulas: same forward values, same gradients, and the
    # manual version's gradients against central finite differences.
    manual = manual_lstm if kind == "LSTM" else manual_gru

    def manual_loss(xx, *ps):
        s = manual(xx, *ps)
        return ((s if return_sequences else s[:, -1, :]) * r).sum()

    ps = [state[k].clone().requires_grad_(True) for k in keys]
    xm = x.clone().requires_grad_(True)
    s = manual(xm, *ps)
    assert close(s, seq.detach())
    lm = manual_loss(xm, *ps)
    lm.backward()
    assert close(lm, loss.detach())
    assert close(xm.grad, grad_input)
    for k, p in zip(keys, ps):
        assert close(p.grad, grads["grad." + k]), k
    check_gradients_numerically(manual_loss, [x] + [state[k] for k in keys])

    tensors = dict(state)
    tensors.update({"input": x, "output": out, "output_weights": r})
    tensors.update(grads)
    tensors["grad.input"] = grad_input
    what = ("all hidden states: output [3,5,6], output[:, t, :] = h_{t+1} (ReturnSequences = true)"
            if return_sequences else
            "the last hidden state only: output [3,6] = h_T after step T=5 (ReturnSequences = false; equals "
            "PyTorch's h_n[0] and output[:, -1, :])")
    g = gates * HIDDEN
    write_fixture(
        name,
        "nn.%s(input_size=4, hidden_size=6, num_layers=1, bias=True, batch_first=True) as module 'encoder', "
        "parameters from PyTorch's default init U(-1/sqrt(6), 1/sqrt(6)) under the fixture seed. input [3,5,4] "
        "= [batch, steps, features], initial state zero (no h_0%s passed). The recorded output is %s. "
        % (kind, "/c_0" if kind == "LSTM" else "", what)
        + (LSTM_DOC if kind == "LSTM" else GRU_DOC)
        + "Parameters by state_dict key: encoder.weight_ih_l0 [%d,4], encoder.weight_hh_l0 [%d,6], "
        "encoder.bias_ih_l0 [%d], encoder.bias_hh_l0 [%d]. " % (g, g, g, g) + LOSS_NOTE
        + "The %s_last and %s_sequences fixtures share the seed, so their parameters and input are identical; "
        "only the output and output_weights differ." % (kind.lower(), kind.lower()),
        {"layer": kind, "module": "encoder", "input_size": FEATURES, "hidden_size": HIDDEN, "num_layers": 1,
         "bias": True, "batch_first": True, "return_sequences": return_sequences,
         "gate_order": ["i", "f", "g", "o"] if kind == "LSTM" else ["r", "z", "n"],
         "initial_state": "zeros", "batch": BATCH, "steps": STEPS, "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 3. Global pooling over steps
# --------------------------------------------------------------------------------------

def make_pooling():
    seed(4201)
    x = torch.randn(BATCH, STEPS, FEATURES)
    top2 = x.topk(2, dim=1).values
    assert (top2[:, 0, :] - top2[:, 1, :]).min() > 1e-3, "max pooling needs a unique maximum per (batch, feature)"

    xa = x.clone().requires_grad_(True)
    avg = xa.mean(dim=1)
    loss_avg, r_avg = weighted_sum_loss(avg)
    loss_avg.backward()

    xm = x.clone().requires_grad_(True)
    mx, idx = xm.max(dim=1)
    loss_max, r_max = weighted_sum_loss(mx)
    loss_max.backward()

    assert close(avg, x.sum(dim=1) / STEPS)
    assert close(xa.grad, r_avg.unsqueeze(1).expand(BATCH, STEPS, FEATURES) / STEPS)
    expect = torch.zeros_like(x)
    for b in range(BATCH):
        for f in range(FEATURES):
            expect[b, idx[b, f], f] = r_max[b, f]
            assert x[b, idx[b, f], f] == x[b, :, f].max()
    assert torch.equal(xm.grad, expect)

    write_fixture(
        "pooling",
        "Global pooling over the steps axis of a batch-first input [3,5,4] = [batch, steps, features]. "
        "average [3,4] = input.mean(dim=1) (GlobalAveragePooling1D); max [3,4] = input.max(dim=1).values "
        "(GlobalMaxPooling1D); max_indices [3,4] = the step index of each maximum, stored as floats. Every "
        "(batch, feature) column has a unique maximum (gap to the runner-up > 1e-3), so the max gradient is "
        "unambiguous. Each output has its own loss: scalar loss.average = sum(average * "
        "output_weights.average), scalar loss.max = sum(max * output_weights.max) (the weights drawn in that "
        "order after the input). grad.input.average [3,5,4] = d loss.average / d input = "
        "output_weights.average[b,f]/5 at every step; grad.input.max [3,5,4] = d loss.max / d input = "
        "output_weights.max[b,f] at the arg-max step and exactly 0 elsewhere. No parameters.",
        {"layers": ["GlobalAveragePooling1D", "GlobalMaxPooling1D"], "axis": 1, "batch": BATCH, "steps": STEPS,
         "features": FEATURES, "loss": "sum(output * output_weights), separately per output"},
        {"input": x, "average": avg, "max": mx, "max_indices": idx.to(torch.float64),
         "output_weights.average": r_avg, "output_weights.max": r_max,
         "grad.input.average": xa.grad, "grad.input.max": xm.grad},
        {"loss.average": loss_avg.item(), "loss.max": loss_max.item()})


# --------------------------------------------------------------------------------------
# 4. Dense applied per time step
# --------------------------------------------------------------------------------------

def make_dense_per_step():
    seed(4301)
    model = Wrap("projection", nn.Linear(FEATURES, 3))
    x = torch.randn(BATCH, STEPS, FEATURES)
    xi = x.clone().requires_grad_(True)
    out = model.projection(xi)
    loss, r = weighted_sum_loss(out)
    loss.backward()
    state, grads = params_and_grads(model)

    w, b = state["projection.weight"], state["projection.bias"]
    assert close(out, torch.stack([x[:, t, :] @ w.T + b for t in range(STEPS)], dim=1))
    assert close(grads["grad.projection.weight"], torch.einsum("bto,bti->oi", r, x))
    assert close(grads["grad.projection.bias"], r.sum(dim=(0, 1)))
    assert close(xi.grad, r @ w)

    tensors = dict(state)
    tensors.update({"input": x, "output": out, "output_weights": r})
    tensors.update(grads)
    tensors["grad.input"] = xi.grad
    write_fixture(
        "dense_per_step",
        "nn.Linear(4, 3) as module 'projection' (default init under the fixture seed) applied to a batch-first "
        "sequence input [3,5,4]: nn.Linear acts on the last axis, so output[b,t,:] = input[b,t,:] W^T + b for "
        "every step, output [3,5,3]. projection.weight [3,4] = [out, in], projection.bias [3]. " + LOSS_NOTE
        + "grad.projection.weight = sum over b,t of output_weights[b,t,:]^T input[b,t,:]; grad.projection.bias "
        "= output_weights summed over b and t; grad.input = output_weights W.",
        {"layer": "Linear", "module": "projection", "in_features": FEATURES, "out_features": 3,
         "applied": "per time step (last axis)", "batch": BATCH, "steps": STEPS,
         "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


# --------------------------------------------------------------------------------------
# 5. Tiny text classifier
# --------------------------------------------------------------------------------------

class TextClassifier(nn.Module):
    """Mirrors the TypedNets text tutorial network at small size (attribute names = C# properties)."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20, 8)
        self.encoder = nn.LSTM(8, 6, batch_first=True)
        self.drop1 = nn.Dropout(0.5)
        self.hidden = nn.Linear(6, 5)
        self.drop2 = nn.Dropout(0.5)
        self.output = nn.Linear(5, 2)

    def forward(self, tokens):
        """Returns the logits (pre-softmax)."""
        e = self.embedding(tokens)
        _, (h_n, _) = self.encoder(e)
        x = self.drop1(h_n[0])
        x = torch.relu(self.hidden(x))
        x = self.drop2(x)
        return self.output(x)


def manual_classifier_logits(p, tokens):
    e = p["embedding.weight"][tokens]
    h = manual_lstm(e, p["encoder.weight_ih_l0"], p["encoder.weight_hh_l0"],
                    p["encoder.bias_ih_l0"], p["encoder.bias_hh_l0"])[:, -1, :]
    a = torch.relu(h @ p["hidden.weight"].T + p["hidden.bias"])
    return a @ p["output.weight"].T + p["output.bias"]


def make_text_classifier_tiny():
    seed(4401)
    model = TextClassifier()
    model.eval()  # dropout off (identity) for everything recorded below, training steps included
    assert not model.drop1.training and not model.drop2.training
    tokens = torch.tensor([[0, 0, 0, 5, 12, 3, 19],
                           [0, 0, 7, 1, 14, 14, 2],
                           [0, 11, 6, 18, 9, 4, 13],
                           [8, 15, 1, 16, 10, 17, 3]])
    targets = torch.tensor([1, 0, 0, 1])
    keys = ["embedding.weight", "encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0",
            "encoder.bias_hh_l0", "hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    assert list(model.state_dict()) == keys
    ce = nn.CrossEntropyLoss()

    logits = model(tokens)
    probs = F.softmax(logits, dim=1)
    loss = ce(logits, targets)
    loss.backward()
    state, grads = params_and_grads(model)

    # Independent check of forward, loss and gradients with the manual formulas.
    pm = {k: v.clone().requires_grad_(True) for k, v in state.items()}
    lm = manual_classifier_logits(pm, tokens)
    assert close(lm, logits.detach())
    nll = -(torch.log_softmax(lm, dim=1)[torch.arange(4), targets]).mean()
    assert close(nll, loss.detach())
    nll.backward()
    for k in keys:
        assert close(pm[k].grad, grads["grad." + k]), k

    model.zero_grad(set_to_none=True)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, foreach=False)
    losses = []
    for _ in range(5):
        opt.zero_grad(set_to_none=True)
        step_loss = ce(model(tokens), targets)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    final_loss = ce(model(tokens), targets).item()
    assert losses[0] == loss.item() and final_loss < losses[0]
    final = {"final." + k: v.detach().clone() for k, v in model.state_dict().items()}

    # Independent Adam (formula of make_fixtures.ADAM_DOC) on the manual network.
    p = {k: v.clone() for k, v in state.items()}
    m = {k: torch.zeros_like(v) for k, v in p.items()}
    v2 = {k: torch.zeros_like(v) for k, v in p.items()}
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    manual_losses = []
    for t in range(1, 6):
        pg = {k: val.clone().requires_grad_(True) for k, val in p.items()}
        lt = -(torch.log_softmax(manual_classifier_logits(pg, tokens), dim=1)[torch.arange(4), targets]).mean()
        manual_losses.append(lt.item())
        lt.backward()
        for k in keys:
            g = pg[k].grad
            m[k] = b1 * m[k] + (1 - b1) * g
            v2[k] = b2 * v2[k] + (1 - b2) * g * g
            denom = v2[k].sqrt() / math.sqrt(1 - b2 ** t) + eps
            p[k] = p[k] - (lr / (1 - b1 ** t)) * m[k] / denom
    assert close(torch.tensor(manual_losses), torch.tensor(losses))
    for k in keys:
        assert close(p[k], final["final." + k], tol=1e-10), k

    tensors = dict(state)
    tensors.update({"input": tokens.to(torch.float64), "target": targets.to(torch.float64),
                    "logits": logits, "probabilities": probs})
    tensors.update(grads)
    tensors["adam_losses"] = torch.tensor(losses)
    tensors.update(final)
    write_fixture(
        "text_classifier_tiny",
        "The tutorial text classifier at small size, as an nn.Module with attributes embedding, encoder, drop1, "
        "hidden, drop2, output: embedding = nn.Embedding(20, 8) (padding_idx=None; id 0 is an ordinary row) -> "
        "encoder = nn.LSTM(8, 6, batch_first=True), zero initial state, keeping only the last hidden state h_T "
        "[batch, 6] (ReturnSequences = false) -> drop1 = nn.Dropout(0.5) -> hidden = nn.Linear(6, 5) + ReLU -> "
        "drop2 = nn.Dropout(0.5) -> output = nn.Linear(5, 2) + Softmax. Parameters from PyTorch's default init "
        "under the fixture seed, created in attribute order. EVERYTHING here is computed with model.eval(), i.e. "
        "both dropouts are the identity (no masking, no 1/(1-p) scaling), including the Adam steps. " + LSTM_DOC
        + "input [4,7] = token ids stored as floats, pre-padded with leading 0s; the LSTM runs over all 7 steps "
        "including the padding (no masking). target [4] = integer classes as floats. logits [4,2] = output "
        "layer before the softmax; probabilities = softmax(logits, dim=1); scalar loss = "
        "nn.CrossEntropyLoss()(logits, target) = mean over the batch of -log probabilities[b, target[b]]. "
        "State_dict keys (initial values): embedding.weight [20,8], encoder.weight_ih_l0 [24,8], "
        "encoder.weight_hh_l0 [24,6], encoder.bias_ih_l0 [24], encoder.bias_hh_l0 [24], hidden.weight [5,6], "
        "hidden.bias [5], output.weight [2,5], output.bias [2]; grad.<key> = d loss / d <key> at those values. "
        "Then 5 steps of torch.optim.Adam(lr=0.01) (betas=(0.9,0.999), eps=1e-8, no weight decay, formula of "
        "the adam fixture) on the same batch, dropout still off: adam_losses [5] is the loss before each step "
        "(adam_losses[0] = loss), final.<key> the parameters after the 5th step, scalar final_loss the loss "
        "after it.",
        {"layers": [{"name": "embedding", "type": "Embedding", "vocab_size": 20, "embedding_dim": 8},
                    {"name": "encoder", "type": "LSTM", "input_size": 8, "hidden_size": 6,
                     "return_sequences": False},
                    {"name": "drop1", "type": "Dropout", "p": 0.5},
                    {"name": "hidden", "type": "Linear", "in_features": 6, "out_features": 5,
                     "activation": "relu"},
                    {"name": "drop2", "type": "Dropout", "p": 0.5},
                    {"name": "output", "type": "Linear", "in_features": 5, "out_features": 2,
                     "activation": "softmax"}],
         "dropout": "off (model.eval())", "loss": "CrossEntropyLoss", "reduction": "mean", "optimizer": "Adam",
         "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "steps": 5, "batch": 4,
         "sequence_length": 7, "padding": "pre, id 0"},
        tensors, {"loss": loss.item(), "final_loss": final_loss})

# --------------------------------------------------------------------------------------
# 6. Stacked and bidirectional LSTM and GRU (num_layers, bidirectional, packed sequences)
# --------------------------------------------------------------------------------------

def stack_keys(module, layers, bidirectional):
    """PyTorch's state_dict order: layer by layer, each direction's w_ih, w_hh, b_ih, b_hh, the reverse one suffixed."""
    keys = []
    for k in range(layers):
        for suffix in ([""] + (["_reverse"] if bidirectional else [])):
            keys += ["%s.%s_l%d%s" % (module, name, k, suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    return keys


def manual_stack(kind, x, params, layers, bidirectional, lengths):
    """Independent stacked (and bidirectional) recurrence on the manual one-layer formulas.

    Each sample runs on its first lengths[b] steps alone (PyTorch's packed sequences): the forward direction over
    steps 0..len-1, the reverse one over len-1..0. Layer k > 0 reads layer k-1's states, both directions
    concatenated on the features. Returns the last layer's states [B, T, D*H] (zeros past each length) and the
    last states [B, D*H]: the forward direction's after its last real step, the reverse one's after step 0.
    """
    cell = manual_lstm if kind == "LSTM" else manual_gru
    directions = 2 if bidirectional else 1
    B, T, _ = x.shape
    h_last = []
    layer_input = x
    for k in range(layers):
        outputs = []
        finals = []
        for d in range(directions):
            w = params[(k * directions + d) * 4:(k * directions + d) * 4 + 4]
            rows = []
            ends = []
            for b in range(B):
                n = int(lengths[b])
                seq = layer_input[b:b + 1, :n, :]
                if d == 1:
                    seq = seq.flip(1)
                hs = cell(seq, *w)
                ends.append(hs[0, -1, :])
                if d == 1:
                    hs = hs.flip(1)
                rows.append(torch.cat([hs[0], hs.new_zeros(T - n, hs.shape[2])], dim=0))
            outputs.append(torch.stack(rows))
            finals.append(torch.stack(ends))
        layer_input = torch.cat(outputs, dim=2)
        h_last = finals
    return layer_input, torch.cat(h_last, dim=1)


STACK_DOC = ("Stacking (num_layers = L): layer k > 0 reads the whole sequence of states of layer k-1 as its input "
             "(both directions concatenated on the features when bidirectional), so its weight_ih_l{k} is "
             "[gates*H, D*H]; dropout=0. Bidirectional: each layer has a second, reverse direction with its own "
             "parameters suffixed _reverse, run from the last step to the first; the layer's states are [forward, "
             "reverse] concatenated on the features, [T, 2H]. The 'last state' output is PyTorch's h_n of the last "
             "layer: the forward direction's state after the last step and the reverse direction's after the first "
             "step (its own last), concatenated [2H]; for one direction it equals output[:, -1, :]. ")


def make_stacked(name, kind, layers, bidirectional, return_sequences, seed_value):
    seed(seed_value)
    cls = nn.LSTM if kind == "LSTM" else nn.GRU
    gates = 4 if kind == "LSTM" else 3
    directions = 2 if bidirectional else 1
    model = Wrap("encoder", cls(FEATURES, HIDDEN, num_layers=layers, bidirectional=bidirectional, batch_first=True))
    x = torch.randn(BATCH, STEPS, FEATURES)
    keys = stack_keys("encoder", layers, bidirectional)
    assert list(model.state_dict()) == keys

    xi = x.clone().requires_grad_(True)
    seq, state_n = model.encoder(xi)
    h_n = state_n[0] if kind == "LSTM" else state_n
    last = torch.cat([h_n[-directions + d] for d in range(directions)], dim=1)
    out = seq if return_sequences else last
    loss, r = weighted_sum_loss(out)
    loss.backward()
    state, grads = params_and_grads(model)
    grad_input = xi.grad.detach().clone()

    lengths = [STEPS] * BATCH

    def manual_out(xx, *ps):
        s, h = manual_stack(kind, xx, ps, layers, bidirectional, lengths)
        return s if return_sequences else h

    s_manual, h_manual = manual_stack(kind, x, [state[k] for k in keys], layers, bidirectional, lengths)
    assert close(s_manual, seq.detach()) and close(h_manual, last.detach())
    ps = [state[k].clone().requires_grad_(True) for k in keys]
    xm = x.clone().requires_grad_(True)
    lm = (manual_out(xm, *ps) * r).sum()
    lm.backward()
    assert close(lm, loss.detach())
    assert close(xm.grad, grad_input)
    for k, p in zip(keys, ps):
        assert close(p.grad, grads["grad." + k]), k
    check_gradients_numerically(lambda xx, *pp: (manual_out(xx, *pp) * r).sum(), [x] + [state[k] for k in keys])

    tensors = dict(state)
    tensors.update({"input": x, "output": out, "output_weights": r})
    tensors.update(grads)
    tensors["grad.input"] = grad_input
    shapes = ", ".join("%s %s" % (k, list(state[k].shape)) for k in keys)
    write_fixture(
        name,
        "nn.%s(input_size=4, hidden_size=6, num_layers=%d, bidirectional=%s, bias=True, batch_first=True, "
        "dropout=0) as module 'encoder', parameters from PyTorch's default init U(-1/sqrt(6), 1/sqrt(6)) under the "
        "fixture seed. input [3,5,4] = [batch, steps, features], initial states zero. The recorded output is %s. "
        % (kind, layers, bidirectional,
           "every state of the last layer, output [3,5,%d] (ReturnSequences = true)" % (directions * HIDDEN)
           if return_sequences else "the last state [3,%d] (ReturnSequences = false)" % (directions * HIDDEN))
        + (LSTM_DOC if kind == "LSTM" else GRU_DOC) + STACK_DOC
        + "Parameters by state_dict key, in state_dict order: " + shapes + ". " + LOSS_NOTE,
        {"layer": kind, "module": "encoder", "input_size": FEATURES, "hidden_size": HIDDEN, "num_layers": layers,
         "bidirectional": bidirectional, "dropout": 0.0, "bias": True, "batch_first": True,
         "return_sequences": return_sequences, "gates": gates, "initial_state": "zeros", "batch": BATCH,
         "steps": STEPS, "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


class MaskedEncoder(nn.Module):
    """embedding -> encoder over packed sequences: what MaskZero on the Embedding declares in TypedNets."""

    def __init__(self, kind, layers):
        super().__init__()
        self.embedding = nn.Embedding(11, FEATURES)
        cls = nn.LSTM if kind == "LSTM" else nn.GRU
        self.encoder = cls(FEATURES, HIDDEN, num_layers=layers, bidirectional=True, batch_first=True)

    def forward(self, tokens):
        lengths = (tokens != 0).sum(dim=1)
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(tokens), lengths, batch_first=True, enforce_sorted=False)
        out, state_n = self.encoder(packed)
        seq, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        h_n = state_n[0] if isinstance(state_n, tuple) else state_n
        return seq, torch.cat([h_n[-2], h_n[-1]], dim=1)


def make_masked_stacked(name, kind, return_sequences, seed_value):
    seed(seed_value)
    model = MaskedEncoder(kind, 2)
    # Post-padded with id 0, as pack_padded_sequence needs: lengths 5, 3 and 2; no 0 among the real tokens.
    tokens = torch.tensor([[3, 7, 1, 10, 2],
                           [5, 2, 6, 0, 0],
                           [9, 4, 0, 0, 0]])
    keys = ["embedding.weight"] + stack_keys("encoder", 2, True)
    assert list(model.state_dict()) == keys
    seq, last = model(tokens)
    out = seq if return_sequences else last
    loss, r = weighted_sum_loss(out)
    loss.backward()
    state, grads = params_and_grads(model)
    assert (grads["grad.embedding.weight"][0] == 0).all(), "padding is never read"

    lengths = (tokens != 0).sum(dim=1).tolist()

    def manual_out(w, *ps):
        s, h = manual_stack(kind, w[tokens], ps, 2, True, lengths)
        return s if return_sequences else h

    ps = [state[k].clone().requires_grad_(True) for k in keys]
    lm = (manual_out(*ps) * r).sum()
    assert close(manual_out(*[state[k] for k in keys]), out.detach())
    lm.backward()
    assert close(lm, loss.detach())
    for k, p in zip(keys, ps):
        assert close(p.grad, grads["grad." + k]), k
    check_gradients_numerically(lambda *pp: (manual_out(*pp) * r).sum(), [state[k] for k in keys])

    tensors = dict(state)
    tensors.update({"input": tokens.to(torch.float64), "output": out.detach(), "output_weights": r})
    tensors.update(grads)
    write_fixture(
        name,
        "embedding = nn.Embedding(11, 4) -> encoder = nn.%s(4, 6, num_layers=2, bidirectional=True, batch_first=True) "
        "run on nn.utils.rnn.pack_padded_sequence(embedding(input), lengths = count of non-zero ids, "
        "enforce_sorted=False), what an Embedding with MaskZero = true declares in TypedNets. input [3,5] = token ids "
        "stored as floats, post-padded with 0 to lengths 5, 3, 2 (no 0 among the real tokens). Each direction sees "
        "only the real steps: the reverse one starts at the last real step. The recorded output is %s. "
        % (kind, "pad_packed_sequence(..., total_length=5): every state of the last layer, zeros at the padded steps, "
                 "[3,5,12] (ReturnSequences = true)" if return_sequences else
                 "cat(h_n[-2], h_n[-1]): the last layer's forward state after each sample's last real step and its "
                 "reverse state after step 0, [3,12] (ReturnSequences = false)")
        + (LSTM_DOC if kind == "LSTM" else GRU_DOC) + STACK_DOC + LOSS_NOTE
        + "grad.embedding.weight row 0 is exactly 0 (padding is never read). No grad.input: token ids are not "
        "differentiable.",
        {"layers": [{"name": "embedding", "type": "Embedding", "vocab_size": 11, "embedding_dim": FEATURES,
                     "mask_zero": True},
                    {"name": "encoder", "type": kind, "input_size": FEATURES, "hidden_size": HIDDEN, "num_layers": 2,
                     "bidirectional": True, "return_sequences": return_sequences}],
         "padding": "post, id 0, packed sequences", "batch": BATCH, "steps": STEPS,
         "loss": "sum(output * output_weights)"},
        tensors, {"loss": loss.item()})


def main():
    os.makedirs(mf.OUT_DIR, exist_ok=True)
    make_embedding()
    make_recurrent("lstm_last", "LSTM", False, 4101)
    make_recurrent("lstm_sequences", "LSTM", True, 4101)
    make_recurrent("gru_last", "GRU", False, 4102)
    make_recurrent("gru_sequences", "GRU", True, 4102)
    make_pooling()
    make_dense_per_step()
    make_text_classifier_tiny()
    make_stacked("lstm_two_layers", "LSTM", 2, False, False, 4501)
    make_stacked("lstm_bidirectional", "LSTM", 1, True, True, 4502)
    make_stacked("lstm_two_layers_bidirectional", "LSTM", 2, True, False, 4503)
    make_stacked("gru_two_layers", "GRU", 2, False, True, 4504)
    make_stacked("gru_bidirectional", "GRU", 1, True, False, 4505)
    make_stacked("gru_two_layers_bidirectional", "GRU", 2, True, True, 4506)
    make_masked_stacked("lstm_masked_bidirectional", "LSTM", False, 4507)
    make_masked_stacked("gru_masked_bidirectional", "GRU", True, 4508)
    for path in mf.WRITTEN:
        print(os.path.relpath(path, mf.REPO_ROOT))
    print("wrote %d fixtures with torch %s" % (len(mf.WRITTEN), torch.__version__), file=sys.stderr)


if __name__ == "__main__":
    main()
