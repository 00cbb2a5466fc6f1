#!/usr/bin/python3
"""Regression on real files, labels as they are against labels standardised.

usage, from the repository root:
  go build -o /tmp/perceptron ./cmd/perceptron
  /usr/bin/python3 benchmarks/tabular/regress_targets.py /tmp/perceptron OUT_DIR FILE.csv:LABEL[:DROP,...] ...

For each file it holds 20% out for the test (pandas, random_state 0), writes train.csv and test.csv into
OUT_DIR, and measures the test R² of:
  perceptron   `perceptron train` with its defaults (16-16 relu, per-example SGD, lr 0.01) for 20 epochs,
               --scale-target standard (the default) and none, seeds 1 to 5, then `perceptron eval`;
  scikit-learn MLPRegressor(hidden_layer_sizes=(16, 16)) with its defaults (Adam, lr 0.001, 200 iterations),
               on the same standardised and one-hot features (SimpleImputer + StandardScaler,
               OneHotEncoder(handle_unknown="ignore")), its labels as they are, and inside
               TransformedTargetRegressor(StandardScaler()) (the labels standardised), random_state 1 to 5.
Prints a Markdown table of the median (min–max) R² per file and side. The files used in
benchmarks/results/2026-12-05-regression-targets.md are seaborn's (github.com/mwaskom/seaborn-data):
mpg.csv:mpg:name, healthexp.csv:Life_Expectancy, tips.csv:tip.
"""
import json
import os
import statistics
import subprocess
import sys
import warnings

import pandas as pd
from sklearn.compose import TransformedTargetRegressor, make_column_selector, make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

SEEDS = range(1, 6)


def perceptron_r2(binary, folder, label, drop, scale_target, seed):
    model = os.path.join(folder, "model.safetensors")
    train = [binary, "train", "--data", "csv:" + os.path.join(folder, "train.csv"), "--label-col", label, "--epochs", "20",
             "--test-split", "0", "--seed", str(seed), "--scale-target", scale_target, "--out", model,
             "--history", "", "--plot", "", "--quiet", "--json"]
    if drop:
        train += ["--drop", drop]
    done = subprocess.run(train, capture_output=True, text=True)
    if done.returncode != 0:
        return float("nan")  # the fit failed (a loss that overflowed): no model
    ev = subprocess.run([binary, "eval", "--model", model, "--data", "csv:" + os.path.join(folder, "test.csv"), "--json"],
                        capture_output=True, text=True, check=True)
    return json.loads(ev.stdout)["r2"]


def sklearn_r2(train, test, label, drop, standardise, seed):
    x, y = train.drop(columns=[label] + drop), train[label]
    columns = make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), make_column_selector(dtype_include="number")),
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")))
    model = MLPRegressor(hidden_layer_sizes=(16, 16), random_state=seed)
    if standardise:
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    fitted = make_pipeline(columns, model).fit(x, y)
    return fitted.score(test.drop(columns=[label] + drop), test[label])


def summary(values):
    ok = [v for v in values if v == v]
    failed = len(values) - len(ok)
    if not ok:
        return f"failed ({failed} of {len(values)})"
    text = f"{statistics.median(ok):.3f} ({min(ok):.3f} – {max(ok):.3f})"
    return text + (f", {failed} of {len(values)} failed" if failed else "")


def main():
    binary, out, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("| file | label | side | test R², median (min – max) over 5 seeds |")
    print("|---|---|---|---|")
    for spec in specs:
        path, label, *rest = spec.split(":")
        drop = rest[0] if rest else ""
        data = pd.read_csv(path).dropna(subset=[label])
        train, test = train_test_split(data, test_size=0.2, random_state=0)
        folder = os.path.join(out, os.path.splitext(os.path.basename(path))[0])
        os.makedirs(folder, exist_ok=True)
        train.to_csv(os.path.join(folder, "train.csv"), index=False)
        test.to_csv(os.path.join(folder, "test.csv"), index=False)
        dropped = drop.split(",") if drop else []
        name = os.path.basename(path)
        for side, values in [
            ("perceptron, labels standardised (default)", [perceptron_r2(binary, folder, label, drop, "standard", s) for s in SEEDS]),
            ("perceptron, labels as they are", [perceptron_r2(binary, folder, label, drop, "none", s) for s in SEEDS]),
            ("scikit-learn MLPRegressor, labels as they are (its default)", [sklearn_r2(train, test, label, dropped, False, s) for s in SEEDS]),
            ("scikit-learn MLPRegressor in TransformedTargetRegressor(StandardScaler())", [sklearn_r2(train, test, label, dropped, True, s) for s in SEEDS]),
        ]:
            print(f"| {name} | {label} | {side} | {summary(values)} |", flush=True)


if __name__ == "__main__":
    main()
