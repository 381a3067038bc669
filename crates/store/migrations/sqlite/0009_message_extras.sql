-- What else a message may carry, so a history page reads reactions, files and polls only when
-- some message on it has them: 1 reactions, 2 files, 4 a poll. Bits are set as those are added
-- and never cleared (a stale bit costs one lookup, never a wrong answer).
alter table messages add column extras integer not null default 0;
update messages set extras = extras | 1 where id in (select message_id from reactions);
update messages set extras = extras | 2 where id in (select message_id from attachments where message_id is not null);
update messages set extras = extras | 4 where id in (select message_id from polls);
