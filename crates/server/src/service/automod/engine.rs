//! Matching text against AutoMod rules, compiled once per rule set. Keywords (with Discord's `*`
//! wildcards) of one rule share one Aho–Corasick automaton over the lower-cased text; regular
//! expressions use Rust's `regex`, whose matching time is linear in the text.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use coterie_model::moderation::{TriggerMetadata, trigger};
use regex::{Regex, RegexBuilder};
use std::ops::Range;

/// Compiled regex memory cap per pattern.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Where a keyword may match inside words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wild {
    /// `cat`: the whole word.
    Whole,
    /// `cat*`: a word starting with it.
    Prefix,
    /// `*cat`: a word ending with it.
    Suffix,
    /// `*cat*`: anywhere.
    Anywhere,
}

/// A set of wildcard keywords.
#[derive(Debug)]
pub struct Keywords {
    ac: Option<AhoCorasick>,
    wild: Vec<Wild>,
    shown: Vec<String>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '\''
}

impl Keywords {
    /// Compiles keywords (empty ones are ignored).
    #[must_use]
    pub fn new<S: AsRef<str>>(words: &[S]) -> Self {
        let mut pats = Vec::with_capacity(words.len());
        let mut wild = Vec::with_capacity(words.len());
        let mut shown = Vec::with_capacity(words.len());
        for w in words {
            let raw = w.as_ref().trim();
            let (pre, suf) = (raw.starts_with('*'), raw.ends_with('*') && raw.len() > 1);
            let body = raw.trim_matches('*').to_lowercase();
            if body.is_empty() {
                continue;
            }
            wild.push(match (pre, suf) {
                (true, true) => Wild::Anywhere,
                (false, true) => Wild::Prefix,
                (true, false) => Wild::Suffix,
                (false, false) => Wild::Whole,
            });
            shown.push(raw.to_owned());
            pats.push(body);
        }
        let ac = (!pats.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&pats)
                    .ok()
            })
            .flatten();
        Self { ac, wild, shown }
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ac.is_none()
    }

    /// Every acceptable match in `lower` (already lower-cased): (keyword index, word span).
    fn matches<'a>(&'a self, lower: &'a str) -> impl Iterator<Item = (usize, Range<usize>)> + 'a {
        self.ac
            .iter()
            .flat_map(move |ac| ac.find_overlapping_iter(lower))
            .filter_map(move |m| {
                let i = m.pattern().as_usize();
                let before = lower[..m.start()].chars().next_back();
                let after = lower[m.end()..].chars().next();
                let starts_word = !before.is_some_and(is_word);
                let ends_word = !after.is_some_and(is_word);
                let ok = match self.wild[i] {
                    Wild::Whole => starts_word && ends_word,
                    Wild::Prefix => starts_word,
                    Wild::Suffix => ends_word,
                    Wild::Anywhere => true,
                };
                ok.then(|| (i, word_span(lower, m.start()..m.end())))
            })
    }
}

/// Widens a match to the whole word(s) it touches.
fn word_span(s: &str, r: Range<usize>) -> Range<usize> {
    let start = s[..r.start]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(r.start, |(i, _)| i);
    let end = s[r.end..]
        .char_indices()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(r.end, |(i, c)| r.end + i + c.len_utf8());
    start..end
}

/// What matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The keyword or pattern as configured (empty for non-keyword triggers).
    pub keyword: String,
    /// The text it matched.
    pub content: String,
}

/// A rule's compiled text test.
#[derive(Debug)]
pub struct TextMatcher {
    keywords: Keywords,
    regexes: Vec<(String, Regex)>,
    allow: Keywords,
}

/// Why a regex pattern was refused.
#[derive(Debug)]
pub struct PatternError {
    /// Index in `regex_patterns`.
    pub index: usize,
    /// Explanation.
    pub message: String,
}

/// Compiles one pattern with the limits AutoMod allows.
pub fn compile_regex(p: &str) -> Result<Regex, String> {
    RegexBuilder::new(p)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => {
                "The pattern compiles to more than 1 MiB; simplify it.".to_owned()
            }
            other => format!(
                "Invalid regular expression: {}",
                other.to_string().lines().last().unwrap_or("syntax error")
            ),
        })
}

