"""Writes an "adult census"-like tabular set for the comparison with scikit-learn: train.csv and test.csv.

Numeric columns (age, fnlwgt, education_num, capital_gain with a heavy tail up to 99999, capital_loss,
hours_per_week), text columns (workclass, education, marital_status, occupation with one value holding the
separator, so quoted; relationship, race, sex, native_country with about 40 values, some rare), missing cells
written as "", "?" or "NA" in both kinds, and a text label, income, ">50K" or "<=50K", drawn from a noisy nonlinear
rule (an inverted U in age, a saturating effect of hours, thresholds in the capital columns, interactions of
marriage with education and of occupation with education and age) so that an MLP beats a linear model.

test.csv holds its columns in another order, one extra column (record_id), and categories never seen in
train.csv (workclass, occupation, native_country). Same seed, same files: NumPy's Generator (PCG64) only.

usage: /usr/bin/python3 benchmarks/tabular/make_tabular.py OUT_DIR [--train-rows 40000] [--test-rows 10000] [--seed 22]
"""
import argparse
import csv
import os
import sys

import numpy as np

EDUCATION = [  # (name, education_num, share)
    ("Preschool", 1, 0.002), ("1st-4th", 2, 0.005), ("5th-6th", 3, 0.010), ("7th-8th", 4, 0.020),
    ("9th", 5, 0.016), ("10th", 6, 0.029), ("11th", 7, 0.036), ("12th", 8, 0.013), ("HS-grad", 9, 0.323),
    ("Some-college", 10, 0.222), ("Assoc-voc", 11, 0.042), ("Assoc-acdm", 12, 0.033), ("Bachelors", 13, 0.164),
    ("Masters", 14, 0.053), ("Prof-school", 15, 0.018), ("Doctorate", 16, 0.013),
]
WORKCLASS = [  # (name, share, effect on the log-odds)
    ("Private", 0.74, 0.0), ("Self-emp-not-inc", 0.08, -0.2), ("Local-gov", 0.065, 0.1), ("State-gov", 0.041, 0.0),
    ("Self-emp-inc", 0.035, 0.7), ("Federal-gov", 0.031, 0.5), ("Without-pay", 0.0005, -3.0), ("Never-worked", 0.0003, -3.0),
]
OCCUPATION = [  # (name, base share, affinity to education, effect on the log-odds); one name holds a comma
    ("Prof-specialty", 0.0, 0.55, 0.7), ("Exec-managerial", 0.2, 0.35, 0.9), ("Craft-repair", 0.5, -0.25, 0.0),
    ("Adm-clerical", 0.4, 0.0, -0.3), ("Sales", 0.3, 0.05, 0.2), ("Other-service", 0.3, -0.35, -1.3),
    ("Machine-op-inspct", 0.0, -0.35, -0.5), ("Transport-moving", -0.2, -0.25, -0.2), ("Handlers, cleaners", -0.3, -0.4, -1.0),
    ("Farming-fishing", -0.6, -0.3, -0.9), ("Tech-support", -0.7, 0.2, 0.3), ("Protective-serv", -0.8, 0.0, 0.3),
    ("Priv-house-serv", -2.5, -0.5, -2.0), ("Armed-Forces", -4.5, 0.0, 0.0),
]
RACE = [("White", 0.854), ("Black", 0.096), ("Asian-Pac-Islander", 0.032), ("Amer-Indian-Eskimo", 0.010), ("Other", 0.008)]
COUNTRIES = [  # the rest of native_country after United-States (0.895) and Mexico (0.02), rarest last
    "Philippines", "Germany", "Canada", "Puerto-Rico", "El-Salvador", "India", "Cuba", "England", "Jamaica",
    "South", "China", "Italy", "Dominican-Republic", "Vietnam", "Guatemala", "Japan", "Poland", "Columbia",
    "Taiwan", "Haiti", "Iran", "Portugal", "Nicaragua", "Peru", "France", "Greece", "Ecuador", "Ireland",
    "Hong", "Cambodia", "Trinadad&Tobago", "Thailand", "Laos", "Yugoslavia", "Outlying-US(Guam-USVI-etc)",
    "Hungary", "Honduras", "Scotland", "Holand-Netherlands",
]
UNSEEN = {  # categories only test.csv has
    "workclass": ["Gig-economy"],
    "occupation": ["Drone-operator", "Data-labeling"],
    "native_country": ["Brazil", "Nigeria", "Kenya", "Chile"],
}
MISSING = {  # column: (share of missing cells, weights of the markers "", "?", "NA")
    "age": (0.010, (0.6, 0.2, 0.2)), "workclass": (0.055, (0.1, 0.8, 0.1)), "fnlwgt": (0.004, (0.3, 0.3, 0.4)),
    "education": (0.006, (0.5, 0.2, 0.3)), "education_num": (0.008, (0.2, 0.2, 0.6)),
    "marital_status": (0.004, (0.5, 0.3, 0.2)), "occupation": (0.056, (0.1, 0.8, 0.1)),
    "relationship": (0.003, (0.4, 0.3, 0.3)), "race": (0.003, (0.4, 0.3, 0.3)), "sex": (0.002, (0.6, 0.2, 0.2)),
    "capital_gain": (0.006, (0.5, 0.3, 0.2)), "capital_loss": (0.005, (0.3, 0.4, 0.3)),
    "hours_per_week": (0.012, (0.3, 0.2, 0.5)), "native_country": (0.018, (0.1, 0.8, 0.1)),
}
TRAIN_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
                 "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
                 "income"]
