"""A discord.py bot pointed at Coterie: answers `!ping` with `pong` and the `/ping` slash command.

env: COTERIE_URL (http://127.0.0.1:PORT), BOT_TOKEN, GUILD_ID
"""
import os
import sys

import discord
import yarl
from discord import app_commands

URL = os.environ["COTERIE_URL"].rstrip("/")
# The one change a discord.py bot needs: the REST base and the gateway URL.
discord.http.Route.BASE = f"{URL}/api/v10"
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(URL.replace("http", "ws", 1) + "/")

intents = discord.Intents.default()
intents.message_content = True
client = discord.Client(intents=intents)
tree = app_commands.CommandTree(client)
guild = discord.Object(id=int(os.environ["GUILD_ID"]))


@tree.command(name="ping", description="Replies with pong", guild=guild)
async def ping(interaction: discord.Interaction):
    await interaction.response.send_message("pong")


@client.event
async def on_ready():
    await tree.sync(guild=guild)
    print(f"READY {client.user.id}", flush=True)


@client.event
async def on_resumed():
    print("RESUMED", flush=True)


@client.event
async def on_message(message: discord.Message):
    if message.author.id != client.user.id and message.content == "!ping":
        await message.channel.send("pong")


client.run(os.environ["BOT_TOKEN"], log_handler=None if os.environ.get("QUIET") else discord.utils.MISSING)
sys.exit(0)
