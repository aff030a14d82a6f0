#!/usr/bin/env python3
"""The PyTorch reference for examples/TextClassifier: the same quotes, split (and row order),
tokenizer, padding, network and training settings, run in real PyTorch over five seeds.

The C# example (examples/TextClassifier/Program.cs) classifies quotes from Debian's fortune
database as "computers" or "politics" and prints its held-out accuracy next to the mean of
the figures this script writes to examples/TextClassifier/pytorch_reference.json.

Reproduced here exactly as Program.cs does it:

  * data: data/fortunes/computers (label 0) then data/fortunes/politics (label 1), read as
    TypedNets.Text.FortuneFile does (UTF-8; entries separated by lines that are exactly "%";
    each entry's lines joined with "\\n", trimmed of white space, empty entries dropped).
    The files come from scripts/fetch-fortunes.sh;
  * split: TypedNets' stratified split (Split.StratifiedTrainTest), test fraction 0.2, seed
    42, through the Python port reference/sklearn/typednets_split.py (verified index for
    index against the C#): 1403 training rows, 351 held out, each set in the split's
    shuffled order (as scikit-learn's StratifiedShuffleSplit returns them);
  * tokenizer: Keras' Tokenizer(num_words=10000) fitted on the training texts in that
    order, through the port reference/text/keras_text.py (verified against the C# by
    fixtures); texts_to_sequences, then pad_sequences(maxlen=100, padding="pre",
    truncating="pre", value=0);
  * validation: Keras' validation_split=0.2, as TypedNets' Trainer does it: the first
    int(1403 * (1 - 0.2)) = 1122 rows (in the split's order) train, the last 281 validate;
  * network: Embedding(10000, 128) -> LSTM(128, 64, batch_first), last hidden state ->
    Dropout(0.5) -> Linear(64, 64) + ReLU -> Dropout(0.5) -> Linear(64, 2), PyTorch's default
    initialisation (the softmax of the C# output layer is folded into the loss);
  * training: nn.CrossEntropyLoss on the logits (= softmax + categorical cross-entropy),
    Adam(lr=0.001) with PyTorch's other defaults, batch 32 (the last batch of an epoch has
    the 2 remaining rows), 10 epochs, the 1122 rows reshuffled every epoch (torch.randperm);
    validation loss and accuracy after every epoch, in eval mode;
  * score: accuracy of argmax(logits) against the label on the 351 held-out rows, in eval
    mode (no dropout).

Each run starts from torch.manual_seed(s), s = 0..4. The epoch shuffles and dropout masks
come from PyTorch's generator, so they are PyTorch's, not TypedNets'; the figures are a
distribution to compare against, not a bit-for-bit replay.

Run from anywhere (paths are found from this file's location), after
scripts/fetch-fortunes.sh:

    /usr/bin/python3 reference/pytorch/text_classifier.py

float32, one thread, deterministic algorithms: a rerun writes a byte-identical JSON file
(for a given PyTorch build; this was generated with Debian's python3-torch 1.13.1).
"""

import json
import os
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "reference", "sklearn"))
sys.path.insert(0, os.path.join(REPO_ROOT, "reference", "text"))
import keras_text  # noqa: E402  (Keras' Tokenizer and pad_sequences, ported)
import typednets_split as tns  # noqa: E402  (TypedNets' split algorithm, ported)

DATA_DIR = os.path.join(REPO_ROOT, "data", "fortunes")
OUT_PATH = os.path.join(REPO_ROOT, "examples", "TextClassifier", "pytorch_reference.json")

CLASS_NAMES = ["computers", "politics"]
VOCABULARY_SIZE = 10000
SEQUENCE_LENGTH = 100
TEST_FRACTION = 0.2
SPLIT_SEED = 42
VALIDATION_SPLIT = 0.2
EMBEDDING_DIM = 128
LSTM_UNITS = 64
HIDDEN = 64
DROPOUT = 0.5
LEARNING_RATE = 0.001
BATCH_SIZE = 32
EPOCHS = 10
SEEDS = [0, 1, 2, 3, 4]

torch.set_default_dtype(torch.float32)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# --------------------------------------------------------------------------------------
# Data (as FortuneFile reads it), split, tokenizer and padding (as Program.cs does them)
# --------------------------------------------------------------------------------------

