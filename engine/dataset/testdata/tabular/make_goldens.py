#!/usr/bin/python3
"""Writes the goldens of the tabular tests: each case's files read by pandas
and transformed by scikit-learn's pipeline, one per feature column in file
order (equivalent to one ColumnTransformer of a numeric and a categorical
pipeline, whose outputs it would concatenate by kind):

    numeric:     SimpleImputer(median|mean|constant 0) -> StandardScaler|MinMaxScaler|passthrough
    categorical: SimpleImputer(strategy="constant", fill_value="") -> OneHotEncoder(handle_unknown="ignore")
    labels:      LabelEncoder (classification) or the numbers (regression)

Run once with /usr/bin/python3 (scikit-learn 1.2, pandas) from this folder:
    /usr/bin/python3 make_goldens.py
"""
import json

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, MinMaxScaler, OneHotEncoder, StandardScaler

NA = ["", "NA", "NaN", "?"]

CASES = [
    # name, train file, test file, separator, label, categorical (text and forced), impute, scale, classify
    ("comma", "train.csv", "test.csv", ",", "label", ["color", "city", "zone"], "median", "standard", True),
    ("semicolon", "semi.csv", None, ";", "grade", ["sex"], "mean", "minmax", True),
    ("tab", "tab.tsv", None, "\t", "y", ["shape"], "zero", "none", False),
]


def read(path, sep, categorical):
    return pd.read_csv(path, sep=sep, keep_default_na=False, na_values=NA, dtype={c: str for c in categorical})


def numeric(impute, scale):
    imputer = SimpleImputer(strategy="constant", fill_value=0) if impute == "zero" else SimpleImputer(strategy=impute)
    scaler = {"standard": StandardScaler(), "minmax": MinMaxScaler(), "none": "passthrough"}[scale]
    return Pipeline([("impute", imputer), ("scale", scaler)])


def categorical():
    return Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="")),
                     ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))])


def main():
    for name, train_path, test_path, sep, label, cats, impute, scale, classify in CASES:
        train = read(train_path, sep, cats)
        features = [c for c in train.columns if c != label]
        ct = ColumnTransformer([(c, categorical() if c in cats else numeric(impute, scale), [c]) for c in features])
        x = ct.fit_transform(train[features])
        names = []
        for c in features:
            if c in cats:
                enc = ct.named_transformers_[c].named_steps["onehot"]
                names += [c + "=" + (v if v != "" else "<missing>") for v in enc.categories_[0]]
            else:
                names.append(c)
        out = {"sklearn": sklearn.__version__, "features": names, "train": x.tolist()}
        if classify:
            le = LabelEncoder().fit(train[label])
            out["classes"] = [str(v) for v in le.classes_]
            out["train_labels"] = le.transform(train[label]).tolist()
        else:
            out["train_labels"] = train[label].astype(float).tolist()
        if test_path:
            test = read(test_path, sep, cats)
            out["test"] = ct.transform(test[features]).tolist()
            out["test_labels"] = le.transform(test[label]).tolist()
            unseen = {}
            for c in cats:
                known = set(ct.named_transformers_[c].named_steps["onehot"].categories_[0])
                n = int(sum(1 for v in test[c].fillna("") if v not in known))
                if n:
                    unseen[c] = n
            out["unseen"] = unseen
        with open("golden_" + name + ".json", "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
