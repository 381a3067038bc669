create table applications (
    id bigint primary key,
    owner_id bigint not null references users (id) on delete cascade,
    name text not null,
    description text not null default '',
    icon text,
    bot_public boolean not null default true,
    bot_require_code_grant boolean not null default false,
    flags bigint not null default 0,
    verify_key text not null,
    has_bot boolean not null default false,
    created_at bigint not null
);
create index applications_owner_id_idx on applications (owner_id);

create table application_commands (
    id bigint primary key,
    application_id bigint not null references applications (id) on delete cascade,
    scope bigint not null,
    type bigint not null,
    name text not null,
    body text not null,
    version bigint not null,
    constraint application_commands_scope_key unique (application_id, scope, type, name)
);

create table interactions (
    id bigint primary key,
    application_id bigint not null references applications (id) on delete cascade,
    token_hash bytea not null,
    type bigint not null,
    guild_id bigint,
    channel_id bigint not null,
    user_id bigint not null,
    message_id bigint,
    name text not null default '',
    created_at bigint not null,
    response_type bigint,
    response_message_id bigint,
    ephemeral_message text
);
create index interactions_created_at_idx on interactions (created_at);

create table webhooks (
    id bigint primary key,
    type bigint not null,
    guild_id bigint not null references guilds (id) on delete cascade,
    channel_id bigint not null references channels (id) on delete cascade,
    creator_id bigint references users (id) on delete set null,
    application_id bigint,
    name text not null,
    avatar text,
    token text,
    created_at bigint not null
);
create index webhooks_channel_id_idx on webhooks (channel_id);
create index webhooks_guild_id_idx on webhooks (guild_id);

alter table messages add column webhook_id bigint;
alter table messages add column application_id bigint;
alter table messages add column author_override text;
alter table messages add column interaction text;

create table scheduled_events (
    id bigint primary key,
    guild_id bigint not null references guilds (id) on delete cascade,
    channel_id bigint references channels (id) on delete set null,
    creator_id bigint references users (id) on delete set null,
    name text not null,
    description text,
    start_at bigint not null,
    end_at bigint,
    privacy_level bigint not null default 2,
    status bigint not null default 1,
    entity_type bigint not null,
    location text,
    image text,
    recurrence_rule text,
    reminded boolean not null default false,
    created_at bigint not null
);
create index scheduled_events_guild_id_idx on scheduled_events (guild_id);
create index scheduled_events_status_start_idx on scheduled_events (status, start_at);

create table scheduled_event_users (
    event_id bigint not null references scheduled_events (id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    created_at bigint not null,
    primary key (event_id, user_id)
);