# .NET's char.IsWhiteSpace set, which string.Trim() strips: Python's str.strip() also strips
# U+001C..U+001F, which .NET does not count as white space.
_DOTNET_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def read_fortunes(path):
    """FortuneFile.Read: the entries between lines that are exactly "%", lines joined with
    "\\n", trimmed, empty entries dropped; UTF-8 (a BOM is skipped, as StreamReader does)."""
    if not os.path.isfile(path):
        sys.exit("There is no fortune file at %s; run scripts/fetch-fortunes.sh from the repository first." % path)
    # newline=None turns \r\n and \r into \n, the line ends StreamReader.ReadLine splits on.
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as f:
        text = f.read()
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # ReadLine yields no empty line after the final line end
    entries, entry = [], []
    for line in lines + ["%"]:
        if line == "%":
            joined = "\n".join(entry).strip(_DOTNET_WHITESPACE)
            if joined:
                entries.append(joined)
            entry = []
        else:
            entry.append(line)
    return entries


def load_quotes():
    texts, labels, per_class = [], [], {}
    for label, name in enumerate(CLASS_NAMES):
        quotes = read_fortunes(os.path.join(DATA_DIR, name))
        per_class[name] = len(quotes)
        texts.extend(quotes)
        labels.extend([label] * len(quotes))
    return texts, labels, per_class


def check_split(labels, train, test):
    """1403 training and 351 held-out rows, each class split 80/20 with per-class rounding."""
    n = len(labels)
    assert len(train) == 1403 and len(test) == 351, (len(train), len(test))
    assert sorted(train + test) == list(range(n)) and not set(train) & set(test)
    counts = {}
    for part, rows in (("train", train), ("test", test)):
        counts[part] = {name: sum(1 for r in rows if labels[r] == c) for c, name in enumerate(CLASS_NAMES)}
    for c, name in enumerate(CLASS_NAMES):
        total = labels.count(c)
        expected_test = tns.test_count(TEST_FRACTION, total)  # TypedNets rounds half up per class
        assert counts["test"][name] == expected_test and counts["train"][name] == total - expected_test, (name, counts)
    return counts


def build_sequences(texts, train_rows, test_rows):
    tokenizer = keras_text.Tokenizer(num_words=VOCABULARY_SIZE)
    tokenizer.fit_on_texts([texts[r] for r in train_rows])
    assert tokenizer.document_count == len(train_rows)
    word_index = tokenizer.word_index
    # Indices 1..V, most frequent first. The 1403 training quotes hold 8751 distinct words,
    # fewer than num_words - 1 = 9999, so every word keeps its index and no index reaches 8752.
    assert sorted(word_index.values()) == list(range(1, len(word_index) + 1))
    assert len(word_index) == 8751, len(word_index)
    counts = [tokenizer.word_counts[w] for w, _ in sorted(word_index.items(), key=lambda item: item[1])]
    assert all(a >= b for a, b in zip(counts, counts[1:]))

    def pad(rows):
        sequences = tokenizer.texts_to_sequences([texts[r] for r in rows])
        padded = keras_text.pad_sequences(sequences, maxlen=SEQUENCE_LENGTH, padding="pre", truncating="pre", value=0)
        assert len(padded) == len(rows) and all(len(p) == SEQUENCE_LENGTH for p in padded)
        for s, p in zip(sequences, padded):
            kept = s[-SEQUENCE_LENGTH:]
            assert p[SEQUENCE_LENGTH - len(kept):] == kept and not any(p[:SEQUENCE_LENGTH - len(kept)])
        return torch.tensor(padded, dtype=torch.long), sequences

    train_x, train_sequences = pad(train_rows)
    test_x, test_sequences = pad(test_rows)
    for x in (train_x, test_x):
        assert x.min().item() >= 0 and x.max().item() <= min(len(word_index), VOCABULARY_SIZE - 1)
    assert train_x.shape == (1403, SEQUENCE_LENGTH) and test_x.shape == (351, SEQUENCE_LENGTH)
    # Every training text has at least one kept word (so no all-padding training row), and
    # the most frequent word is in use.
    assert all(len(s) > 0 for s in train_sequences)
    assert (train_x == 1).any()
    lengths = [len(s) for s in train_sequences + test_sequences]
    stats = {
        "vocabulary_words": len(word_index),
        "kept_word_indices": min(len(word_index), VOCABULARY_SIZE - 1),
        "max_sequence_length_before_padding": max(lengths),
        "sequences_truncated": sum(1 for n in lengths if n > SEQUENCE_LENGTH),
        "empty_test_sequences": sum(1 for s in test_sequences if not s),
    }
    return train_x, test_x, stats


