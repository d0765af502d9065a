#!/usr/bin/env python3
"""How well an evolution run's accuracy samples can be ranked, over many train/test splits
rather than hwnas's one seeded split (issue 19). Reads the run's samples (architectures of role
"sample" and their accuracy with inherited weights) from the SQLite store and refits, outside
hwnas, on N of them and scores Kendall tau-b on 50 others, averaged over random splits:

  - ridge on the one-hot choice of each block (hwnas's `ridge` accuracy predictor);
  - the same plus one-hot pairs of adjacent blocks' choices (interactions between neighbours);
  - gradient-boosted depth-3 trees on the one-hot encoding, alone and averaged with ridge (what
    hwnas's `gbt` and `ridge+gbt` do, reimplemented small here so one scoring serves every model);
  - ridge at N = 50, 100, 150, 200: whether more samples of the same kind would help.

  bench/accuracy_refit.py DB RUN [--splits 10] [--test 50] [--ridge-only]
python3 standard library only: 17 minutes for 250 samples and 10 splits on one core, most of
it the ridge with pairs; --ridge-only (hwnas's predictor alone, no curve) takes under a minute.
"""
import argparse
import math
import random
import sqlite3
import statistics


def load_samples(db, run):
    rows = sqlite3.connect(db).execute(
        "SELECT arch, accuracy FROM architectures WHERE run_id = ? AND role = 'sample' "
        "ORDER BY step", (run,)).fetchall()
    if len(rows) < 60:
        raise SystemExit(f"run {run} of {db} has {len(rows)} accuracy samples; at least 60 needed")
    return [a.split() for a, _ in rows], [100 * y for _, y in rows]


class Encoding:
    """One-hot choice per block, optionally with one-hot pairs of adjacent blocks."""

    def __init__(self, archs, pairs):
        self.blocks = len(archs[0])
        self.choices = [sorted({a[b] for a in archs}) for b in range(self.blocks)]
        self.pairs = pairs

    def __call__(self, arch):
        x = [1.0 if arch[b] == c else 0.0 for b in range(self.blocks) for c in self.choices[b]]
        if self.pairs:
            x += [1.0 if (arch[b], arch[b + 1]) == (c, d) else 0.0
                  for b in range(self.blocks - 1)
                  for c in self.choices[b] for d in self.choices[b + 1]]
        return x


def solve(a, b):
    """Gauss-Jordan elimination with partial pivoting (a is positive definite here)."""
    n = len(a)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[r][c] != 0:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit_ridge(xs, ys, penalty):
    mean = statistics.fmean(ys)
    d = len(xs[0])
    gram = [[sum(x[i] * x[j] for x in xs) + (penalty if i == j else 0) for j in range(d)]
            for i in range(d)]
    w = solve(gram, [sum(x[i] * (y - mean) for x, y in zip(xs, ys)) for i in range(d)])
    return lambda x: mean + sum(wi * xi for wi, xi in zip(w, x))


def fit_ridge_cv(xs, ys, penalties):
    """Ridge with its penalty chosen by 5-fold cross-validation on the training samples."""
    def cv_error(penalty):
        error = 0.0
        for k in range(5):
            train = [i for i in range(len(xs)) if i % 5 != k]
            f = fit_ridge([xs[i] for i in train], [ys[i] for i in train], penalty)
            error += sum((f(xs[i]) - ys[i]) ** 2 for i in range(len(xs)) if i % 5 == k)
        return error
    return fit_ridge(xs, ys, min(penalties, key=cv_error))


def fit_tree(xs, residuals, rows, depth, min_leaf=5):
    """A regression tree on binary features: the split that most reduces the squared error."""
    mean = statistics.fmean(residuals[i] for i in rows)
    best = None
    if depth > 0 and len(rows) >= 2 * min_leaf:
        for f in range(len(xs[0])):
            left = [i for i in rows if xs[i][f] > 0.5]
            right = [i for i in rows if xs[i][f] <= 0.5]
            if len(left) < min_leaf or len(right) < min_leaf:
                continue
            sl, sr = sum(residuals[i] for i in left), sum(residuals[i] for i in right)
            gain = sl * sl / len(left) + sr * sr / len(right)
            if best is None or gain > best[0]:
                best = (gain, f, left, right)
    if best is None:
        return lambda x: mean
    _, f, left, right = best
    yes = fit_tree(xs, residuals, left, depth - 1, min_leaf)
    no = fit_tree(xs, residuals, right, depth - 1, min_leaf)
    return lambda x: yes(x) if x[f] > 0.5 else no(x)


