#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Train the classifier's linear model (rules/vigil.model).

    contrib/train-model.py [--vigilctl PATH] [--shared DIR] [--out FILE]
                           [--extra FILE.jsonl]...

Logistic regression per category on TF-IDF weighted words and word pairs
of the text as vigil normalises it (`vigilctl classify --normalized`), so
the model sees the words the rules see (lib/model.c says how it scores).

Trained on the posts labelled in the repository's format:
  - tests/data/classify-extra.jsonl and SHARED/data/domain_dev.jsonl
    (posts about clinicians, LABELS.md), which also give the vocabulary
    (words and pairs in three posts or more, --min-df);
  - as benign examples at half weight, the posts of the training splits of
    OLID, EDOS and Guest 2021 that their annotators found not abusive, so
    that the model learns ordinary social-media talk too (without them it
    flagged twice as many of OLID's and Guest's benign posts). Their test
    splits, Davidson and ETHOS are not used;
  - any --extra file (a deployment's own labelled posts).
The held-out sets (tests/data/heldout*.jsonl) are never used.

Needs python3-sklearn (Debian). Deterministic: the same data give the
same file.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

CATS = ["threat", "sexual", "doxxing", "hate", "insult"]
FROM = 0.6            # the probability from which the model counts
C = 4.0               # inverse regularisation strength
PUBLIC_WEIGHT = 0.5   # weight of a public benign post
MIN_DF = 3            # posts a feature must be in (--min-df)
RULES = None          # a directory with the rules files only
PUBLIC = ["olid_offenseval2019", "edos_sexism", "guest2021_misogyny_reddit"]


def normalised(vigilctl, path):
    """The normalised text of each line of a JSONL file, by vigilctl with
    the rules alone (the words of the rules guide the normaliser; the
    model being replaced must not be needed)."""
    out = subprocess.run([vigilctl, "classify", "--rules", RULES, "--normalized", path],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["normalized"] for line in out.splitlines()]


def rows(vigilctl, path, unique=True):
    """(row, normalised text) for each line of a labelled JSONL file; its
    ids unique, unless it is a public set as given (Guest 2021 repeats
    some)."""
    with open(path, encoding="utf-8") as f:
        data = [json.loads(line) for line in f if line.strip()]
    seen = {}
    for n, row in enumerate(data, 1):
        if not unique:
            break
        if "id" not in row:
            sys.exit("%s:%d: no id" % (path, n))
        if row["id"] in seen:
            sys.exit("%s:%d: id %r already on line %d" % (path, n, row["id"], seen[row["id"]]))
        seen[row["id"]] = n
    texts = normalised(vigilctl, path)
    if len(texts) != len(data):
        sys.exit("%s: %d rows but %d normalised" % (path, len(data), len(texts)))
    return list(zip(data, texts))


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vigilctl", default=os.path.join(top, "build", "daemon", "vigilctl"))
    ap.add_argument("--shared", default=os.path.join(top, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(top, "rules", "vigil.model"))
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("--min-df", type=int, default=MIN_DF,
                    help="posts a word or pair must be in to be a feature")
    a = ap.parse_args()

    global RULES
    tmp = tempfile.TemporaryDirectory()
    RULES = tmp.name
    for name in os.listdir(os.path.join(top, "rules")):
        if name.endswith(".rules"):
            shutil.copy(os.path.join(top, "rules", name), RULES)

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    domain = rows(a.vigilctl, os.path.join(top, "tests", "data", "classify-extra.jsonl"))
    domain += rows(a.vigilctl, os.path.join(a.shared, "data", "domain_dev.jsonl"))
    for e in a.extra:
        domain += rows(a.vigilctl, e)
    texts = [t for _, t in domain]
    labels = {c: [1 if (r["labels"].get(c) or 0) else 0 for r, _ in domain] for c in CATS}
    weights = [1.0] * len(domain)
    for name in PUBLIC:
        for r, t in rows(a.vigilctl, os.path.join(a.shared, "data", "public", name + ".jsonl"),
                         unique=False):
            if r.get("orig", {}).get("split") == "train" and r["labels"].get("abuse") == 0:
                texts.append(t)
                weights.append(PUBLIC_WEIGHT)
                for c in CATS:
                    labels[c].append(0)

    vec = TfidfVectorizer(token_pattern=r"[^ ]+", lowercase=False, ngram_range=(1, 2),
                          min_df=a.min_df, sublinear_tf=True)
    vec.fit([t for _, t in domain])
    # Words of a script the normaliser does not fold hold a \x01 byte
    # per letter: no feature of the model file may hold a control byte.
    keep = sorted(k for k in vec.vocabulary_ if "\x01" not in k)
    vec = TfidfVectorizer(token_pattern=r"[^ ]+", lowercase=False, ngram_range=(1, 2),
                          sublinear_tf=True, vocabulary=keep)
    vec.fit([t for _, t in domain])
    x = vec.transform(texts)
    coef, bias = {}, {}
    for c in CATS:
        lr = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
        lr.fit(x, labels[c], sample_weight=weights)
        coef[c] = lr.coef_[0]
        bias[c] = lr.intercept_[0]

    def num(v):
        s = "%.6g" % v
        return "0" if s in ("0", "-0") else s

    vocab = sorted(vec.vocabulary_.items())
    with open(a.out + ".tmp", "w", encoding="utf-8") as f:
        f.write("# vigil linear model: written by contrib/train-model.py; do not edit.\n")
        f.write("# %d posts about clinicians and %d public benign posts, %d features.\n"
                % (len(domain), len(texts) - len(domain), len(vocab)))
        f.write("model 1\n")
        f.write("categories %s\n" % " ".join(CATS))
        f.write("bias %s\n" % " ".join(num(bias[c]) for c in CATS))
        f.write("from %s\n" % num(FROM))
        for key, i in vocab:
            f.write("f %s %s %s\n" % (num(vec.idf_[i]), " ".join(num(coef[c][i]) for c in CATS), key))
    os.replace(a.out + ".tmp", a.out)
    print("%s: %d features" % (a.out, len(vocab)))


if __name__ == "__main__":
    main()
