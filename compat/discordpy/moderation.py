"""discord.py against Coterie's moderation API: AutoMod rules (create, fetch, edit, delete), the
on_automod_action event when a member's message is blocked, timeouts, and the audit log — every
kind of entry a moderator produces must parse (targets, changes, extras).

env: COTERIE_URL, OWNER_TOKEN, GUILD_ID, INVITE_CODE. Exits 0 when every step worked.
"""
import asyncio
import datetime
import os

import discord

from common import GUILD, bot_in_guild, call, point_at_coterie, report, run

_, member = call("POST", "/auth/register", body={"username": "modtarget", "password": "correct horse battery"})
call("POST", f"/invites/{os.environ['INVITE_CODE']}", member["token"], {})
bot = bot_in_guild("modbot")
point_at_coterie()
client = discord.Client(intents=discord.Intents.all())
executed = asyncio.Event()
failures = []


@client.event
async def on_automod_action(execution):
    if execution.matched_keyword == "cheap gold*" and execution.content == "cheap gold here":
        executed.set()


@client.event
async def on_ready():
    try:
        guild = client.get_guild(int(GUILD))
        rule = await guild.create_automod_rule(
            name="gold", event_type=discord.AutoModRuleEventType.message_send,
            trigger=discord.AutoModTrigger(type=discord.AutoModRuleTriggerType.keyword,
                                           keyword_filter=["cheap gold*"], regex_patterns=[r"free\s+nitro"]),
            actions=[discord.AutoModRuleAction(custom_message="No trading"),
                     discord.AutoModRuleAction(duration=datetime.timedelta(seconds=60))],
            enabled=True, reason="keep it clean")
        assert rule.trigger.keyword_filter == ["cheap gold*"], rule.trigger
        assert [r.id for r in await guild.fetch_automod_rules()] == [rule.id]
        rule = await rule.edit(name="gold2")
        assert rule.name == "gold2"
        target = await guild.fetch_member(int(member["user_id"]))
        await target.timeout(datetime.timedelta(minutes=5), reason="calm")
        await target.timeout(None)
        status, body = call("POST", f"/channels/{guild.system_channel.id}/messages", member["token"],
                            {"content": "cheap gold here"})
        assert (status, body["code"]) == (400, 200000), body
        await asyncio.wait_for(executed.wait(), 10)
        ch = guild.system_channel
        inv = await ch.create_invite(max_uses=3, reason="for friends")
        await inv.delete()
        hook = await ch.create_webhook(name="hook")
        await hook.edit(name="hook2")
        await hook.delete()
        role = await guild.create_role(name="helpers", reason="new team")
        await ch.set_permissions(role, send_messages=False)
        await ch.set_permissions(role, overwrite=None)
        await role.edit(name="helpers2")
        await target.add_roles(role)
        extra = await guild.create_text_channel("tmp")
        await extra.edit(topic="t", slowmode_delay=5)
        thread = await ch.create_thread(name="thr", type=discord.ChannelType.public_thread)
        await thread.edit(name="thr2")
        await thread.delete()
        await extra.delete()
        await guild.edit(name="Compat!")
        await guild.kick(target, reason="bye")
        await guild.ban(discord.Object(id=int(member["user_id"])), delete_message_seconds=0, reason="spam")
        await guild.unban(discord.Object(id=int(member["user_id"])))
        seen = set()
        async for e in guild.audit_logs(limit=100):
            str(e.target), e.changes, e.extra, e.category
            seen.add(e.action)
        A = discord.AuditLogAction
        want = {A.automod_rule_create, A.automod_rule_update, A.automod_block_message, A.automod_timeout_member,
                A.member_update, A.invite_create, A.invite_delete, A.webhook_create, A.webhook_update,
                A.webhook_delete, A.role_create, A.role_update, A.overwrite_create, A.overwrite_delete,
                A.member_role_update, A.channel_create, A.channel_update, A.channel_delete, A.thread_create,
                A.thread_update, A.thread_delete, A.guild_update, A.kick, A.ban, A.unban, A.bot_add}
        missing = want - seen
        assert not missing, f"audit log lacks {missing}"
        bans = [e async for e in guild.audit_logs(limit=5, action=A.ban)]
        assert len(bans) == 1 and bans[0].reason == "spam", bans
        await rule.delete()
        print("discord.py moderation: rules, AutoMod events, timeouts and the audit log parsed", flush=True)
    except Exception as e:  # reported, then exit 1
        report(failures, e)
    finally:
        await client.close()


run(client, bot["token"], failures)
