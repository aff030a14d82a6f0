#!/usr/bin/env python3
"""Writes the PyTorch reference fixture for knowledge distillation (Hinton et al., 2015).

The loss, in the common PyTorch recipe, with hard_label_weight the weight of the hard-label term:

    loss = w * F.cross_entropy(s, labels)
         + (1 - w) * T**2 * F.kl_div(F.log_softmax(s / T), F.softmax(t / T), reduction='batchmean')

for student logits s, teacher logits t, temperature T and hard-label weight w. The gradient w.r.t. the student logits
is taken by autograd; the teacher's logits are constants. Two cases share the logits and labels: T = 4, w = 0.3 and
T = 1, w = 0.3. Same format and determinism rules as make_fixtures.py (whose JSON writer this script reuses): float64,
one thread, a fixed seed, byte-identical output on a rerun for a given PyTorch build. Each case is checked as it is
written against the closed-form gradient w*(softmax(s) - onehot)/B + (1 - w)*T*(softmax(s/T) - softmax(t/T))/B.

Run from anywhere (the output directory is found from this file's location):

    /usr/bin/python3 reference/pytorch/make_distillation_fixtures.py
"""

import os
import sys

sys.dont_write_bytecode = True  # importing make_fixtures must not leave a __pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import make_fixtures as mf  # noqa: E402  (sets float64, 1 thread, deterministic algorithms)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

BATCH, CLASSES = 6, 5
CASES = [(4.0, 0.3, "T4_w0.3"), (1.0, 0.3, "T1_w0.3")]


def distillation_loss(s, t, labels, temperature, weight):
    hard = F.cross_entropy(s, labels)
    soft = F.kl_div(F.log_softmax(s / temperature, dim=1), F.softmax(t / temperature, dim=1), reduction="batchmean")
    return weight * hard + (1 - weight) * temperature ** 2 * soft


def main():
    mf.seed(1414)
    # Spread-out logits (scale 3) so that the temperature changes the soft targets markedly.
    student = 3 * torch.randn(BATCH, CLASSES)
    teacher = 3 * torch.randn(BATCH, CLASSES)
    labels = torch.randint(0, CLASSES, (BATCH,))

    tensors = {"student_logits": student, "teacher_logits": teacher, "labels": labels.to(torch.float64)}
    scalars = {}
    for temperature, weight, suffix in CASES:
        s = student.clone().requires_grad_(True)
        loss = distillation_loss(s, teacher, labels, temperature, weight)
        loss.backward()
        closed = (weight * (F.softmax(student, dim=1) - F.one_hot(labels, CLASSES)) / BATCH
                  + (1 - weight) * temperature * (F.softmax(student / temperature, dim=1)
                                                  - F.softmax(teacher / temperature, dim=1)) / BATCH)
        assert mf.close(s.grad, closed), suffix
        tensors["grad." + suffix] = s.grad.detach().clone()
        scalars["loss." + suffix] = loss.item()

    description = (
        "Knowledge distillation: loss = w * cross_entropy(s, labels) + (1 - w) * T^2 * "
        "kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean'), w the hard-label weight. "
        "Tensors: student_logits s [6,5], teacher_logits t [6,5], labels (class ids as floats) [6], "
        "grad.<case> = dLoss/ds by autograd. Scalars: loss.<case>. Cases: T4_w0.3 (T = 4, w = 0.3), T1_w0.3 (T = 1, w = 0.3).")
    config = {"cases": [{"name": suffix, "temperature": temperature, "hard_label_weight": weight}
                        for temperature, weight, suffix in CASES]}
    mf.write_fixture("distillation", description, config, tensors, scalars)
    for path in mf.WRITTEN:
        print("wrote", path)


if __name__ == "__main__":
    main()