TEST_COLUMNS = ["record_id", "sex", "native_country", "income", "hours_per_week", "occupation", "age", "education",
                "capital_gain", "workclass", "relationship", "marital_status", "capital_loss", "race",
                "education_num", "fnlwgt"]


def pick(rng, names, shares, n):
    """n draws from names with the given (unnormalised) shares, as an object array."""
    p = np.asarray(shares, dtype=float)
    return np.asarray(names, dtype=object)[rng.choice(len(names), size=n, p=p / p.sum())]


def people(rng, n, unseen):
    """n rows of true values (a dict of columns) and their labels (True: >50K). unseen: the share of rows whose
    workclass, occupation or native_country is a category of UNSEEN."""
    sex = pick(rng, ["Male", "Female"], [0.67, 0.33], n)
    male = sex == "Male"
    age = np.clip(np.rint(17 + rng.gamma(2.3, 9.0, n)), 17, 90).astype(int)
    edu_idx = rng.choice(len(EDUCATION), size=n, p=np.array([e[2] for e in EDUCATION]) / sum(e[2] for e in EDUCATION))
    education = np.array([EDUCATION[i][0] for i in edu_idx], dtype=object)
    edu = np.array([EDUCATION[i][1] for i in edu_idx])
    p_married = 1 / (1 + np.exp(-(age - 30) / 5.0)) * (0.62 + 0.1 * male)
    married = rng.random(n) < p_married
    other_marital = pick(rng, ["Never-married", "Divorced", "Separated", "Widowed", "Married-spouse-absent"],
                         [0.33, 0.136, 0.031, 0.03, 0.013], n)
    never = (age < 25) & (rng.random(n) < 0.8)
    other_marital[never] = "Never-married"
    marital = np.where(married, np.where(rng.random(n) < 0.0015, "Married-AF-spouse", "Married-civ-spouse"), other_marital)
    relationship = np.where(married, np.where(male, "Husband", "Wife"),
                            np.where(age < 24, pick(rng, ["Own-child", "Not-in-family", "Other-relative"], [0.6, 0.3, 0.1], n),
                                     pick(rng, ["Not-in-family", "Unmarried", "Own-child", "Other-relative"], [0.55, 0.3, 0.1, 0.05], n)))
    # occupation: a softmax over base share + affinity·(education - 10)/3, men lean to craft and transport
    logits = np.array([[o[1] + o[2] * (e - 10) / 1.5 for o in OCCUPATION] for e in range(1, 17)])
    occ_logits = logits[edu - 1] + np.outer(male, [0.0, 0.1, 1.2, -0.9, 0.0, -0.4, 0.2, 1.0, 0.5, 0.8, 0.0, 0.6, -2.0, 0.5])
    occ_p = np.exp(occ_logits - occ_logits.max(axis=1, keepdims=True))
    occ_p /= occ_p.sum(axis=1, keepdims=True)
    occ_idx = (occ_p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    occupation = np.array([OCCUPATION[i][0] for i in occ_idx], dtype=object)
    occ_effect = np.array([OCCUPATION[i][3] for i in occ_idx])
    wc_idx = rng.choice(len(WORKCLASS), size=n, p=np.array([w[1] for w in WORKCLASS]) / sum(w[1] for w in WORKCLASS))
    workclass = np.array([WORKCLASS[i][0] for i in wc_idx], dtype=object)
    wc_effect = np.array([WORKCLASS[i][2] for i in wc_idx])
    race = pick(rng, [r[0] for r in RACE], [r[1] for r in RACE], n)
    rare = 0.085 / np.arange(1, len(COUNTRIES) + 1) ** 1.3
    country = pick(rng, ["United-States", "Mexico"] + COUNTRIES, [0.895, 0.02] + list(rare * 0.085 / rare.sum()), n)
    country[np.argmax(country == "Holand-Netherlands")] = "Holand-Netherlands"  # one, as in the census
    hours = np.clip(np.rint(40 + np.where(rng.random(n) < 0.45, 0, rng.normal(2 + 3 * male, 12, n))
                             - 12 * (age < 22) - 10 * (age > 65)), 1, 99).astype(int)
    gain = np.where(rng.random(n) < 0.085, np.clip(np.rint(rng.lognormal(8.3, 1.0, n)), 100, 99999), 0)
    gain[rng.random(n) < 0.005] = 99999
    loss = np.where(rng.random(n) < 0.047, np.clip(np.rint(rng.normal(1880, 380, n)), 150, 4356), 0)
    fnlwgt = np.rint(rng.lognormal(12.0, 0.55, n)).astype(int)

    z = (-2.25 + 1.9 * married
         + 0.33 * (edu - 10) + 0.09 * np.maximum(edu - 12, 0) ** 2 + 0.12 * married * (edu - 10)
         + 0.9 - 1.5 * ((age - 50) / 14.0) ** 2
         + 1.1 * np.tanh((hours - 40) / 10.0)
         - 0.9 * (age < 30) * (hours > 50)
         + occ_effect - 0.8 * (occupation == "Prof-specialty") * (edu < 12) + wc_effect
         + 0.35 * male
         + np.where(gain > 7000, 4.5, np.where(gain > 3000, -0.6, 0.0))
         + np.where((loss > 1750) & (loss < 2100), 1.4, 0.0))
    income = rng.random(n) < 1 / (1 + np.exp(-z))

    if unseen > 0:
        for col, arr in (("workclass", workclass), ("occupation", occupation), ("native_country", country)):
            rows = rng.random(n) < unseen
            arr[rows] = pick(rng, UNSEEN[col], [1] * len(UNSEEN[col]), int(rows.sum()))
    cols = {"age": age, "workclass": workclass, "fnlwgt": fnlwgt, "education": education, "education_num": edu,
            "marital_status": marital, "occupation": occupation, "relationship": relationship, "race": race,
            "sex": sex, "capital_gain": gain.astype(int), "capital_loss": loss.astype(int), "hours_per_week": hours,
            "native_country": country}
    return cols, income


def as_text(rng, cols, income):
    """The columns as strings, with missing cells written as "", "?" or "NA", and the label as text."""
    out = {}
    n = len(income)
    for name, values in cols.items():
        text = np.array([str(v) for v in values], dtype=object)
        share, weights = MISSING[name]
        rows = rng.random(n) < share
        if name == "occupation":  # the census's "?" occupation goes with a "?" workclass
            rows |= out["workclass"] == "?"
        text[rows] = pick(rng, ["", "?", "NA"], weights, int(rows.sum()))
        out[name] = text
    out["income"] = np.where(income, ">50K", "<=50K")
    return out


def write(path, columns, order):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(order)
        w.writerows(zip(*(columns[c] for c in order)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="folder to write train.csv and test.csv into (created if missing)")
    ap.add_argument("--train-rows", type=int, default=40000)
    ap.add_argument("--test-rows", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=22)
    args = ap.parse_args()
    if args.train_rows < 1 or args.test_rows < 1:
        ap.error("--train-rows and --test-rows must be at least 1")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for name, n, unseen in (("train", args.train_rows, 0.0), ("test", args.test_rows, 0.012)):
        cols, income = people(rng, n, unseen)
        text = as_text(rng, cols, income)
        order = TRAIN_COLUMNS
        if name == "test":
            text["record_id"] = np.array([str(1_000_001 + i) for i in range(n)], dtype=object)
            order = TEST_COLUMNS
        write(os.path.join(args.out, name + ".csv"), text, order)
        print(f"{name}.csv: {n} rows, {100 * income.mean():.1f}% >50K", file=sys.stderr)


if __name__ == "__main__":
    main()
