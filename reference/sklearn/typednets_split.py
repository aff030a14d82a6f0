"""A Python port of TypedNets' seeded shuffles and splits (src/Runtime/Data/Split.cs).

Written from the algorithm stated in Split's XML documentation, not from the C# code, so
that the fixtures it produces check that documentation: if the C# tests agree with this
port index for index, the documented algorithm is the implemented one.

    rng = Xoshiro256(seed)           # xoshiro256**, seeded by SplitMix64
    rng.below(bound)                 # Lemire's unbiased integer in [0, bound)
    shuffle(n, seed)                 # Fisher-Yates over [0, n)
    train_test(n, fraction, seed)
    stratified_train_test(labels, fraction, seed)
    epoch_orders(n, seed, epochs)    # ShuffledBatches' per-epoch row orders
"""

import math

MASK = (1 << 64) - 1


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256:
    """xoshiro256** (Blackman and Vigna) with state from four SplitMix64 outputs."""

    def __init__(self, seed):
        state = seed & MASK
        s = []
        for _ in range(4):
            state = (state + 0x9E3779B97F4A7C15) & MASK
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            s.append(z ^ (z >> 31))
        self.s0, self.s1, self.s2, self.s3 = s

    def next(self):
        result = (_rotl((self.s1 * 5) & MASK, 7) * 9) & MASK
        t = (self.s1 << 17) & MASK
        self.s2 ^= self.s0
        self.s3 ^= self.s1
        self.s1 ^= self.s2
        self.s0 ^= self.s3
        self.s2 ^= t
        self.s3 = _rotl(self.s3, 45)
        return result

    def below(self, bound):
        """A uniform integer in [0, bound): Lemire's multiply-and-reject method."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        threshold = ((1 << 64) - bound) % bound
        while True:
            product = self.next() * bound
            if (product & MASK) >= threshold:
                return product >> 64


def fisher_yates(items, rng):
    """Shuffles the list in place: for i from n-1 down to 1, swap items i and below(i+1)."""
    for i in range(len(items) - 1, 0, -1):
        j = rng.below(i + 1)
        items[i], items[j] = items[j], items[i]


def test_count(fraction, n):
    """Round half up, in IEEE double precision: floor(fraction * n + 0.5)."""
    return int(math.floor(fraction * float(n) + 0.5))


def shuffle(n, seed):
    items = list(range(n))
    fisher_yates(items, Xoshiro256(seed))
    return items


def train_test(n, fraction, seed):
    """As scikit-learn's ShuffleSplit: the first k entries of the permutation are test, the rest train, unsorted."""
    p = shuffle(n, seed)
    k = test_count(fraction, n)
    return p[k:], p[:k]


def stratified_train_test(labels, fraction, seed):
    rng = Xoshiro256(seed)
    keys = [float(v) + 0.0 for v in labels]  # -0.0 + 0.0 is +0.0: the two zeros are one class
    train, test = [], []
    for value in sorted(set(keys)):
        rows = [i for i, key in enumerate(keys) if key == value]
        fisher_yates(rows, rng)
        k = test_count(fraction, len(rows))
        test.extend(rows[:k])
        train.extend(rows[k:])
    # As scikit-learn's StratifiedShuffleSplit, both sets are permuted last (train first), so that their rows are
    # not grouped by class.
    fisher_yates(train, rng)
    fisher_yates(test, rng)
    return train, test


def epoch_orders(n, seed, epochs):
    """Each epoch resets the order to [0, n) and shuffles it with one generator continued across epochs."""
    rng = Xoshiro256(seed)
    orders = []
    for _ in range(epochs):
        order = list(range(n))
        fisher_yates(order, rng)
        orders.append(order)
    return orders
