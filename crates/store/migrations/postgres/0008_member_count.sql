-- Member counts kept by a trigger (every path that adds or removes a member, cascades
-- included), so READY and invites read one row instead of counting the member table.
alter table guilds add column member_count bigint not null default 0;
update guilds set member_count = (select count(*) from members where members.guild_id = guilds.id);
create function members_count() returns trigger language plpgsql as $$ begin if tg_op = 'INSERT' then update guilds set member_count = member_count + 1 where id = new.guild_id; else update guilds set member_count = member_count - 1 where id = old.guild_id; end if; return null; end $$;
create trigger members_count after insert or delete on members for each row execute function members_count();
