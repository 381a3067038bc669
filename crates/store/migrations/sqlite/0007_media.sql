-- Uploaded files. A row is written before its bytes are stored and gets its message when the
-- message is created, so every stored object has a row: rows without a message after an hour,
-- and rows whose message is gone, are swept together with their objects.
create table attachments (
    id bigint primary key,
    channel_id bigint not null,
    message_id bigint,
    uploader_id bigint not null,
    filename text not null,
    description text,
    content_type text not null,
    size bigint not null,
    width bigint,
    height bigint,
    has_thumbnail integer not null default 0,
    flags bigint not null default 0,
    position bigint not null default 0,
    created_at bigint not null
);
create index attachments_message_idx on attachments (message_id);
create index attachments_unattached_idx on attachments (created_at) where message_id is null;
create index attachments_uploader_idx on attachments (uploader_id);

-- A community's own emoji; the image lives in object storage under emojis/{id}.
create table emojis (
    id bigint primary key,
    guild_id bigint not null references guilds (id) on delete cascade,
    name text not null,
    creator_id bigint,
    animated integer not null default 0,
    available integer not null default 1,
    roles text not null default '[]',
    created_at bigint not null
);
create index emojis_guild_idx on emojis (guild_id);
