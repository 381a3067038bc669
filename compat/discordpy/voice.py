"""discord.py against Coterie's voice state API: a member joins a voice channel over the gateway
(op 4), the bot sees member.voice and on_voice_state_update, server-mutes, moves and disconnects the
member, opens, edits and closes a stage instance, and reads the audit log entries this produced.
(Sending audio from bots is out of scope: discord.py's UDP voice protocol is not served.)

env: COTERIE_URL, OWNER_TOKEN, GUILD_ID, INVITE_CODE. Exits 0 when every step worked.
"""
import asyncio
import json
import os

import aiohttp
import discord

from common import GUILD, URL, bot_in_guild, call, point_at_coterie, report, run

_, member = call("POST", "/auth/register", body={"username": "voicer", "password": "correct horse battery"})
call("POST", f"/invites/{os.environ['INVITE_CODE']}", member["token"], {})
bot = bot_in_guild("voicebot")
point_at_coterie()
client = discord.Client(intents=discord.Intents.all())
updates = asyncio.Queue()
failures = []


@client.event
async def on_voice_state_update(m, before, after):
    if m.id == int(member["user_id"]):
        await updates.put((before, after))


async def member_gateway(channel_id):
    """The member's own gateway session: identify, then op 4 into the voice channel."""
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(URL.replace("http", "ws", 1) + "/?v=10&encoding=json")
    await ws.receive_json()
    await ws.send_json({"op": 2, "d": {"token": member["token"], "intents": 1 << 7,
                                       "properties": {"os": "linux", "browser": "t", "device": "t"}}})
    server_update = None
    await ws.send_json({"op": 4, "d": {"guild_id": GUILD, "channel_id": str(channel_id),
                                       "self_mute": False, "self_deaf": True}})
    while server_update is None:
        f = json.loads((await ws.receive()).data)
        if f.get("t") == "VOICE_SERVER_UPDATE":
            server_update = f["d"]
    return session, ws, server_update


async def next_update(pred):
    while True:
        before, after = await asyncio.wait_for(updates.get(), 10)
        if pred(before, after):
            return before, after


@client.event
async def on_ready():
    try:
        guild = client.get_guild(int(GUILD))
        lounge = await guild.create_voice_channel("Lounge", user_limit=5)
        quiet = await guild.create_voice_channel("Quiet")
        stage = await guild.create_stage_channel("Stage")
        session, ws, server = await member_gateway(lounge.id)
        assert server["token"] and server["endpoint"].endswith("/voice"), server
        _, after = await next_update(lambda b, a: a.channel is not None)
        assert after.channel.id == lounge.id and after.self_deaf and not after.self_mute, after
        target = guild.get_member(int(member["user_id"])) or await guild.fetch_member(int(member["user_id"]))
        assert target.voice and target.voice.channel.id == lounge.id, target.voice
        assert [m.id for m in lounge.members] == [target.id], lounge.members
        assert lounge.voice_states.get(target.id) is not None

        await target.edit(mute=True, reason="too loud")
        _, after = await next_update(lambda b, a: a.mute)
        assert after.channel.id == lounge.id
        await target.move_to(quiet, reason="split up")
        _, after = await next_update(lambda b, a: a.channel is not None and a.channel.id == quiet.id)
        await target.move_to(None, reason="bye")
        await next_update(lambda b, a: a.channel is None)
        assert target.voice is None or target.voice.channel is None

        instance = await stage.create_instance(topic="Ask me anything")
        assert instance.topic == "Ask me anything" and instance.channel_id == stage.id, instance
        fetched = await stage.fetch_instance()
        assert fetched.id == instance.id
        await instance.edit(topic="Office hours")
        assert (await stage.fetch_instance()).topic == "Office hours"
        await instance.delete()

        seen = set()
        async for e in guild.audit_logs(limit=50):
            str(e.target), e.changes, e.extra, e.category
            seen.add(e.action)
        A = discord.AuditLogAction
        missing = {A.member_move, A.member_disconnect, A.stage_instance_create, A.stage_instance_update,
                   A.stage_instance_delete, A.member_update} - seen
        assert not missing, f"audit log lacks {missing}"
        await ws.close()
        await session.close()
        print("discord.py voice: voice states, mute, move, disconnect, stage instances and audit entries", flush=True)
    except Exception as e:  # reported, then exit 1
        report(failures, e)
    finally:
        await client.close()


run(client, bot["token"], failures)
