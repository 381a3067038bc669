//! Parse-don't-validate rules for what users type: usernames, passwords, names.

/// A rejected field: Discord's leaf error code and a human message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// e.g. `BASE_TYPE_MAX_LENGTH`, `USERNAME_ALREADY_TAKEN`.
    pub code: &'static str,
    /// Readable explanation.
    pub message: String,
}

impl FieldError {
    /// Builds an error.
    #[must_use]
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

fn length(s: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(FieldError::new(
            "BASE_TYPE_BAD_LENGTH",
            format!("Must be between {min} and {max} in length."),
        ));
    }
    Ok(())
}

/// Usernames: 2–32 of ASCII letters, digits, `_` and `.`, no `..`, unique case-insensitively.
pub fn username(s: &str) -> Result<String, FieldError> {
    length(s, 2, 32)?;
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(FieldError::new(
            "USERNAME_INVALID_CHARACTERS",
            "Username can only contain letters, numbers, underscores and periods.",
        ));
    }
    if s.contains("..") {
        return Err(FieldError::new(
            "USERNAME_INVALID_CHARACTERS",
            "Username cannot contain consecutive periods.",
        ));
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "everyone" | "here" | "system" | "clyde" | "discord" | "coterie"
    ) {
        return Err(FieldError::new(
            "USERNAME_INVALID_CONTAINS",
            "That username is reserved.",
        ));
    }
    Ok(s.to_owned())
}

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "11111111",
    "iloveyou",
    "letmein1",
    "abc12345",
    "admin123",
    "welcome1",
    "passw0rd",
    "00000000",
    "sunshine",
    "football",
    "baseball",
    "princess",
    "trustno1",
    "superman",
    "whatever",
    "aaaaaaaa",
];

/// Passwords: 8–128 characters, not a well-known one, not the username.
pub fn password(s: &str, username: &str) -> Result<(), FieldError> {
    let n = s.chars().count();
    if n < 8 {
        return Err(FieldError::new(
            "PASSWORD_TOO_WEAK",
            "Password must be at least 8 characters long.",
        ));
    }
    if n > 128 {
        return Err(FieldError::new(
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 8 and 128 in length.",
        ));
    }
    let lower = s.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) || lower == username.to_lowercase() {
        return Err(FieldError::new(
            "PASSWORD_TOO_WEAK",
            "Password is too weak or common to use.",
        ));
    }
    if s.chars().collect::<std::collections::HashSet<_>>().len() < 4 {
        return Err(FieldError::new(
            "PASSWORD_TOO_WEAK",
            "Password is too weak or common to use.",
        ));
    }
    Ok(())
}

/// Email: one `@`, something on both sides, a dot in the domain, ≤ 254 characters.
pub fn email(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let ok = s.len() <= 254
        && s.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !d.contains('@')
        })
        && !s.chars().any(char::is_whitespace);
    if ok {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new(
            "EMAIL_TYPE_INVALID_EMAIL",
            "Not a well formed email address.",
        ))
    }
}

/// Trimmed text of `min..=max` characters.
pub fn text(s: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    length(t, min, max)?;
    Ok(t.to_owned())
}

/// Guild channel names: 1–100 characters; text-like channels are lower-cased with dashes for
/// spaces, as Discord does.
pub fn channel_name(s: &str, textual: bool) -> Result<String, FieldError> {
    let t = text(s, 1, 100)?;
    if !textual {
        return Ok(t);
    }
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if c.is_whitespace() {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_character_and_length_rules() {
        assert!(username("alice_01.b").is_ok());
        assert!(username("a").is_err());
        assert!(username(&"x".repeat(33)).is_err());
        assert!(username("al ice").is_err());
        assert!(username("a..b").is_err());
        assert!(username("Everyone").is_err());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(password("short", "u").is_err());
        assert!(password("password1", "u").is_err());
        assert!(password("aliceAlice", "alicealice").is_err());
        assert!(password("aaaaaaab", "u").is_err());
        assert!(password("correct horse battery", "u").is_ok());
    }

    #[test]
    fn text_channel_names_are_lowercased_and_dashed() {
        assert_eq!(channel_name("Hello  World", true).unwrap(), "hello-world");
        assert_eq!(channel_name("Lounge", false).unwrap(), "Lounge");
        assert!(channel_name("   ", true).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(email("a@b.co").is_ok());
        assert!(email("a@b").is_err());
        assert!(email("@b.co").is_err());
        assert!(email("a b@c.de").is_err());
    }
}
