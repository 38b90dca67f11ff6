#!/usr/bin/env python3
"""scikit-learn's side of scripts/compare_probe.sh.

    compare_probe.py MNIST_DIR raw MAX_ITER C
    compare_probe.py MNIST_DIR TRAIN.npy TEST.npy MAX_ITER C

Fits LogisticRegression(penalty="l2", C=C, solver="lbfgs", max_iter=MAX_ITER,
multinomial) on the MNIST training set and prints one JSON object with
train_error, test_error (fractions), the objective divided by n (boltz
probe's "objective") and the seconds. "raw" reads the MNIST IDX files
and binarises the pixels as boltz does by default (x/255 >= 0.5); otherwise
the features are the NPY files (rows in MNIST's order, from `boltz
transform`). The labels are MNIST's label files.
"""
import gzip, json, sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.exceptions import ConvergenceWarning


def idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    d = sys.argv[1]
    ytr = idx(d + "/train-labels-idx1-ubyte.gz").astype(np.int64)
    yte = idx(d + "/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    if sys.argv[2] == "raw":
        xtr = (idx(d + "/train-images-idx3-ubyte.gz").reshape(len(ytr), -1) / 255.0 >= 0.5).astype(np.float64)
        xte = (idx(d + "/t10k-images-idx3-ubyte.gz").reshape(len(yte), -1) / 255.0 >= 0.5).astype(np.float64)
        rest = sys.argv[3:]
    else:
        xtr = np.load(sys.argv[2]).astype(np.float64)
        xte = np.load(sys.argv[3]).astype(np.float64)
        rest = sys.argv[4:]
    max_iter, C = int(rest[0]), float(rest[1])
    clf = LogisticRegression(penalty="l2", C=C, solver="lbfgs", max_iter=max_iter, multi_class="multinomial")
    t = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr, ytr)
    secs = time.time() - t
    # The objective as boltz states it: mean cross-entropy + ‖W‖²/(2·C·n).
    p = clf.predict_log_proba(xtr)
    n = len(ytr)
    obj = -p[np.arange(n), ytr].mean() + (clf.coef_ ** 2).sum() / (2 * C * n)
    print(json.dumps({
        "train_error": float((clf.predict(xtr) != ytr).mean()),
        "test_error": float((clf.predict(xte) != yte).mean()),
        "objective": float(obj),
        "iterations": int(clf.n_iter_[0]),
        "fit_seconds": secs,
    }))


if __name__ == "__main__":
    main()
