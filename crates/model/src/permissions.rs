//! Discord's permission bits and its documented algorithm: owner, @everyone, roles, ADMINISTRATOR,
//! then channel overwrites for @everyone, all roles at once, and the member, then the implicit rules.

use crate::Snowflake;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A set of permission bits, serialised as a decimal string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions(pub u64);

macro_rules! perms {
    ($($name:ident = $bit:expr;)*) => {
        impl Permissions {
            $(#[doc = concat!("Bit ", stringify!($bit), ".")] pub const $name: Self = Self(1 << $bit);)*
            /// Every defined bit.
            pub const ALL: Self = Self(0 $(| (1 << $bit))*);
            /// Names of the set bits, for error messages and debugging.
            #[must_use]
            pub fn names(self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(if self.contains(Self::$name) { v.push(stringify!($name)); })*
                v
            }
        }
    };
}

perms! {
    CREATE_INSTANT_INVITE = 0; KICK_MEMBERS = 1; BAN_MEMBERS = 2; ADMINISTRATOR = 3;
    MANAGE_CHANNELS = 4; MANAGE_GUILD = 5; ADD_REACTIONS = 6; VIEW_AUDIT_LOG = 7;
    PRIORITY_SPEAKER = 8; STREAM = 9; VIEW_CHANNEL = 10; SEND_MESSAGES = 11;
    SEND_TTS_MESSAGES = 12; MANAGE_MESSAGES = 13; EMBED_LINKS = 14; ATTACH_FILES = 15;
    READ_MESSAGE_HISTORY = 16; MENTION_EVERYONE = 17; USE_EXTERNAL_EMOJIS = 18;
    VIEW_GUILD_INSIGHTS = 19; CONNECT = 20; SPEAK = 21; MUTE_MEMBERS = 22; DEAFEN_MEMBERS = 23;
    MOVE_MEMBERS = 24; USE_VAD = 25; CHANGE_NICKNAME = 26; MANAGE_NICKNAMES = 27;
    MANAGE_ROLES = 28; MANAGE_WEBHOOKS = 29; MANAGE_GUILD_EXPRESSIONS = 30;
    USE_APPLICATION_COMMANDS = 31; REQUEST_TO_SPEAK = 32; MANAGE_EVENTS = 33;
    MANAGE_THREADS = 34; CREATE_PUBLIC_THREADS = 35; CREATE_PRIVATE_THREADS = 36;
    USE_EXTERNAL_STICKERS = 37; SEND_MESSAGES_IN_THREADS = 38; USE_EMBEDDED_ACTIVITIES = 39;
    MODERATE_MEMBERS = 40; VIEW_CREATOR_MONETIZATION_ANALYTICS = 41; USE_SOUNDBOARD = 42;
    CREATE_GUILD_EXPRESSIONS = 43; CREATE_EVENTS = 44; USE_EXTERNAL_SOUNDS = 45;
    SEND_VOICE_MESSAGES = 46; SET_VOICE_CHANNEL_STATUS = 48; SEND_POLLS = 49;
    USE_EXTERNAL_APPS = 50; PIN_MESSAGES = 51; BYPASS_SLOWMODE = 52;
}

impl Permissions {
    /// No bits.
    pub const NONE: Self = Self(0);

    /// What Discord grants @everyone in a new guild (VIEW_CHANNEL, SEND_MESSAGES, reactions,
    /// history, invites, embeds, files, voice, nickname changes, application commands …).
    pub const DEFAULT_EVERYONE: Self = Self(
        Self::CREATE_INSTANT_INVITE.0
            | Self::ADD_REACTIONS.0
            | Self::STREAM.0
            | Self::VIEW_CHANNEL.0
            | Self::SEND_MESSAGES.0
            | Self::EMBED_LINKS.0
            | Self::ATTACH_FILES.0
            | Self::READ_MESSAGE_HISTORY.0
            | Self::MENTION_EVERYONE.0
            | Self::USE_EXTERNAL_EMOJIS.0
            | Self::CONNECT.0
            | Self::SPEAK.0
            | Self::USE_VAD.0
            | Self::CHANGE_NICKNAME.0
            | Self::USE_APPLICATION_COMMANDS.0
            | Self::REQUEST_TO_SPEAK.0
            | Self::CREATE_PUBLIC_THREADS.0
            | Self::CREATE_PRIVATE_THREADS.0
            | Self::SEND_MESSAGES_IN_THREADS.0
            | Self::SEND_VOICE_MESSAGES.0
            | Self::SEND_POLLS.0
            | Self::PIN_MESSAGES.0,
    );

    /// What a timed-out member keeps in every channel.
    pub const TIMED_OUT: Self = Self(Self::VIEW_CHANNEL.0 | Self::READ_MESSAGE_HISTORY.0);

    /// Whether every bit of `other` is set.
    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    #[must_use]
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Drops bits Discord does not define (requests may carry any integer).
    #[must_use]
    pub fn truncate(bits: u64) -> Self {
        Self(bits & Self::ALL.0)
    }

    /// Parses the decimal string form; unknown bits are masked off.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        s.trim().parse::<u64>().ok().map(Self::truncate)
    }
}

