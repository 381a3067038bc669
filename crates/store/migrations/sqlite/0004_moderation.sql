-- Moderation: audit log, AutoMod rules, reports, instance suspensions, per-community settings.

-- Rules screening, raid protection and the invite pause as one JSON object.
alter table guilds add column moderation text not null default '{}';
create index members_guild_joined_idx on members (guild_id, joined_at);

create table audit_log (
    id integer primary key,
    guild_id bigint not null references guilds (id) on delete cascade,
    user_id bigint,
    target_id bigint,
    action_type bigint not null,
    changes text,
    options text,
    reason text
);
create index audit_log_guild_idx on audit_log (guild_id, id);
create index audit_log_guild_action_idx on audit_log (guild_id, action_type, id);
create index audit_log_guild_user_idx on audit_log (guild_id, user_id, id);

-- The rule as its API JSON; the trigger type is a column for the per-type limits.
create table automod_rules (
    id integer primary key,
    guild_id bigint not null references guilds (id) on delete cascade,
    trigger_type bigint not null,
    body text not null
);
create index automod_rules_guild_idx on automod_rules (guild_id);

-- status 0 open, 1 resolved, 2 dismissed. subject = the message id, or 0 for a member report;
-- one open report per subject collects every reporter.
create table reports (
    id integer primary key,
    guild_id bigint not null references guilds (id) on delete cascade,
    channel_id bigint,
    message_id bigint,
    subject bigint not null,
    target_user_id bigint not null,
    reason text not null,
    content text,
    source text not null default 'member',
    status bigint not null default 0,
    reporter_count bigint not null default 0,
    escalated integer not null default 0,
    action text,
    resolved_by bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index reports_open_key on reports (guild_id, target_user_id, subject) where status = 0;
create index reports_guild_status_idx on reports (guild_id, status, id);
create index reports_escalated_idx on reports (escalated, id);

create table report_reporters (
    report_id bigint not null references reports (id) on delete cascade,
    user_id bigint not null,
    reason text not null,
    created_at bigint not null,
    primary key (report_id, user_id)
);
create index report_reporters_user_idx on report_reporters (user_id);

create table suspensions (
    user_id integer primary key references users (id) on delete cascade,
    admin_id bigint,
    reason text,
    created_at bigint not null
);
