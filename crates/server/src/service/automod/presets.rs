//! Word lists of the KEYWORD_PRESET trigger (1 PROFANITY, 2 SEXUAL_CONTENT, 3 SLURS), in
//! AutoMod's wildcard syntax. Deliberately short and English-only: they catch the common cases;
//! communities extend them with their own keyword rules and trim them with `allow_list`.

/// PROFANITY.
pub const PROFANITY: &[&str] = &[
    "fuck*",
    "*fucker",
    "*fucking",
    "motherfuck*",
    "shit",
    "shits",
    "shitty",
    "bullshit",
    "bitch*",
    "cunt*",
    "asshole*",
    "arsehole*",
    "bastard*",
    "dickhead*",
    "prick",
    "pricks",
    "twat*",
    "wanker*",
    "bollocks",
    "piss off",
    "pissed",
    "jackass",
    "dumbass",
    "dipshit",
    "stfu",
    "wtf",
    "fck*",
    "f*ck",
    "sh1t",
    "b1tch*",
];

/// SEXUAL_CONTENT.
pub const SEXUAL_CONTENT: &[&str] = &[
    "porn*",
    "nudes",
    "nude pics",
    "xxx",
    "blowjob*",
    "handjob*",
    "dildo*",
    "cumshot*",
    "hentai",
    "onlyfans",
    "sexting",
    "horny",
    "boobs",
    "tits",
    "titties",
    "orgasm*",
    "masturbat*",
    "erotic*",
    "milf",
    "camgirl*",
    "send nudes",
    "dick pic*",
    "pussy",
    "anal sex",
];

/// SLURS.
pub const SLURS: &[&str] = &[
    "nigger*",
    "nigga*",
    "n1gger*",
    "faggot*",
    "fag",
    "fags",
    "retard",
    "retards",
    "retarded",
    "tranny",
    "trannies",
    "kike*",
    "spic",
    "spics",
    "chink",
    "chinks",
    "wetback*",
    "gook*",
    "raghead*",
    "towelhead*",
    "sandnigger*",
    "coon",
    "coons",
    "beaner*",
    "paki",
    "pakis",
];

/// The words of the given presets.
#[must_use]
pub fn words(presets: &[u8]) -> Vec<&'static str> {
    let mut v = Vec::new();
    for p in presets {
        v.extend_from_slice(match p {
            1 => PROFANITY,
            2 => SEXUAL_CONTENT,
            3 => SLURS,
            _ => &[],
        });
    }
    v
}