impl BitOr for Permissions {
    type Output = Self;
    fn bitor(self, r: Self) -> Self {
        Self(self.0 | r.0)
    }
}
impl BitOrAssign for Permissions {
    fn bitor_assign(&mut self, r: Self) {
        self.0 |= r.0;
    }
}
impl BitAnd for Permissions {
    type Output = Self;
    fn bitand(self, r: Self) -> Self {
        Self(self.0 & r.0)
    }
}
impl Not for Permissions {
    type Output = Self;
    fn not(self) -> Self {
        Self(!self.0)
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permissions({})", self.names().join("|"))
    }
}

impl Serialize for Permissions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Permissions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Permissions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a permission integer as a string or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Permissions, E> {
                Permissions::parse(v).ok_or_else(|| E::custom("Invalid permissions value."))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Permissions, E> {
                Ok(Permissions::truncate(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Permissions, E> {
                u64::try_from(v)
                    .map(Permissions::truncate)
                    .map_err(|_| E::custom("Invalid permissions value."))
            }
        }
        d.deserialize_any(V)
    }
}

/// Overwrite target kind: 0 role, 1 member.
pub const OVERWRITE_ROLE: u8 = 0;
/// Overwrite target kind: 0 role, 1 member.
pub const OVERWRITE_MEMBER: u8 = 1;

/// A channel permission overwrite (Discord's shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overwrite {
    /// Role or user id.
    pub id: Snowflake,
    /// 0 = role, 1 = member.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Bits granted.
    #[serde(default)]
    pub allow: Permissions,
    /// Bits denied.
    #[serde(default)]
    pub deny: Permissions,
}

/// What the calculator needs to know about a member of a guild.
#[derive(Clone, Copy, Debug)]
pub struct MemberContext<'a> {
    /// The guild (and so the @everyone role) id.
    pub guild_id: Snowflake,
    /// The guild owner.
    pub owner_id: Snowflake,
    /// The member.
    pub user_id: Snowflake,
    /// Permissions of @everyone.
    pub everyone: Permissions,
    /// The member's roles (excluding @everyone) with their permissions.
    pub roles: &'a [(Snowflake, Permissions)],
    /// Whether `communication_disabled_until` is in the future.
    pub timed_out: bool,
}

/// How the channel's kind changes the implicit rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// Text-like channels (text, announcement, forum, category).
    Text,
    /// Voice and stage channels: without CONNECT nothing else applies but viewing.
    Voice,
}

impl MemberContext<'_> {
    /// Guild-wide permissions (Discord's `compute_base_permissions`).
    #[must_use]
    pub fn base(&self) -> Permissions {
        if self.user_id == self.owner_id {
            return Permissions::ALL;
        }
        let mut p = self.everyone;
        for (_, rp) in self.roles {
            p |= *rp;
        }
        if p.contains(Permissions::ADMINISTRATOR) {
            return Permissions::ALL;
        }
        if self.timed_out {
            return p & Permissions::TIMED_OUT;
        }
        p
    }

    /// Permissions in a channel with `overwrites` (Discord's `compute_overwrites` plus implicit rules).
    #[must_use]
    pub fn in_channel(&self, overwrites: &[Overwrite], kind: ChannelKind) -> Permissions {
        if self.user_id == self.owner_id {
            return Permissions::ALL;
        }
        let mut p = self.everyone;
        for (_, rp) in self.roles {
            p |= *rp;
        }
        if p.contains(Permissions::ADMINISTRATOR) {
            return Permissions::ALL;
        }
        let apply = |p: Permissions, ow: &Overwrite| (p & !ow.deny) | ow.allow;
        if let Some(ow) = overwrites
            .iter()
            .find(|o| o.kind == OVERWRITE_ROLE && o.id == self.guild_id)
        {
            p = apply(p, ow);
        }
        let (mut allow, mut deny) = (Permissions::NONE, Permissions::NONE);
        for ow in overwrites.iter().filter(|o| o.kind == OVERWRITE_ROLE) {
            if self.roles.iter().any(|(r, _)| *r == ow.id) {
                allow |= ow.allow;
                deny |= ow.deny;
            }
        }
        p = (p & !deny) | allow;
        if let Some(ow) = overwrites
            .iter()
            .find(|o| o.kind == OVERWRITE_MEMBER && o.id == self.user_id)
        {
            p = apply(p, ow);
        }
        implicit(p, kind, self.timed_out)
    }
}

