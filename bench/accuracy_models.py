#!/usr/bin/python3
"""Which model of an evolution run's accuracy samples ranks unseen architectures best (issue 19):
the Kendall tau-b of each model on 50 held-back samples, fitted on the rest, over random splits.
bench/accuracy_refit.py covers hwnas's own predictors in plain Python; this one asks whether a
more flexible model, or features the supernet's search left behind, would do better:

  - ridge on the one-hot choice per block (hwnas's `ridge`), and with features from the final
    architecture distribution of the supernet's search (each chosen op's probability, products
    of pairs of them, whether each block holds its most likely op and pairs of those): paths the
    search favoured were trained more, together;
  - lasso on the one-hot choices and on all pairs of them (sparse interactions);
  - kernel ridge (RBF), support vector regression, random forest, gradient-boosted trees.

  bench/accuracy_models.py DB EVOLUTION_RUN SUPERNET_RUN [--splits 20]
Needs python3-sklearn (scripts/setup.sh installs it); 10-15 minutes for 250 samples at nice 19
beside a training run.
"""
import argparse
import sqlite3
import warnings

import numpy as np
from scipy.stats import kendalltau
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import LassoCV, RidgeCV
from sklearn.preprocessing import PolynomialFeatures
from sklearn.svm import SVR

from accuracy_refit import load_samples  # bench/ is the script's own directory


def load(db, evolution_run, supernet_run):
    archs, accuracies = load_samples(db, evolution_run)
    # The search's last architecture distribution: metrics BLOCK.p.OP at their largest step.
    probs = {}
    for name, value in sqlite3.connect(db).execute(
            "SELECT name, value FROM metrics m WHERE run_id = ? AND name LIKE '%.p.%' AND "
            "step = (SELECT MAX(step) FROM metrics WHERE run_id = m.run_id AND name = m.name)",
            (supernet_run,)):
        block, op = name.rsplit(".p.", 1)
        probs.setdefault(block, {})[op] = value
    if not probs:
        raise SystemExit(f"run {supernet_run} of {db} stored no architecture probabilities "
                         "(is it a proxyless run?)")
    return archs, np.array(accuracies), [probs[b] for b in sorted(probs)]


def features(archs, probs):
    blocks = len(archs[0])
    choices = [sorted({a[b] for a in archs}) for b in range(blocks)]
    onehot = np.array([[float(a[b] == c) for b in range(blocks) for c in choices[b]]
                       for a in archs])
    p = np.array([[probs[b].get(a[b], 0.0) for b in range(blocks)] for a in archs])
    favourite = [max(probs[b], key=probs[b].get) for b in range(blocks)]
    fav = np.array([[float(a[b] == favourite[b]) for b in range(blocks)] for a in archs])
    pairs = PolynomialFeatures(2, interaction_only=True, include_bias=False)
    return {
        "onehot": onehot,
        "onehot+p": np.hstack([onehot, p, pairs.fit_transform(p)[:, blocks:]]),
        "onehot+favourite": np.hstack([onehot, pairs.fit_transform(fav)]),
        "onehot pairs": pairs.fit_transform(onehot),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("evolution_run", type=int)
    parser.add_argument("supernet_run", type=int)
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--test", type=int, default=50)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # lasso's convergence notes on the pairs
    archs, y, probs = load(args.db, args.evolution_run, args.supernet_run)
    x = features(archs, probs)
    print(f"{len(y)} samples, accuracy {y.min():.1f}-{y.max():.1f}% (standard deviation "
          f"{y.std():.2f} points); fitted on {len(y) - args.test}, tau on {args.test} unseen, "
          f"{args.splits} random splits")
    rng = np.random.default_rng(0)
    splits = [rng.permutation(len(y)) for _ in range(args.splits)]
    penalties = np.logspace(-3, 3, 30)
    models = [
        ("ridge, one-hot (hwnas's ridge)", "onehot", lambda: RidgeCV(alphas=penalties)),
        ("ridge, plus op probabilities and pairs", "onehot+p", lambda: RidgeCV(alphas=penalties)),
        ("ridge, plus favourite-op pairs", "onehot+favourite",
         lambda: RidgeCV(alphas=penalties)),
        ("lasso, one-hot", "onehot", lambda: LassoCV(cv=5, n_alphas=30)),
        ("lasso, all one-hot pairs", "onehot pairs", lambda: LassoCV(cv=5, n_alphas=30)),
        ("kernel ridge, RBF", "onehot", lambda: KernelRidge(alpha=0.1, kernel="rbf", gamma=0.03)),
        ("support vector regression, RBF", "onehot",
         lambda: SVR(C=30, gamma=0.03, epsilon=0.2)),
        ("random forest, 500 trees", "onehot",
         lambda: RandomForestRegressor(500, min_samples_leaf=2, random_state=0)),
        ("gradient-boosted trees, 300 of depth 3", "onehot",
         lambda: GradientBoostingRegressor(n_estimators=300, max_depth=3, learning_rate=0.05,
                                           subsample=0.8, random_state=0)),
    ]
    print(f"| model | Kendall tau, mean (min-max) of {args.splits} splits |\n|---|---|")
    for name, encoding, make in models:
        taus = []
        for order in splits:
            test, train = order[:args.test], order[args.test:]
            model = make().fit(x[encoding][train], y[train])
            taus.append(kendalltau(model.predict(x[encoding][test]), y[test])[0])
        print(f"| {name} | {np.mean(taus):.3f} ({min(taus):.3f}-{max(taus):.3f}) |", flush=True)


if __name__ == "__main__":
    main()
