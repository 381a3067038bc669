-- Full-text search over message text: an FTS5 index that reads the text from `messages`
-- (external content), kept in step by triggers.
create virtual table messages_fts using fts5(content, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2');
insert into messages_fts (messages_fts) values ('rebuild');
create trigger messages_fts_insert after insert on messages begin
    insert into messages_fts (rowid, content) values (new.id, new.content);
end;
create trigger messages_fts_delete after delete on messages begin
    insert into messages_fts (messages_fts, rowid, content) values ('delete', old.id, old.content);
end;
create trigger messages_fts_update after update of content on messages begin
    insert into messages_fts (messages_fts, rowid, content) values ('delete', old.id, old.content);
    insert into messages_fts (rowid, content) values (new.id, new.content);
end;
create index messages_guild_id_idx on messages (guild_id, id);
create index messages_author_idx on messages (author_id, id);