def fit_gbt(xs, ys, rounds=200, rate=0.05, depth=3):
    mean = statistics.fmean(ys)
    predicted = [mean] * len(ys)
    trees = []
    for _ in range(rounds):
        residuals = [y - p for y, p in zip(ys, predicted)]
        tree = fit_tree(xs, residuals, list(range(len(xs))), depth)
        trees.append(tree)
        predicted = [p + rate * tree(x) for p, x in zip(predicted, xs)]
    return lambda x: mean + rate * sum(t(x) for t in trees)


def kendall_tau_b(a, b):
    concordant = discordant = ties_a = ties_b = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            da, db = a[i] - a[j], b[i] - b[j]
            if da == 0 and db == 0:
                continue
            if da == 0:
                ties_a += 1
            elif db == 0:
                ties_b += 1
            elif da * db > 0:
                concordant += 1
            else:
                discordant += 1
    n = concordant + discordant
    return (concordant - discordant) / math.sqrt((n + ties_a) * (n + ties_b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("run", type=int)
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--test", type=int, default=50)
    parser.add_argument("--ridge-only", action="store_true",
                        help="only the one-hot ridge of hwnas, and no curve over N")
    args = parser.parse_args()
    archs, accuracy = load_samples(args.db, args.run)
    print(f"run {args.run}: {len(archs)} samples, accuracy {min(accuracy):.1f}-"
          f"{max(accuracy):.1f}% (standard deviation {statistics.pstdev(accuracy):.2f} points); "
          f"Kendall tau-b on {args.test} unseen, mean (min-max) over {args.splits} random splits")
    onehot, pairs = Encoding(archs, False), Encoding(archs, True)
    penalties = [0.3, 1, 3, 10, 30, 100]
    models = [  # name, encoding, fit
        ("ridge, one-hot per block", onehot, lambda xs, ys: fit_ridge_cv(xs, ys, penalties)),
        ("ridge, + adjacent pairs", pairs, lambda xs, ys: fit_ridge_cv(xs, ys, penalties)),
        ("gbt (200 trees of depth 3)", onehot, fit_gbt),
    ]
    average = "ridge+gbt (their average)"
    if args.ridge_only:
        models, average = models[:1], None
    taus = {name: [] for name in [m[0] for m in models] + ([average] if average else [])}
    curve = {n: [] for n in ((50, 100, 150, 200) if not args.ridge_only else ())}
    for split in range(args.splits):
        order = list(range(len(archs)))
        random.Random(split).shuffle(order)
        test, train = order[:args.test], order[args.test:]
        truth = [accuracy[i] for i in test]
        predictions = {}
        for name, encode, fit in models:
            f = fit([encode(archs[i]) for i in train], [accuracy[i] for i in train])
            predictions[name] = [f(encode(archs[i])) for i in test]
        if average:
            predictions[average] = [a + b for a, b in zip(predictions[models[0][0]],
                                                          predictions[models[2][0]])]
        for name, p in predictions.items():
            taus[name].append(kendall_tau_b(p, truth))
        for n in curve:
            if n <= len(train):
                f = fit_ridge_cv([onehot(archs[i]) for i in train[:n]],
                                 [accuracy[i] for i in train[:n]], penalties)
                curve[n].append(kendall_tau_b([f(onehot(archs[i])) for i in test], truth))
    for name, values in taus.items():
        print(f"  {name:28s} {statistics.fmean(values):.3f} ({min(values):.3f}-{max(values):.3f})")
    if any(curve.values()):
        print("  ridge fitted on N samples:  " + ", ".join(
            f"N={n} {statistics.fmean(v):.3f}" for n, v in curve.items() if v))


if __name__ == "__main__":
    main()
