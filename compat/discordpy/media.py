"""discord.py against Coterie's files, images and emoji: a bot sends files (with alt text), reads
them back through their signed URLs, edits which files a message keeps, sets its avatar and the
community icon (read through the CDN base), adds a custom emoji and reacts with it.

env: COTERIE_URL, OWNER_TOKEN, GUILD_ID. Exits 0 when every step worked.
"""
import io
import struct
import zlib

import discord

from common import GUILD, bot_in_guild, point_at_coterie, report, run


def png(w, h, rgb=(30, 120, 200)):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + bytes(rgb) * w
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * h)) + chunk(b"IEND", b""))


bot = bot_in_guild("mediabot")
point_at_coterie()
client = discord.Client(intents=discord.Intents.all())
failures = []


@client.event
async def on_ready():
    try:
        guild = client.get_guild(int(GUILD))
        ch = guild.system_channel
        picture = png(800, 600)
        notes = b"chapter 3\n" * 100
        m = await ch.send("files", files=[
            discord.File(io.BytesIO(picture), "chart.png", description="a blue chart"),
            discord.File(io.BytesIO(notes), "notes.txt"),
        ])
        a, t = m.attachments
        assert (a.filename, a.width, a.height, a.size) == ("chart.png", 800, 600, len(picture)), a
        assert a.content_type == "image/png" and a.description == "a blue chart", a
        assert t.content_type.startswith("text/plain") and t.width is None, t
        assert await a.read() == picture
        assert await t.read() == notes
        m = await m.edit(attachments=[a])
        assert [x.filename for x in m.attachments] == ["chart.png"], m.attachments
        m = await m.add_files(discord.File(io.BytesIO(b"more"), "more.txt"))
        assert [x.filename for x in m.attachments] == ["chart.png", "more.txt"], m.attachments
        fetched = await ch.fetch_message(m.id)
        assert await fetched.attachments[1].read() == b"more"
        me = await client.user.edit(avatar=png(128, 128, (200, 50, 50)))
        assert me.avatar is not None and len(me.avatar.key) == 32, me.avatar
        assert len(await me.avatar.read()) > 0
        await guild.edit(icon=png(64, 64))
        guild = await client.fetch_guild(guild.id)
        assert guild.icon is not None and len(await guild.icon.read()) > 0
        emoji = await guild.create_custom_emoji(name="party", image=png(32, 32, (250, 200, 0)))
        assert emoji.name == "party" and not emoji.animated, emoji
        assert len(await emoji.read()) > 0
        await m.add_reaction(emoji)
        fetched = await ch.fetch_message(m.id)
        assert fetched.reactions[0].emoji.id == emoji.id, fetched.reactions
        assert [e.id for e in await guild.fetch_emojis()] == [emoji.id]
        await emoji.edit(name="party2")
        await emoji.delete()
        await m.delete()
        print("discord.py media: files, avatars, icons and emoji worked", flush=True)
    except Exception as e:  # reported, then exit 1
        report(failures, e)
    finally:
        await client.close()


run(client, bot["token"], failures)
