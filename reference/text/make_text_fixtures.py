#!/usr/bin/env python3
"""Writes the text fixtures that TypedNets' Tokenizer and Sequences tests compare against.

Runs keras_text.py, a plain-Python port of Keras' Tokenizer and pad_sequences (TensorFlow is not
needed), on the committed corpus reference/text/corpus.txt and writes JSON to tests/Fixtures/text/.
Before writing anything it checks the port against the expected values in Keras' own unit tests
and docstrings (keras-preprocessing tests/text_test.py and tests/sequence_test.py, the
pad_sequences docstring); see reference/text/README.md.

Run from anywhere (paths are found from this file's location); plain Python 3.7+ (dicts must keep
insertion order), nothing to install:

    python3 reference/text/make_text_fixtures.py

Running it twice gives byte-identical files.
"""

import json
import os
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_text as kt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(REPO_ROOT, "tests", "Fixtures", "text")
WRITTEN = []

# Documents that a text file of one sentence per line cannot hold, or that probe edge cases:
# an empty document and one of only filtered characters (both count in document_count), a tab and
# a newline (default filters), a carriage return (not a default filter, so it stays in a word) and
# runs of spaces.
SPECIAL_TEXTS = [
    "",
    "!!! ??? ...",
    "tab\tseparated\twords and a\nnew line",
    "windows line\r\nend",
    "  many   spaces   between  words  ",
]

# Texts converted after fitting: the corpus itself plus words the corpus never saw.
UNSEEN_TEXTS = [
    "The zebra and the computer vote!",
    "Completely unseen words here.",
    "THE the The tHe",
    "Quantum computers vote on taxes; zebras do not.",
]


