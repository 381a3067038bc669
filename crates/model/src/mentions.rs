//! Finding mentions in message text: `<@id>`, `<@!id>`, `<@&role>`, `<#channel>`, `@everyone`
//! and `@here`. Mentions inside code spans and blocks still count, as in Discord.

use crate::Snowflake;

/// Mentions found in a message.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mentions {
    /// Users, in order of first appearance, without duplicates.
    pub users: Vec<Snowflake>,
    /// Roles, likewise.
    pub roles: Vec<Snowflake>,
    /// Channels, likewise.
    pub channels: Vec<Snowflake>,
    /// `@everyone` appears.
    pub everyone: bool,
    /// `@here` appears.
    pub here: bool,
}

fn push_unique(v: &mut Vec<Snowflake>, id: Snowflake) {
    if !v.contains(&id) {
        v.push(id);
    }
}

/// Scans `content` for mentions.
#[must_use]
pub fn parse(content: &str) -> Mentions {
    let mut m = Mentions::default();
    let b = content.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let rest = &content[i + 1..];
                let (kind, skip) = if rest.starts_with("@&") {
                    (2, 2)
                } else if rest.starts_with("@!") {
                    (0, 2)
                } else if rest.starts_with('@') {
                    (0, 1)
                } else if rest.starts_with('#') {
                    (1, 1)
                } else {
                    i += 1;
                    continue;
                };
                let digits: &str = &rest[skip..];
                let n = digits.bytes().take_while(u8::is_ascii_digit).count();
                if n > 0 && n <= 20 && digits.as_bytes().get(n) == Some(&b'>') {
                    if let Ok(id) = digits[..n].parse::<Snowflake>()
                        && id.0 != 0
                    {
                        match kind {
                            0 => push_unique(&mut m.users, id),
                            1 => push_unique(&mut m.channels, id),
                            _ => push_unique(&mut m.roles, id),
                        }
                    }
                    i += 1 + skip + n + 1;
                    continue;
                }
                i += 1;
            }
            b'@' => {
                let rest = &content[i + 1..];
                if rest.starts_with("everyone") {
                    m.everyone = true;
                    i += 9;
                } else if rest.starts_with("here") {
                    m.here = true;
                    i += 5;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_mention_form_is_found_once() {
        let m = parse("hi <@1> and <@!1> <@&22> in <#333>, @everyone @here <@x> <@> <@&>");
        assert_eq!(m.users, vec![Snowflake(1)]);
        assert_eq!(m.roles, vec![Snowflake(22)]);
        assert_eq!(m.channels, vec![Snowflake(333)]);
        assert!(m.everyone && m.here);
    }

    #[test]
    fn an_id_too_large_for_a_snowflake_is_not_a_mention() {
        assert!(parse("<@99999999999999999999>").users.is_empty());
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_finds_embedded_mentions(prefix in ".{0,40}", id in 1u64..(1u64 << 62), suffix in ".{0,40}") {
            let text = format!("{prefix} <@{id}> {suffix}");
            let m = parse(&text);
            prop_assert!(m.users.contains(&Snowflake(id)));
            let _ = parse(&prefix);
        }
    }
}