# --------------------------------------------------------------------------------------
# Network and training
# --------------------------------------------------------------------------------------

class FortuneClassifier(nn.Module):
    """Embedding(10000,128) -> LSTM(64), last hidden state -> Dropout(0.5) -> Linear(64,64) +
    ReLU -> Dropout(0.5) -> Linear(64,2); logits out (the softmax is in the loss)."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY_SIZE, EMBEDDING_DIM)
        self.encoder = nn.LSTM(EMBEDDING_DIM, LSTM_UNITS, batch_first=True)
        self.drop1 = nn.Dropout(DROPOUT)
        self.hidden = nn.Linear(LSTM_UNITS, HIDDEN)
        self.drop2 = nn.Dropout(DROPOUT)
        self.output = nn.Linear(HIDDEN, 2)

    def forward(self, tokens):
        _, (h_n, _) = self.encoder(self.embedding(tokens))
        x = self.drop1(h_n[0])
        x = self.drop2(torch.relu(self.hidden(x)))
        return self.output(x)


def evaluate(model, x, y, loss_fn):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = loss_fn(logits, y).item()
    correct = int((torch.argmax(logits, dim=1) == y).sum())
    model.train()
    return loss, correct / y.shape[0]


def train_and_score(seed, fit_x, fit_y, val_x, val_y, test_x, test_y):
    torch.manual_seed(seed)
    model = FortuneClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    n = fit_x.shape[0]
    history = []

    model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(n)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, BATCH_SIZE):
            rows = order[start:start + BATCH_SIZE]
            logits = model(fit_x[rows])
            loss = loss_fn(logits, fit_y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * rows.shape[0]
            correct += int((torch.argmax(logits.detach(), dim=1) == fit_y[rows]).sum())
        val_loss, val_accuracy = evaluate(model, val_x, val_y, loss_fn)
        history.append({
            "epoch": epoch + 1,
            "loss": loss_sum / n,
            "accuracy": correct / n,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
        })

    _, test_accuracy = evaluate(model, test_x, test_y, loss_fn)
    return test_accuracy, history


def main():
    started = time.perf_counter()
    texts, labels, per_class = load_quotes()
    assert len(texts) == len(labels) == 1754 and all(texts), (len(texts), per_class)

    train_rows, test_rows = tns.stratified_train_test([float(v) for v in labels], TEST_FRACTION, SPLIT_SEED)
    split_counts = check_split(labels, train_rows, test_rows)

    train_x, test_x, token_stats = build_sequences(texts, train_rows, test_rows)
    train_y = torch.tensor([labels[r] for r in train_rows], dtype=torch.long)
    test_y = torch.tensor([labels[r] for r in test_rows], dtype=torch.long)

    split_at = int(len(train_rows) * (1 - VALIDATION_SPLIT))  # Keras' validation_split
    assert split_at == 1122 and len(train_rows) - split_at == 281, split_at
    fit_x, fit_y = train_x[:split_at], train_y[:split_at]
    val_x, val_y = train_x[split_at:], train_y[split_at:]

    test_labels = test_y.tolist()
    majority_class = 1 if test_labels.count(1) > len(test_labels) // 2 else 0  # as Program.cs picks it
    majority_baseline = test_labels.count(majority_class) / len(test_labels)

    accuracies, histories = [], {}
    for s in SEEDS:
        accuracy, history = train_and_score(s, fit_x, fit_y, val_x, val_y, test_x, test_y)
        accuracies.append(accuracy)
        histories[s] = history
        print("seed %d: held-out accuracy %.4f (final val accuracy %.4f)" % (s, accuracy, history[-1]["val_accuracy"]))

    document = {
        "description": (
            "PyTorch reference for examples/TextClassifier, written by reference/pytorch/text_classifier.py. "
            "Held-out accuracy (argmax of the logits vs the label, eval mode) of "
            "Embedding(10000,128)-LSTM(64, last hidden state)-Dropout(0.5)-Linear(64,64)+ReLU-Dropout(0.5)-Linear(64,2) "
            "on Debian's fortunes, computers (label 0) vs politics (label 1): TypedNets' stratified split "
            "(test fraction 0.2, seed 42: 1403 train / 351 test quotes, each in the split's shuffled order), "
            "Keras Tokenizer(num_words=10000) fitted on the training texts in that order, "
            "sequences padded/truncated to 100 ('pre'/'pre', value 0), validation_split 0.2 (the last 281 of the "
            "training rows validate, the first 1122 train), nn.CrossEntropyLoss on the logits, "
            "Adam(lr=0.001, PyTorch defaults), batch 32, 10 epochs reshuffled each epoch, PyTorch default "
            "initialisation, float32, one thread, one run per torch.manual_seed(s), s = 0..4. Accuracies, mean, "
            "min and max rounded to 4 decimals (the mean is of the unrounded accuracies); majority_baseline is "
            "the held-out accuracy of always predicting the held-out set's majority class."
        ),
        "settings": {
            "data": ["data/fortunes/computers", "data/fortunes/politics"],
            "quotes": dict(per_class, total=len(texts)),
            "labels": {"computers": 0, "politics": 1},
            "split": "TypedNets Split.StratifiedTrainTest (rows in its shuffled order) via reference/sklearn/typednets_split.py",
            "test_fraction": TEST_FRACTION,
            "split_seed": SPLIT_SEED,
            "train_rows": len(train_rows),
            "test_rows": len(test_rows),
            "class_counts": split_counts,
            "validation_split": VALIDATION_SPLIT,
            "fit_rows": split_at,
            "validation_rows": len(train_rows) - split_at,
            "tokenizer": "Keras Tokenizer via reference/text/keras_text.py, default filters, lower-cased",
            "num_words": VOCABULARY_SIZE,
            "tokens": token_stats,
            "sequence_length": SEQUENCE_LENGTH,
            "padding": "pre",
            "truncating": "pre",
            "embedding_dim": EMBEDDING_DIM,
            "lstm_units": LSTM_UNITS,
            "hidden_units": HIDDEN,
            "dropout": DROPOUT,
            "loss": "nn.CrossEntropyLoss on the logits",
            "optimizer": "Adam",
            "learning_rate": LEARNING_RATE,
            "betas": [0.9, 0.999],
            "eps": 1e-08,
            "weight_decay": 0.0,
            "batch_size": BATCH_SIZE,
            "epochs": EPOCHS,
            "shuffle": "torch.randperm each epoch",
            "initialisation": "PyTorch default (nn.Embedding N(0,1), nn.LSTM and nn.Linear reset_parameters)",
            "seeds": SEEDS,
            "dtype": "float32",
            "threads": 1,
            "torch_version": torch.__version__,
        },
        "accuracies": [round(a, 4) for a in accuracies],
        "mean_accuracy": round(sum(accuracies) / len(accuracies), 4),
        "min": round(min(accuracies), 4),
        "max": round(max(accuracies), 4),
        "majority_baseline": round(majority_baseline, 4),
    }

    with open(OUT_PATH, "w", encoding="utf-8", newline="\n") as f:
        json.dump(document, f, indent=2)
        f.write("\n")

    print()
    print("PyTorch %s; %d quotes (%d computers, %d politics); %d train (%d fit + %d validation) / %d test; "
          "vocabulary %d words, %d kept"
          % (torch.__version__, len(texts), per_class["computers"], per_class["politics"], len(train_rows),
             split_at, len(train_rows) - split_at, len(test_rows), token_stats["vocabulary_words"],
             token_stats["kept_word_indices"]))
    print()
    print("Seed 0, per epoch:")
    print("  epoch     loss  accuracy  val_loss  val_accuracy")
    for h in histories[0]:
        print("  %5d  %7.4f  %8.4f  %8.4f  %12.4f" % (h["epoch"], h["loss"], h["accuracy"], h["val_loss"], h["val_accuracy"]))
    print()
    print("Held-out accuracy, seeds %s: %s" % (SEEDS, " ".join("%.4f" % a for a in document["accuracies"])))
    print("mean %.4f  min %.4f  max %.4f  (majority baseline %.4f)"
          % (document["mean_accuracy"], document["min"], document["max"], document["majority_baseline"]))
    print("Took %.1f s." % (time.perf_counter() - started))
    print("Wrote", os.path.relpath(OUT_PATH, os.getcwd()))


if __name__ == "__main__":
    main()
