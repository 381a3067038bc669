-- Member counts kept by triggers (every path that adds or removes a member, cascades
-- included), so READY and invites read one row instead of counting the member table.
alter table guilds add column member_count bigint not null default 0;
update guilds set member_count = (select count(*) from members where members.guild_id = guilds.id);
create trigger members_count_insert after insert on members begin
    update guilds set member_count = member_count + 1 where id = new.guild_id;
end;
create trigger members_count_delete after delete on members begin
    update guilds set member_count = member_count - 1 where id = old.guild_id;
end;
