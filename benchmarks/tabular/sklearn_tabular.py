"""scikit-learn's side of the tabular comparison: reads train.csv and test.csv as perceptron does, fits
scikit-learn's usual pipeline on train.csv and prints one JSON object with the test accuracy and the seconds.

    ColumnTransformer([("num", SimpleImputer(median) + StandardScaler, numeric columns),
                       ("cat", SimpleImputer(constant "") + OneHotEncoder(handle_unknown="ignore"), text columns)])
    + MLPClassifier(hidden_layer_sizes=(HIDDEN,), relu, solver="adam", learning_rate_init=LR, batch_size=BATCH,
                    max_iter=EPOCHS, alpha=0, shuffle=True, early_stopping=False, tol=0, n_iter_no_change=EPOCHS)

Missing cells are those perceptron takes as missing: "", "NA", "NaN" and "?" (pandas' own longer list is off). A
column is numeric when pandas reads every present cell of it as a number, as perceptron's reader decides. The test
file's columns are matched by name: another order and extra columns are fine, as in perceptron eval. The network
is perceptron's --layers HIDDEN:relu,1:sigmoid with binary cross-entropy; every epoch runs (no early stop, no L2).

Printed JSON: accuracy (on test.csv), seconds_read, seconds_fit, seconds_score, seconds_total (inside the process;
the comparison times the whole process from outside), epochs_run, final_loss, features, train_rows, test_rows,
classes, seed, the versions, and threadpools (threadpoolctl: which BLAS ran, its kernel, its threads).
With --linear it also fits a LogisticRegression on the same features and adds linear_accuracy (not timed).

usage: /usr/bin/python3 benchmarks/tabular/sklearn_tabular.py --train train.csv --test test.csv [--label income]
       [--hidden 64] [--lr 0.001] [--batch 32] [--epochs 20] [--seed 1] [--linear]
"""
import argparse
import json
import sys
import time
import warnings

START = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

NA_VALUES = ["", "NA", "NaN", "?"]


def read(path):
    """The CSV as perceptron reads it: these missing markers only, cells trimmed of spaces."""
    return pd.read_csv(path, na_values=NA_VALUES, keep_default_na=False, skipinitialspace=True)


def features(train, label):
    """The preprocessing, fitted later on train's columns other than label: numeric columns imputed with their
    median and standardised, text columns imputed with "" (a category of its own) and one-hot encoded."""
    x = train.drop(columns=[label])
    numeric = list(x.select_dtypes(include="number").columns)
    text = [c for c in x.columns if c not in numeric]
    return ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="")),
                          ("onehot", OneHotEncoder(handle_unknown="ignore"))]), text),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--label", default="income", help="name of the label column")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1, help="random_state of the initialisation and the shuffles")
    ap.add_argument("--linear", action="store_true", help="also report a LogisticRegression's accuracy (not timed)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    train, test = read(args.train), read(args.test)
    for name, frame in (("train", train), ("test", test)):
        if args.label not in frame.columns:
            sys.exit(f"sklearn_tabular.py: error: {name} file has no column {args.label!r}; it has {list(frame.columns)}")
        if frame[args.label].isna().any():
            sys.exit(f"sklearn_tabular.py: error: {name} file has missing labels in column {args.label!r}")
    y_train, y_test = train[args.label].astype(str), test[args.label].astype(str)
    columns = [c for c in train.columns if c != args.label]
    missing = [c for c in columns if c not in test.columns]
    if missing:
        sys.exit(f"sklearn_tabular.py: error: test file lacks the feature columns {missing}")
    x_train, x_test = train[columns], test[columns]
    t1 = time.perf_counter()

    prep = features(train, args.label)
    mlp = MLPClassifier(hidden_layer_sizes=(args.hidden,), activation="relu", solver="adam",
                        learning_rate_init=args.lr, batch_size=args.batch, max_iter=args.epochs, alpha=0.0,
                        shuffle=True, early_stopping=False, tol=0.0, n_iter_no_change=args.epochs,
                        random_state=args.seed)
    model = Pipeline([("prep", prep), ("mlp", mlp)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    t2 = time.perf_counter()
    accuracy = float(np.mean(model.predict(x_test) == y_test.to_numpy()))
    t3 = time.perf_counter()

    out = {
        "accuracy": accuracy,
        "seconds_read": t1 - t0,
        "seconds_fit": t2 - t1,
        "seconds_score": t3 - t2,
        "seconds_total": t3 - START,
        "epochs_run": int(mlp.n_iter_),
        "final_loss": float(mlp.loss_),
        "features": int(mlp.coefs_[0].shape[0]),
        "train_rows": len(train),
        "test_rows": len(test),
        "classes": [str(c) for c in mlp.classes_],
        "seed": args.seed,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "threadpools": [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                        for p in threadpool_info()],
    }
    if args.linear:
        linear = Pipeline([("prep", features(train, args.label)), ("logreg", LogisticRegression(max_iter=1000))])
        linear.fit(x_train, y_train)
        out["linear_accuracy"] = float(np.mean(linear.predict(x_test) == y_test.to_numpy()))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
