"""A plain-Python port of Keras' text tokenizer and sequence padding (no TensorFlow, no numpy).

TypedNets.Text.Tokenizer and TypedNets.Text.Sequences follow these functions; the fixtures that
make_text_fixtures.py writes from them are what the C# tests compare against.

Ported, statement by statement, from Keras' own source (see reference/text/README.md for the
files and versions):

    text_to_word_sequence(text, filters, lower, split)
    Tokenizer(num_words, filters, lower, split, oov_token)
        .fit_on_texts(texts)          word_counts, word_docs, document_count, word_index, index_word
        .texts_to_sequences(texts)
    pad_sequences(sequences, maxlen, padding, truncating, value)

Left out, because TypedNets does not offer them: char_level, analyzer, a callable split, texts
given as lists of tokens, fit_on_sequences, sequences_to_texts, texts_to_matrix, JSON
serialisation, the dtype argument and multi-dimensional samples of pad_sequences.
"""

from collections import OrderedDict, defaultdict

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Lower-cases (str.lower), maps every filter character to `split`, splits on `split`, drops
    empty pieces."""
    if lower:
        text = text.lower()
    # Keras builds one translation table that sends each filter code point to the split string.
    table = str.maketrans({c: split for c in filters})
    text = text.translate(table)
    return [piece for piece in text.split(split) if piece]


class Tokenizer:
    """Keras' Tokenizer for word-level string texts."""

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ", oov_token=None):
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.oov_token = oov_token
        self.word_counts = OrderedDict()      # word -> occurrences, in first-seen order
        self.word_docs = defaultdict(int)     # word -> number of texts holding it
        self.index_docs = defaultdict(int)
        self.document_count = 0
        self.word_index = {}
        self.index_word = {}

    def fit_on_texts(self, texts):
        """Counts words (adding to earlier calls) and rebuilds word_index from all counts so far."""
        for text in texts:
            self.document_count += 1
            seq = text_to_word_sequence(text, self.filters, self.lower, self.split)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] += 1

        # list.sort is stable and stays stable with reverse=True, so words of equal count keep
        # word_counts' first-seen order.
        wcounts = list(self.word_counts.items())
        wcounts.sort(key=lambda item: item[1], reverse=True)
        sorted_voc = [] if self.oov_token is None else [self.oov_token]
        sorted_voc.extend(word for word, _ in wcounts)

        # dict(zip(...)): should the oov token also occur in the texts, the key appears twice; the
        # dict keeps its first position but the later value, so index 1 ends up unused.
        self.word_index = dict(zip(sorted_voc, range(1, len(sorted_voc) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def texts_to_sequences(self, texts):
        """One list of indices per text: unknown words are dropped (or become the oov index), and
        so are known words whose index is num_words or more (or they become the oov index)."""
        num_words = self.num_words
        oov_token_index = self.word_index.get(self.oov_token)
        sequences = []
        for text in texts:
            seq = text_to_word_sequence(text, self.filters, self.lower, self.split)
            vect = []
            for w in seq:
                i = self.word_index.get(w)
                if i is not None:
                    # `num_words and ...`: Keras treats num_words=0 like None.
                    if num_words and i >= num_words:
                        if oov_token_index is not None:
                            vect.append(oov_token_index)
                    else:
                        vect.append(i)
                elif self.oov_token is not None:
                    vect.append(oov_token_index)
            sequences.append(vect)
        return sequences


def pad_sequences(sequences, maxlen=None, padding="pre", truncating="pre", value=0):
    """Keras' pad_sequences for 1-D integer sequences, as a list of rows."""
    lengths = [len(s) for s in sequences]
    if maxlen is None:
        maxlen = max(lengths)
    if maxlen <= 0:
        # Keras fails here too, though less clearly (s[-0:] is the whole sequence, which numpy
        # then cannot fit into zero columns); TypedNets rejects maxLength <= 0 up front.
        raise ValueError("maxlen must be positive, got %d" % maxlen)
    rows = []
    for s in sequences:
        row = [value] * maxlen
        if len(s):
            if truncating == "pre":
                trunc = s[-maxlen:]
            elif truncating == "post":
                trunc = s[:maxlen]
            else:
                raise ValueError('Truncating type "%s" not understood' % truncating)
            if padding == "post":
                row[:len(trunc)] = trunc
            elif padding == "pre":
                row[maxlen - len(trunc):] = trunc
            else:
                raise ValueError('Padding type "%s" not understood' % padding)
        rows.append(row)
    return rows
