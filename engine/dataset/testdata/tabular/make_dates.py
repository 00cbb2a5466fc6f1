#!/usr/bin/python3
"""Writes golden_dates.json, the goldens of the date-time tests: the cells of
dates_train.csv and dates_test.csv read by pandas, their dates as written
(a zone, Z or +hh:mm or +hhmm, cut off: the wall-clock fields are the
features), each part (dt.year, dt.month, dt.day, dt.weekday, and
dt.hour + dt.minute/60 + dt.second/3600 + dt.microsecond/3.6e9 where a
training cell has a time) filled by SimpleImputer(median) and scaled by
StandardScaler fitted on the training rows, whose standard deviation
perceptron takes as 1 at least (a part nearly constant is not blown up);
the numeric column n likewise without that floor, and the label's classes
by LabelEncoder.

Run once with /usr/bin/python3 (pandas, scikit-learn 1.2) from this folder:
    /usr/bin/python3 make_dates.py
"""
import json

import numpy as np
import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import LabelEncoder, StandardScaler

NA = ["", "NA", "NaN", "?"]
ZONE = r"(Z|[+-]\d{2}:?\d{2})$"


def read(path):
    return pd.read_csv(path, keep_default_na=False, na_values=NA, dtype={"when": str, "day": str})


def parts(cells, timed):
    t = pd.to_datetime(cells.str.replace(ZONE, "", regex=True))
    cols = [t.dt.year, t.dt.month, t.dt.day, t.dt.weekday]
    if timed:
        cols.append(t.dt.hour + t.dt.minute / 60 + t.dt.second / 3600 + t.dt.microsecond / 3.6e9)
    return np.column_stack([c.astype(float) for c in cols])


def fit(train, floor):
    imputer = SimpleImputer(strategy="median").fit(train)
    scaler = StandardScaler().fit(imputer.transform(train))
    sd = np.maximum(scaler.scale_, 1) if floor else scaler.scale_
    return lambda x: (imputer.transform(x) - scaler.mean_) / sd


def main():
    train, test = read("dates_train.csv"), read("dates_test.csv")
    names, xs, ys = [], [], []
    for col in ["when", "day", "n"]:
        if col == "n":
            a, b = train[[col]].to_numpy(float), test[[col]].to_numpy(float)
            names.append(col)
            f = fit(a, False)
        else:
            timed = bool(train[col].dropna().str.len().gt(10).any())
            a, b = parts(train[col], timed), parts(test[col], timed)
            names += [col + ":" + p for p in ["year", "month", "day", "weekday", "hour"][: a.shape[1]]]
            f = fit(a, True)
        xs.append(f(a))
        ys.append(f(b))
    le = LabelEncoder().fit(train["y"])
    out = {
        "sklearn": sklearn.__version__,
        "pandas": pd.__version__,
        "features": names,
        "classes": [str(c) for c in le.classes_],
        "train": np.hstack(xs).tolist(),
        "train_labels": le.transform(train["y"]).tolist(),
        "test": np.hstack(ys).tolist(),
        "test_labels": le.transform(test["y"]).tolist(),
    }
    with open("golden_dates.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