fn implicit(mut p: Permissions, kind: ChannelKind, timed_out: bool) -> Permissions {
    if !p.contains(Permissions::VIEW_CHANNEL) {
        return Permissions::NONE;
    }
    if kind == ChannelKind::Voice && !p.contains(Permissions::CONNECT) {
        p = p & (Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY);
    }
    if !p.contains(Permissions::SEND_MESSAGES) {
        p = p & !(Permissions::MENTION_EVERYONE
            | Permissions::SEND_TTS_MESSAGES
            | Permissions::ATTACH_FILES
            | Permissions::EMBED_LINKS);
    }
    if timed_out {
        p = p & Permissions::TIMED_OUT;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const G: Snowflake = Snowflake(100);
    const U: Snowflake = Snowflake(7);

    #[test]
    fn all_matches_discords_documented_value() {
        assert_eq!(Permissions::ALL.0, 8_866_461_766_385_663);
        assert_eq!(Permissions::parse("8"), Some(Permissions::ADMINISTRATOR));
        assert_eq!(
            Permissions::parse(&u64::MAX.to_string()),
            Some(Permissions::ALL)
        );
    }

    #[test]
    fn a_role_allow_beats_another_roles_deny_whatever_the_order() {
        let roles = [
            (Snowflake(1), Permissions::NONE),
            (Snowflake(2), Permissions::NONE),
        ];
        let ctx = MemberContext {
            guild_id: G,
            owner_id: Snowflake(9),
            user_id: U,
            everyone: Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES,
            roles: &roles,
            timed_out: false,
        };
        let deny = Overwrite {
            id: Snowflake(1),
            kind: 0,
            allow: Permissions::NONE,
            deny: Permissions::SEND_MESSAGES,
        };
        let allow = Overwrite {
            id: Snowflake(2),
            kind: 0,
            allow: Permissions::SEND_MESSAGES,
            deny: Permissions::NONE,
        };
        for ows in [[deny, allow], [allow, deny]] {
            assert!(
                ctx.in_channel(&ows, ChannelKind::Text)
                    .contains(Permissions::SEND_MESSAGES)
            );
        }
    }

    #[test]
    fn without_view_channel_a_member_has_nothing_in_that_channel() {
        let ctx = MemberContext {
            guild_id: G,
            owner_id: Snowflake(9),
            user_id: U,
            everyone: Permissions::DEFAULT_EVERYONE | Permissions::MANAGE_MESSAGES,
            roles: &[],
            timed_out: false,
        };
        let ow = Overwrite {
            id: G,
            kind: 0,
            allow: Permissions::NONE,
            deny: Permissions::VIEW_CHANNEL,
        };
        assert_eq!(ctx.in_channel(&[ow], ChannelKind::Text), Permissions::NONE);
    }

    #[test]
    fn owners_and_administrators_ignore_overwrites_and_timeouts() {
        let roles = [(Snowflake(1), Permissions::ADMINISTRATOR)];
        let deny_all = Overwrite {
            id: G,
            kind: 0,
            allow: Permissions::NONE,
            deny: Permissions::ALL,
        };
        let admin = MemberContext {
            guild_id: G,
            owner_id: Snowflake(9),
            user_id: U,
            everyone: Permissions::NONE,
            roles: &roles,
            timed_out: true,
        };
        assert_eq!(
            admin.in_channel(&[deny_all], ChannelKind::Text),
            Permissions::ALL
        );
        let owner = MemberContext {
            user_id: Snowflake(9),
            roles: &[],
            ..admin
        };
        assert_eq!(
            owner.in_channel(&[deny_all], ChannelKind::Voice),
            Permissions::ALL
        );
    }

    #[test]
    fn a_timed_out_member_can_only_view_and_read() {
        let ctx = MemberContext {
            guild_id: G,
            owner_id: Snowflake(9),
            user_id: U,
            everyone: Permissions::DEFAULT_EVERYONE,
            roles: &[],
            timed_out: true,
        };
        assert_eq!(
            ctx.in_channel(&[], ChannelKind::Text),
            Permissions::TIMED_OUT
        );
    }

    /// A direct transcription of the steps in Discord's documentation, written independently of
    /// the implementation above, as the oracle for the property test.
    fn oracle(
        everyone: u64,
        roles: &[(u64, u64)],
        member_roles: &[u64],
        ows: &[(u64, u8, u64, u64)],
        owner: bool,
        user: u64,
    ) -> u64 {
        let all = Permissions::ALL.0;
        if owner {
            return all;
        }
        let mut base = everyone;
        for (id, p) in roles {
            if member_roles.contains(id) {
                base |= p;
            }
        }
        if base & 8 == 8 {
            return all;
        }
        let mut perms = base;
        for (id, kind, allow, deny) in ows {
            if *kind == 0 && *id == G.0 {
                perms &= !deny;
                perms |= allow;
            }
        }
        let mut a = 0;
        let mut d = 0;
        for (id, kind, allow, deny) in ows {
            if *kind == 0 && *id != G.0 && member_roles.contains(id) {
                a |= allow;
                d |= deny;
            }
        }
        perms &= !d;
        perms |= a;
        for (id, kind, allow, deny) in ows {
            if *kind == 1 && *id == user {
                perms &= !deny;
                perms |= allow;
            }
        }
        if perms & 1024 == 0 {
            return 0;
        }
        if perms & 2048 == 0 {
            perms &= !(131_072 | 4096 | 32768 | 16384);
        }
        perms
    }

    proptest! {
        #[test]
        fn the_calculator_matches_the_documented_algorithm(
            everyone in any::<u64>(),
            role_perms in proptest::collection::vec(any::<u64>(), 0..5),
            member_mask in any::<u8>(),
            ows in proptest::collection::vec((0u64..8, 0u8..2, any::<u64>(), any::<u64>()), 0..6),
            owner in proptest::bool::weighted(0.05),
        ) {
            let everyone = everyone & Permissions::ALL.0;
            let roles: Vec<(u64, u64)> = role_perms.iter().enumerate()
                .map(|(i, p)| (i as u64 + 1, p & Permissions::ALL.0 & !if i % 3 == 0 { 0 } else { 8 })).collect();
            let member_roles: Vec<u64> = roles.iter().filter(|(id, _)| member_mask & (1 << id) != 0).map(|(id, _)| *id).collect();
            // Ids 0..8: 0 means @everyone (the guild id), 7 is the member, others are roles.
            let ows: Vec<(u64, u8, u64, u64)> = ows.into_iter().map(|(id, k, a, d)| {
                let id = if id == 0 { G.0 } else { id };
                (id, k, a & Permissions::ALL.0, d & Permissions::ALL.0)
            }).collect();
            let mut seen = std::collections::HashSet::new();
            let ows: Vec<_> = ows.into_iter().filter(|(id, k, _, _)| seen.insert((*id, *k))).collect();
            let ctx_roles: Vec<(Snowflake, Permissions)> = roles.iter().filter(|(id, _)| member_roles.contains(id))
                .map(|(id, p)| (Snowflake(*id), Permissions(*p))).collect();
            let ctx = MemberContext {
                guild_id: G,
                owner_id: if owner { U } else { Snowflake(9) },
                user_id: U,
                everyone: Permissions(everyone),
                roles: &ctx_roles,
                timed_out: false,
            };
            let overwrites: Vec<Overwrite> = ows.iter().map(|(id, k, a, d)| Overwrite { id: Snowflake(*id), kind: *k, allow: Permissions(*a), deny: Permissions(*d) }).collect();
            let got = ctx.in_channel(&overwrites, ChannelKind::Text).0;
            prop_assert_eq!(got, oracle(everyone, &roles, &member_roles, &ows, owner, U.0));
        }
    }
}