impl TextMatcher {
    /// Compiles keywords, patterns and the allow list of a rule.
    pub fn new(meta: &TriggerMetadata, preset_words: &[&str]) -> Result<Self, PatternError> {
        let regexes = meta
            .regex_patterns
            .iter()
            .enumerate()
            .map(|(index, p)| {
                compile_regex(p)
                    .map(|r| (p.clone(), r))
                    .map_err(|message| PatternError { index, message })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut words: Vec<&str> = meta.keyword_filter.iter().map(String::as_str).collect();
        words.extend_from_slice(preset_words);
        Ok(Self {
            keywords: Keywords::new(&words),
            regexes,
            allow: Keywords::new(&meta.allow_list),
        })
    }

    /// The first match in `text` not covered by an allow-listed word.
    #[must_use]
    pub fn find(&self, text: &str) -> Option<Hit> {
        if text.is_empty() {
            return None;
        }
        let lower = text.to_lowercase();
        let allowed = |span: &Range<usize>| {
            !self.allow.is_empty()
                && self
                    .allow
                    .matches(&lower)
                    .any(|(_, a)| a.start <= span.start && span.end <= a.end)
        };
        if let Some((i, span)) = self.keywords.matches(&lower).find(|(_, s)| !allowed(s)) {
            return Some(Hit {
                keyword: self.keywords.shown[i].clone(),
                content: lower[span].to_owned(),
            });
        }
        for (p, r) in &self.regexes {
            if let Some(m) = r.find_iter(text).find(|m| {
                let l = text[m.range()].to_lowercase();
                self.allow.is_empty() || !self.allow.matches(&l).any(|(_, a)| a == (0..l.len()))
            }) {
                return Some(Hit {
                    keyword: p.clone(),
                    content: m.as_str().to_owned(),
                });
            }
        }
        None
    }
}

/// Whether a trigger type is evaluated on message text (send, edit, thread titles).
#[must_use]
pub fn on_messages(t: u16) -> bool {
    matches!(
        t,
        trigger::KEYWORD
            | trigger::SPAM
            | trigger::KEYWORD_PRESET
            | trigger::MENTION_SPAM
            | trigger::TOXICITY
            | trigger::SPAM_CLASSIFIER
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(words: &[&str], text: &str) -> Option<String> {
        let meta = TriggerMetadata {
            keyword_filter: words.iter().map(|s| (*s).to_owned()).collect(),
            ..TriggerMetadata::default()
        };
        TextMatcher::new(&meta, &[])
            .ok()?
            .find(text)
            .map(|h| h.content)
    }

    #[test]
    fn wildcards_follow_discord() {
        assert_eq!(kw(&["cat"], "a Cat sat").as_deref(), Some("cat"));
        assert_eq!(kw(&["cat"], "catch"), None);
        assert_eq!(kw(&["cat*"], "catching fish").as_deref(), Some("catching"));
        assert_eq!(kw(&["cat*"], "bobcat"), None);
        assert_eq!(kw(&["*cat"], "bobcat!").as_deref(), Some("bobcat"));
        assert_eq!(kw(&["*cat"], "cats"), None);
        assert_eq!(kw(&["*cat*"], "locations").as_deref(), Some("locations"));
        assert_eq!(
            kw(&["buy now"], "please BUY NOW!").as_deref(),
            Some("buy now")
        );
    }

    #[test]
    fn allow_list_wins() {
        let meta = TriggerMetadata {
            keyword_filter: vec!["*ass*".into()],
            allow_list: vec!["class".into(), "pass*".into()],
            ..TriggerMetadata::default()
        };
        let m = TextMatcher::new(&meta, &[]).expect("compiles");
        assert!(m.find("first class passenger").is_none());
        assert!(m.find("kick ass").is_some());
    }

    #[test]
    fn regexes_are_case_insensitive_and_bounded() {
        let meta = TriggerMetadata {
            regex_patterns: vec![r"free\s+nitro".into()],
            ..TriggerMetadata::default()
        };
        let m = TextMatcher::new(&meta, &[]).expect("compiles");
        assert_eq!(
            m.find("get FREE   Nitro here")
                .map(|h| h.content)
                .as_deref(),
            Some("FREE   Nitro")
        );
        assert!(compile_regex(r"(a|b").is_err());
        assert!(compile_regex(r"\w{1000}{1000}").is_err());
    }
}
