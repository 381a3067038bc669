#![expect(clippy::expect_used, reason = "a benchmark fails loudly")]

//! AutoMod cost and classifier quality, for `cargo xtask bench`:
//! - per-message time to screen text against 6 keyword rules of 1,000 keywords each (plus 10
//!   regexes per rule), median and p99 over a realistic message mix;
//! - per-message scoring time of the toxicity and spam models;
//! - toxicity precision and recall on the hand-labelled held-out set (models/toxicity_heldout.tsv).
//!
//! Writes bench/automod-results.json and prints a Markdown table.

use coterie_model::moderation::TriggerMetadata;
use coterie_server::service::automod::{classifier, engine::TextMatcher};
use std::hint::black_box;
use std::time::Instant;

fn words(seed: u64, n: usize) -> Vec<String> {
    // Deterministic pseudo-words (xorshift), with wildcards on a quarter of them.
    let mut x = seed;
    (0..n)
        .map(|i| {
            let mut w = String::new();
            for _ in 0..(5 + (i % 6)) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                w.push(char::from(b'a' + (x % 26) as u8));
            }
            match i % 4 {
                0 => format!("{w}*"),
                1 => format!("*{w}"),
                2 => format!("*{w}*"),
                _ => w,
            }
        })
        .collect()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let heldout = include_str!("../models/toxicity_heldout.tsv");
    let labelled: Vec<(bool, &str)> = heldout
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(y, t)| (y == "1", t))
        .collect();
    let mut corpus: Vec<String> = labelled.iter().map(|(_, t)| (*t).to_owned()).collect();
    corpus.push(
        "Has anyone finished the reading for Thursday? I'm on chapter 7 and the part about \
                 supply curves is confusing me, would love a quick explanation in voice later"
            .to_owned(),
    );
    corpus.push("https://example.com/notes check these out <@123456789012345678>".to_owned());

    let rules: Vec<TextMatcher> = (0..6u64)
        .map(|r| {
            let meta = TriggerMetadata {
                keyword_filter: words(0x9E37_79B9 + r, 1000),
                regex_patterns: (0..10).map(|i| format!(r"\bcode{r}{i}\d+\b")).collect(),
                allow_list: words(0xABCD + r, 100),
                ..TriggerMetadata::default()
            };
            TextMatcher::new(&meta, &[]).expect("rules compile")
        })
        .collect();

    let rounds = 2000;
    let mut per_msg = Vec::with_capacity(rounds * corpus.len());
    for _ in 0..rounds {
        for m in &corpus {
            let t = Instant::now();
            for r in &rules {
                black_box(r.find(black_box(m)));
            }
            per_msg.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let (kw_p50, kw_p99) = (
        percentile(&mut per_msg, 0.5),
        percentile(&mut per_msg, 0.99),
    );

    let mut results = serde_json::json!({
        "keyword_rules": 6, "keywords_per_rule": 1000, "regexes_per_rule": 10,
        "screen_us_p50": kw_p50, "screen_us_p99": kw_p99,
    });
    println!("| metric | value |\n|---|---|");
    println!("| AutoMod, 6 rules × 1,000 keywords + 10 regexes, µs/message p50 | {kw_p50:.2} |");
    println!("| same, p99 | {kw_p99:.2} |");

    for (name, model) in [
        ("toxicity", classifier::toxicity()),
        ("spam", classifier::spam()),
    ] {
        let Some(model) = model else {
            println!("| {name} model | missing |");
            continue;
        };
        let mut times = Vec::new();
        for _ in 0..rounds {
            for m in &corpus {
                let t = Instant::now();
                black_box(model.score(black_box(m)));
                times.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        let p50 = percentile(&mut times, 0.5);
        println!("| {name} model, µs/message p50 | {p50:.2} |");
        results[format!("{name}_score_us_p50")] = serde_json::json!(p50);
    }
    if let Some(m) = classifier::toxicity() {
        for threshold in [0.5f32, 0.8] {
            let (mut tp, mut fp, mut fneg) = (0u32, 0u32, 0u32);
            for (y, t) in &labelled {
                let hit = m.score(t) >= threshold;
                match (hit, *y) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fneg += 1,
                    _ => {}
                }
            }
            let precision = f64::from(tp) / f64::from((tp + fp).max(1));
            let recall = f64::from(tp) / f64::from((tp + fneg).max(1));
            println!(
                "| toxicity @ {threshold}: precision / recall on {} held-out messages | {precision:.3} / {recall:.3} |",
                labelled.len()
            );
            results[format!("toxicity_precision_at_{threshold}")] = serde_json::json!(precision);
            results[format!("toxicity_recall_at_{threshold}")] = serde_json::json!(recall);
        }
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/automod-results.json");
    if let Err(e) = std::fs::write(
        &path,
        serde_json::to_string_pretty(&results).unwrap_or_default(),
    ) {
        eprintln!("could not write {}: {e}", path.display());
    }
}
