-- Full-text search over message text: a generated tsvector ('simple': no stemming, any
-- language, like SQLite's unicode61) with a GIN index.
alter table messages add column tsv tsvector generated always as (to_tsvector('simple', content)) stored;
create index messages_tsv_idx on messages using gin (tsv);
create index messages_guild_id_idx on messages (guild_id, id);
create index messages_author_idx on messages (author_id, id);
