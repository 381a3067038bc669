create table users (
    id integer primary key,
    username text not null,
    username_lower text not null,
    email text,
    email_lower text,
    email_verified integer not null default 0,
    password_hash text not null,
    global_name text,
    avatar text,
    bot integer not null default 0,
    instance_admin integer not null default 0,
    flags bigint not null default 0,
    created_at bigint not null,
    constraint users_username_lower_key unique (username_lower),
    constraint users_email_lower_key unique (email_lower)
);

create table auth_tokens (
    token_hash blob primary key,
    user_id bigint not null references users (id) on delete cascade,
    created_at bigint not null
);
create index auth_tokens_user_id_idx on auth_tokens (user_id);

create table email_tokens (
    token_hash blob primary key,
    user_id bigint not null references users (id) on delete cascade,
    purpose text not null,
    email text,
    expires_at bigint not null
);
create index email_tokens_user_id_idx on email_tokens (user_id);

create table instance_settings (
    key text primary key,
    value text not null
);

create table guilds (
    id integer primary key,
    name text not null,
    icon text,
    description text,
    owner_id bigint not null references users (id),
    verification_level bigint not null default 0,
    default_message_notifications bigint not null default 0,
    explicit_content_filter bigint not null default 0,
    afk_channel_id bigint,
    afk_timeout bigint not null default 300,
    system_channel_id bigint,
    system_channel_flags bigint not null default 0,
    rules_channel_id bigint,
    public_updates_channel_id bigint,
    preferred_locale text not null default 'en-US',
    created_at bigint not null
);

create table roles (
    id integer primary key,
    guild_id bigint not null references guilds (id) on delete cascade,
    name text not null,
    color bigint not null default 0,
    hoist integer not null default 0,
    position bigint not null default 0,
    permissions bigint not null default 0,
    managed integer not null default 0,
    mentionable integer not null default 0,
    icon text,
    unicode_emoji text,
    flags bigint not null default 0,
    bot_id bigint
);
create index roles_guild_id_idx on roles (guild_id);

create table channels (
    id integer primary key,
    guild_id bigint references guilds (id) on delete cascade,
    type bigint not null,
    name text,
    topic text,
    position bigint not null default 0,
    parent_id bigint,
    nsfw integer not null default 0,
    rate_limit_per_user bigint not null default 0,
    bitrate bigint,
    user_limit bigint,
    owner_id bigint,
    icon text,
    last_message_id bigint,
    last_pin_at bigint,
    flags bigint not null default 0,
    created_at bigint not null
);
create index channels_guild_id_idx on channels (guild_id);

create table permission_overwrites (
    channel_id bigint not null references channels (id) on delete cascade,
    target_id bigint not null,
    kind bigint not null,
    allow_bits bigint not null,
    deny_bits bigint not null,
    primary key (channel_id, target_id)
);

create table members (
    guild_id bigint not null references guilds (id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    nick text,
    joined_at bigint not null,
    deaf integer not null default 0,
    mute integer not null default 0,
    pending integer not null default 0,
    temporary integer not null default 0,
    communication_disabled_until bigint,
    flags bigint not null default 0,
    primary key (guild_id, user_id)
);
create index members_user_id_idx on members (user_id);

create table member_roles (
    guild_id bigint not null,
    user_id bigint not null,
    role_id bigint not null references roles (id) on delete cascade,
    primary key (guild_id, user_id, role_id),
    foreign key (guild_id, user_id) references members (guild_id, user_id) on delete cascade
);
create index member_roles_role_id_idx on member_roles (role_id);

create table bans (
    guild_id bigint not null references guilds (id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    reason text,
    created_at bigint not null,
    primary key (guild_id, user_id)
);

create table invites (
    code text primary key,
    guild_id bigint not null references guilds (id) on delete cascade,
    channel_id bigint not null references channels (id) on delete cascade,
    inviter_id bigint references users (id) on delete set null,
    max_age bigint not null,
    max_uses bigint not null,
    uses bigint not null default 0,
    temporary integer not null default 0,
    created_at bigint not null,
    expires_at bigint
);
create index invites_guild_id_idx on invites (guild_id);
create index invites_channel_id_idx on invites (channel_id);

create table dm_recipients (
    channel_id bigint not null references channels (id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    primary key (channel_id, user_id)
);
create index dm_recipients_user_id_idx on dm_recipients (user_id);

create table dm_pairs (
    user_low bigint not null,
    user_high bigint not null,
    channel_id bigint not null references channels (id) on delete cascade,
    primary key (user_low, user_high)
);

create table messages (
    id integer primary key,
    channel_id bigint not null references channels (id) on delete cascade,
    guild_id bigint,
    author_id bigint not null references users (id),
    type bigint not null,
    content text not null,
    flags bigint not null default 0,
    tts integer not null default 0,
    mention_everyone integer not null default 0,
    mention_users text not null default '[]',
    mention_roles text not null default '[]',
    embeds text not null default '[]',
    components text not null default '[]',
    nonce text,
    pinned_at bigint,
    edited_at bigint,
    ref_message_id bigint,
    ref_channel_id bigint,
    ref_guild_id bigint
);
create index messages_channel_id_id_idx on messages (channel_id, id);
create index messages_pinned_idx on messages (channel_id, pinned_at) where pinned_at is not null;
create index messages_everyone_idx on messages (channel_id, id) where mention_everyone = 1;

create table message_mentions (
    user_id bigint not null,
    channel_id bigint not null references channels (id) on delete cascade,
    message_id bigint not null references messages (id) on delete cascade,
    primary key (user_id, channel_id, message_id)
);
create index message_mentions_message_id_idx on message_mentions (message_id);

create table message_role_mentions (
    role_id bigint not null,
    channel_id bigint not null references channels (id) on delete cascade,
    message_id bigint not null references messages (id) on delete cascade,
    primary key (role_id, channel_id, message_id)
);
create index message_role_mentions_message_id_idx on message_role_mentions (message_id);

create table reactions (
    message_id bigint not null references messages (id) on delete cascade,
    emoji text not null,
    user_id bigint not null references users (id) on delete cascade,
    created_at bigint not null,
    primary key (message_id, emoji, user_id)
);

create table read_states (
    user_id bigint not null references users (id) on delete cascade,
    channel_id bigint not null references channels (id) on delete cascade,
    last_message_id bigint not null,
    primary key (user_id, channel_id)
);