def read_corpus():
    with open(os.path.join(HERE, "corpus.txt"), encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --------------------------------------------------------------------------------------
# JSON output: short arrays of scalars on one line, everything else one item per line
# --------------------------------------------------------------------------------------

def _is_scalar(v):
    return v is None or isinstance(v, (bool, int, str))


def _render(v, indent):
    if _is_scalar(v):
        if isinstance(v, float):
            raise TypeError("text fixtures hold no floats")
        return json.dumps(v, ensure_ascii=False)
    pad = "  " * (indent + 1)
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = ["%s%s: %s" % (pad, json.dumps(k, ensure_ascii=False), _render(x, indent + 1)) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(v, (list, tuple)):
        # Lists of numbers or of [word, number] pairs fit one line; lists of texts get one per line.
        if all(_is_scalar(x) for x in v) and not (len(v) > 2 and all(isinstance(x, str) for x in v)):
            return "[" + ", ".join(_render(x, 0) for x in v) + "]"
        return "[\n" + ",\n".join(pad + _render(x, indent + 1) for x in v) + "\n" + "  " * indent + "]"
    raise TypeError("unsupported fixture value %r" % (v,))


def write(name, document):
    document = dict([("name", name)] + list(document.items()))
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(_render(document, 0) + "\n")
    WRITTEN.append(path)


# --------------------------------------------------------------------------------------
# Self-checks: the port must reproduce what Keras' own tests and docstrings expect
# --------------------------------------------------------------------------------------

def check(condition, what):
    if not condition:
        raise AssertionError("keras_text.py disagrees with Keras: " + what)


def self_check():
    # keras-preprocessing tests/text_test.py
    check(kt.text_to_word_sequence("hello! ? world!") == ["hello", "world"], "test_text_to_word_sequence")
    check(kt.text_to_word_sequence("hello!stop?world!", split="stop") == ["hello", "world"],
          "test_text_to_word_sequence_multichar_split")
    check(kt.text_to_word_sequence("ali! veli? k\u0131rk dokuz elli") == ["ali", "veli", "k\u0131rk", "dokuz", "elli"],
          "test_text_to_word_sequence_unicode")
    check(kt.text_to_word_sequence("ali!stopveli?stopk\u0131rkstopdokuzstopelli", split="stop")
          == ["ali", "veli", "k\u0131rk", "dokuz", "elli"], "test_text_to_word_sequence_unicode_multichar_split")

    t = kt.Tokenizer(lower=True)
    t.fit_on_texts(["The cat sat on the mat.", "The dog sat on the log.", "Dog and Cat living Together."])
    check(list(t.word_counts.items()) == [("the", 4), ("cat", 2), ("sat", 2), ("on", 2), ("mat", 1), ("dog", 2),
                                          ("log", 1), ("and", 1), ("living", 1), ("together", 1)],
          "test_tokenizer_lower_flag")

    t = kt.Tokenizer()
    t.fit_on_texts(["This text has only known words"])
    check(len(t.texts_to_sequences(["This text has some unknown words"])[0]) == 4, "test_tokenizer_oov_flag")
    t = kt.Tokenizer(oov_token="<unk>")
    t.fit_on_texts(["This text has only known words"])
    check(len(t.texts_to_sequences(["This text has some unknown words"])[0]) == 6, "test_tokenizer_oov_flag")

    def words(tokenizer, sequence):
        return " ".join(tokenizer.index_word[i] for i in sequence)

    t = kt.Tokenizer(num_words=3, oov_token="<unk>")
    t.fit_on_texts(["This text has only known words this text"])
    check(words(t, t.texts_to_sequences(["This text has some unknown words"])[0]) == "this <unk> <unk> <unk> <unk> <unk>",
          "test_tokenizer_oov_flag_and_num_words")
    t = kt.Tokenizer(oov_token="<unk>")
    t.fit_on_texts(["This text has only known words this text"])
    check(words(t, t.texts_to_sequences(["This text has some unknown words"])[0]) == "this text has <unk> <unk> words",
          "test_sequences_to_texts_no_num_words")
    t = kt.Tokenizer(num_words=3)
    t.fit_on_texts(["This text has only known words this text"])
    check(words(t, t.texts_to_sequences(["This text has some unknown words"])[0]) == "this text",
          "test_sequences_to_texts_no_oov_token")
    texts = ["The cat sat on the mat.", "The dog sat on the log.", "Dogs and cats living together."]
    t = kt.Tokenizer(num_words=10, oov_token="<unk>")
    t.fit_on_texts(texts)
    check([words(t, s) for s in t.texts_to_sequences(texts)]
          == ["the cat sat on the mat", "the dog sat on the log", "dogs <unk> <unk> <unk> <unk>"],
          "test_sequences_to_texts")

    # keras-preprocessing tests/sequence_test.py, test_pad_sequences
    a = [[1], [1, 2], [1, 2, 3]]
    check(kt.pad_sequences(a, maxlen=3, padding="pre") == [[0, 0, 1], [0, 1, 2], [1, 2, 3]], "pad pre")
    check(kt.pad_sequences(a, maxlen=3, padding="post") == [[1, 0, 0], [1, 2, 0], [1, 2, 3]], "pad post")
    check(kt.pad_sequences(a, maxlen=2, truncating="pre") == [[0, 1], [1, 2], [2, 3]], "truncate pre")
    check(kt.pad_sequences(a, maxlen=2, truncating="post") == [[0, 1], [1, 2], [1, 2]], "truncate post")
    check(kt.pad_sequences(a, maxlen=3, value=1) == [[1, 1, 1], [1, 1, 2], [1, 2, 3]], "pad value")
    # keras.utils.pad_sequences docstring
    s = [[1], [2, 3], [4, 5, 6]]
    check(kt.pad_sequences(s) == [[0, 0, 1], [0, 2, 3], [4, 5, 6]], "docstring default")
    check(kt.pad_sequences(s, value=-1) == [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]], "docstring value")
    check(kt.pad_sequences(s, padding="post") == [[1, 0, 0], [2, 3, 0], [4, 5, 6]], "docstring post")
    check(kt.pad_sequences(s, maxlen=2) == [[0, 1], [2, 3], [5, 6]], "docstring maxlen")


# --------------------------------------------------------------------------------------
# Tokenizer fixtures
# --------------------------------------------------------------------------------------

def tokenizer_fixture(name, description, fit_batches, texts, **config):
    full = {"num_words": None, "filters": kt.DEFAULT_FILTERS, "lower": True, "split": " ", "oov_token": None}
    full.update(config)
    tokenizer = kt.Tokenizer(**full)
    for batch in fit_batches:
        tokenizer.fit_on_texts(batch)
    sequences = tokenizer.texts_to_sequences(texts)
    write(name, {
        "description": description,
        "config": full,
        "fit_texts": [list(batch) for batch in fit_batches],
        "document_count": tokenizer.document_count,
        "word_index": [[w, i] for w, i in tokenizer.word_index.items()],
        "word_counts": [[w, c] for w, c in tokenizer.word_counts.items()],
        "word_docs": [[w, tokenizer.word_docs[w]] for w in tokenizer.word_counts],
        "texts": list(texts),
        "sequences": sequences,
    })
    return sequences


def tokenizer_fixtures(corpus):
    fit = corpus + SPECIAL_TEXTS
    texts = fit + UNSEEN_TEXTS
    common = (" Fitted on reference/text/corpus.txt plus the special documents of make_text_fixtures.py "
              "(one fit_on_texts call per fit_texts batch); texts_to_sequences on those documents and four "
              "with unseen words.")
    default_sequences = tokenizer_fixture(
        "tokenizer_default", "Keras' defaults: every word kept, no oov token." + common, [fit], texts)
    tokenizer_fixture(
        "tokenizer_num_words", "num_words=12: only indices 1..11 survive texts_to_sequences; other words are dropped."
        + common, [fit], texts, num_words=12)
    tokenizer_fixture(
        "tokenizer_num_words_2", "num_words=2: only index 1 (the most frequent word) survives." + common,
        [fit], texts, num_words=2)
    tokenizer_fixture(
        "tokenizer_oov", "oov_token='<OOV>': it takes index 1, words follow from 2, unseen words map to 1."
        + common, [fit], texts, oov_token="<OOV>")
    tokenizer_fixture(
        "tokenizer_oov_num_words", "oov_token='<OOV>', num_words=12: index 1 is the oov token, indices 2..11 "
        "are kept and every other word, seen or not, maps to 1." + common, [fit], texts, num_words=12, oov_token="<OOV>")
    tokenizer_fixture(
        "tokenizer_oov_in_texts", "oov_token='computer', a word of the corpus, with num_words=5. Keras lists "
        "the token twice (first, and at its frequency rank); dict() keeps the later index, so index 1 is "
        "unused, 'computer' has its rank index, and unknown or cut-off words map to that index even though "
        "it is >= num_words." + common, [fit], texts, num_words=5, oov_token="computer")
    tokenizer_fixture(
        "tokenizer_options", "lower=False, filters='.,;:!?\"()\\n\\t' (so '-', '@', '/', '#', '+' and '\\'' stay "
        "in words), split=' '." + common, [fit], texts, lower=False, filters='.,;:!?"()\n\t')
    tokenizer_fixture(
        "tokenizer_multichar_split", "split=', ' (two characters, the first also a filter): every filter "
        "character becomes ', ', the text is split on ', ', and spaces alone no longer separate words."
        + common, [fit], texts, split=", ")
    tokenizer_fixture(
        "tokenizer_incremental", "Two fit_on_texts calls (corpus lines 1-15, then the rest and the special "
        "documents): counts and document_count add up, and word_index equals a single fit on all texts."
        + common, [fit[:15], fit[15:]], texts)
    unicode_texts = [
        "\u0130STANBUL ve \u0130zmir",                   # U+0130 lowers to i + U+0307 in Python
        "\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3. \u03bf\u03b4\u03bf\u03c2",  # final sigma
        "\u03a3 \u0391\u03a3 \u0391\u03a3\u0391 \u0391\u03a3' \u0391\u03a3\u0301 \u0391\u03a3\u0301\u0391",
        "KIRK k\u0131rk K\u0131rk",                       # dotless i stays dotless
        "STRASSE Stra\u00dfe \u1e9e",                    # capital sharp s lowers to sharp s
        "\u01c4emal \u01c5emal \u01c6emal",              # DZ with caron: upper, title, lower
        "\U00010400\U00010401 Deseret\U0001f600smile \u00abquoted\u00bb",
        "Caf\u00e9 CAF\u00c9 cafe\u0301",                # precomposed and combining accents stay distinct
    ]
    tokenizer_fixture(
        "tokenizer_unicode", "Non-ASCII lower-casing and filters: Python's str.lower special cases (U+0130, final "
        "sigma), titlecase and non-BMP letters; filters are the defaults plus '\u00ab', '\u00bb' and U+1F600 (a "
        "code point outside the BMP).", [unicode_texts], unicode_texts,
        filters=kt.DEFAULT_FILTERS + "\u00ab\u00bb\U0001f600")
    return default_sequences


# --------------------------------------------------------------------------------------
# pad_sequences fixtures
# --------------------------------------------------------------------------------------

def pad_fixture(name, description, sequences, maxlen, padding="pre", truncating="pre", value=0):
    rows = kt.pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=value)
    write(name, {
        "description": description,
        "config": {"maxlen": maxlen, "padding": padding, "truncating": truncating, "value": value},
        "sequences": sequences,
        "padded": {"shape": [len(rows), maxlen], "data": [x for row in rows for x in row]},
    })


