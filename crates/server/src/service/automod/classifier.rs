//! Local text classifiers for AutoMod: linear models over TF-IDF features, exported from
//! scikit-learn to JSON and scored here in pure Rust (no network, no native code).
//!
//! Format (see `models/README.md` for where each model comes from and how to rebuild it):
//! `{name, vocab: {term: index}, idf: [f32], folds: [{w: [f32], b, a, c}]}`. A text's score is the
//! mean over folds of `1 / (1 + exp(a·(w·x + b) + c))`, where `x` is the L2-normalised vector of
//! term counts × idf, and terms are lower-cased runs of two or more word characters
//! (scikit-learn's default `(?u)\b\w\w+\b`).

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Deserialize)]
struct Fold {
    w: Vec<f32>,
    b: f32,
    a: f32,
    c: f32,
}

/// A loaded model.
#[derive(Debug, Deserialize)]
pub struct Model {
    /// `toxicity` or `spam`.
    pub name: String,
    vocab: HashMap<String, u32>,
    idf: Vec<f32>,
    folds: Vec<Fold>,
}

impl Model {
    /// Parses a model, checking its vectors agree in length.
    pub fn from_json(s: &str) -> Result<Self, String> {
        let m: Self = serde_json::from_str(s).map_err(|e| e.to_string())?;
        let n = m.idf.len();
        if m.folds.is_empty()
            || m.folds.iter().any(|f| f.w.len() != n)
            || m.vocab.values().any(|i| *i as usize >= n)
        {
            return Err("model vectors disagree in length".into());
        }
        Ok(m)
    }

    /// The probability (0–1) that `text` belongs to the class.
    #[must_use]
    pub fn score(&self, text: &str) -> f32 {
        let lower = text.to_lowercase();
        let mut counts: Vec<(u32, f32)> = Vec::new();
        for tok in lower
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|t| t.chars().nth(1).is_some())
        {
            if let Some(&i) = self.vocab.get(tok) {
                match counts.iter_mut().find(|(j, _)| *j == i) {
                    Some((_, n)) => *n += 1.0,
                    None => counts.push((i, 1.0)),
                }
            }
        }
        for (i, v) in &mut counts {
            *v *= self.idf[*i as usize];
        }
        let norm = counts.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, v) in &mut counts {
                *v /= norm;
            }
        }
        let total: f32 = self
            .folds
            .iter()
            .map(|f| {
                let d = f.b
                    + counts
                        .iter()
                        .map(|(i, v)| f.w[*i as usize] * v)
                        .sum::<f32>();
                1.0 / (1.0 + (f.a * d + f.c).exp())
            })
            .sum();
        total / self.folds.len() as f32
    }
}

fn load(name: &str, json: &str) -> Option<Model> {
    match Model::from_json(json) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::error!(model = name, error = %e, "classifier model not loaded");
            None
        }
    }
}

/// The toxicity model (alt-profanity-check 1.9.1's linear SVM ensemble).
pub fn toxicity() -> Option<&'static Model> {
    static M: OnceLock<Option<Model>> = OnceLock::new();
    M.get_or_init(|| load("toxicity", include_str!("../../../models/toxicity.json")))
        .as_ref()
}

/// The spam model (logistic regression trained on the SpamAssassin corpus).
pub fn spam() -> Option<&'static Model> {
    static M: OnceLock<Option<Model>> = OnceLock::new();
    M.get_or_init(|| load("spam", include_str!("../../../models/spam.json")))
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toxicity_matches_the_upstream_python_model() {
        let m = toxicity().expect("model loads");
        // predict_prob of alt-profanity-check 1.9.1 (printed by models/export_toxicity.py).
        for (text, want) in [
            ("have a nice day", 0.0584),
            ("I love this community", 0.0096),
            ("you are a fucking idiot", 1.0),
            ("kill yourself", 0.9467),
        ] {
            let got = m.score(text);
            assert!((got - want).abs() < 5e-4, "{text}: {got} vs {want}");
        }
    }

    #[test]
    fn spam_model_separates_obvious_cases() {
        let m = spam().expect("model loads");
        assert!(m.score("Anyone want to study chapter 3 together tonight?") < 0.5);
        assert!(
            m.score("CLICK HERE to claim your FREE prize!!! Limited time offer, act now, money back guarantee, unsubscribe")
                > 0.9
        );
    }

    #[test]
    fn bad_models_are_refused() {
        assert!(Model::from_json(r#"{"name":"x","vocab":{"a":3},"idf":[1.0],"folds":[{"w":[1.0],"b":0,"a":1,"c":0}]}"#).is_err());
        assert!(Model::from_json("not json").is_err());
    }
}
