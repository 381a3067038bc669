//! Gateway intents: which dispatches a session asked for.

/// The IDENTIFY `intents` bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Intents(pub u64);

impl Intents {
    /// GUILD_CREATE/UPDATE/DELETE, roles, channels, pins.
    pub const GUILDS: u64 = 1 << 0;
    /// Privileged: GUILD_MEMBER_ADD/UPDATE/REMOVE.
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    /// GUILD_BAN_ADD/REMOVE, audit log entries.
    pub const GUILD_MODERATION: u64 = 1 << 2;
    /// Emoji and sticker updates.
    pub const GUILD_EXPRESSIONS: u64 = 1 << 3;
    /// Integration events.
    pub const GUILD_INTEGRATIONS: u64 = 1 << 4;
    /// WEBHOOKS_UPDATE.
    pub const GUILD_WEBHOOKS: u64 = 1 << 5;
    /// INVITE_CREATE/DELETE.
    pub const GUILD_INVITES: u64 = 1 << 6;
    /// VOICE_STATE_UPDATE.
    pub const GUILD_VOICE_STATES: u64 = 1 << 7;
    /// Privileged: PRESENCE_UPDATE.
    pub const GUILD_PRESENCES: u64 = 1 << 8;
    /// Guild MESSAGE_CREATE/UPDATE/DELETE/DELETE_BULK.
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    /// Guild reactions.
    pub const GUILD_MESSAGE_REACTIONS: u64 = 1 << 10;
    /// Guild TYPING_START.
    pub const GUILD_MESSAGE_TYPING: u64 = 1 << 11;
    /// DM messages (and DM CHANNEL_PINS_UPDATE).
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    /// DM reactions.
    pub const DIRECT_MESSAGE_REACTIONS: u64 = 1 << 13;
    /// DM TYPING_START.
    pub const DIRECT_MESSAGE_TYPING: u64 = 1 << 14;
    /// Privileged: message content in events not addressed to the bot.
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
    /// Scheduled events.
    pub const GUILD_SCHEDULED_EVENTS: u64 = 1 << 16;
    /// AutoMod rule changes.
    pub const AUTO_MODERATION_CONFIGURATION: u64 = 1 << 20;
    /// AutoMod executions.
    pub const AUTO_MODERATION_EXECUTION: u64 = 1 << 21;
    /// Guild poll votes.
    pub const GUILD_MESSAGE_POLLS: u64 = 1 << 24;
    /// DM poll votes.
    pub const DIRECT_MESSAGE_POLLS: u64 = 1 << 25;
    /// Coterie extension: VOTE_UPDATE dispatches (forum scores). Bot libraries never set it, so
    /// they are not sent an event they do not know.
    pub const COTERIE_VOTES: u64 = 1 << 50;

    /// Every bit Discord defines; IDENTIFY with any other bit is closed with 4013.
    pub const DEFINED: u64 = ((1 << 17) - 1)
        | Self::AUTO_MODERATION_CONFIGURATION
        | Self::AUTO_MODERATION_EXECUTION
        | Self::GUILD_MESSAGE_POLLS
        | Self::DIRECT_MESSAGE_POLLS
        | Self::COTERIE_VOTES;

    /// The privileged intents.
    pub const PRIVILEGED: u64 = Self::GUILD_MEMBERS | Self::GUILD_PRESENCES | Self::MESSAGE_CONTENT;

    /// Whether `bit` (one of the constants) is set.
    #[must_use]
    pub fn has(self, bit: u64) -> bool {
        self.0 & bit == bit
    }
}