def pad_fixtures(sequences):
    common = " Sequences: tokenizer_default's sequences (lengths 0 to %d)." % max(len(s) for s in sequences)
    pad_fixture("pad_pre_pre", "pad_sequences defaults (padding='pre', truncating='pre', value=0), maxlen=8."
                + common, sequences, 8)
    pad_fixture("pad_post_post", "padding='post', truncating='post', maxlen=8." + common, sequences, 8, "post", "post")
    pad_fixture("pad_pre_post", "padding='pre', truncating='post', maxlen=6." + common, sequences, 6, "pre", "post")
    pad_fixture("pad_post_pre", "padding='post', truncating='pre', maxlen=6." + common, sequences, 6, "post", "pre")
    pad_fixture("pad_value_long", "value=-1, maxlen=25 (longer than every sequence: nothing truncated)."
                + common, sequences, 25, value=-1)
    pad_fixture("pad_maxlen_1", "maxlen=1, truncating='pre': each row keeps its last index." + common, sequences, 1)


def main():
    self_check()
    os.makedirs(OUT_DIR, exist_ok=True)
    corpus = read_corpus()
    sequences = tokenizer_fixtures(corpus)
    pad_fixtures(sequences)
    for path in WRITTEN:
        print(os.path.relpath(path, REPO_ROOT))
    print("corpus: %d lines, python %s" % (len(corpus), sys.version.split()[0]))


if __name__ == "__main__":
    main()
