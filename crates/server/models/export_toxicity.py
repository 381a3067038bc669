"""Exports alt-profanity-check 1.9.1's model to crates/server/models/toxicity.json.

Rebuild:  python3 -m venv /tmp/mlenv && /tmp/mlenv/bin/pip install alt-profanity-check==1.9.1 \
          scikit-learn==1.9.1 joblib==1.6.0 && /tmp/mlenv/bin/python crates/server/models/export_toxicity.py
The package (MIT) ships a TfidfVectorizer and a CalibratedClassifierCV (sigmoid) over 5 LinearSVC folds.
"""
import json, os, sys
from profanity_check import profanity_check as pc

vec, model = pc.vectorizer, pc.model
assert vec.lowercase and vec.ngram_range == (1, 1) and vec.norm == "l2" and not vec.sublinear_tf
assert vec.token_pattern == r"(?u)\b\w\w+\b", vec.token_pattern
idf = vec.idf_.tolist()
vocab = {t: int(i) for t, i in vec.vocabulary_.items()}
folds = []
for cc in model.calibrated_classifiers_:
    est = cc.estimator
    cal = cc.calibrators[0]
    folds.append({
        "w": [round(float(x), 6) for x in est.coef_[0]],
        "b": float(est.intercept_[0]),
        "a": float(cal.a_),
        "c": float(cal.b_),
    })
out = {"name": "toxicity", "source": "alt-profanity-check 1.9.1 (MIT)", "vocab": vocab,
       "idf": [round(x, 6) for x in idf], "folds": folds}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toxicity.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"), ensure_ascii=False)
for t in ["have a nice day", "I love this community", "you are a fucking idiot", "kill yourself"]:
    print(f"{pc.predict_prob([t])[0]:.4f}  {t}", file=sys.stderr)
