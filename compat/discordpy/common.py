"""Shared by the discord.py scripts: plain HTTP calls to Coterie, and pointing discord.py at it."""
import http.client
import json
import os
import urllib.parse

import discord
import yarl

URL = os.environ["COTERIE_URL"].rstrip("/")
HOST = urllib.parse.urlparse(URL)
OWNER = os.environ["OWNER_TOKEN"]
GUILD = os.environ["GUILD_ID"]


def call(method, path, token=None, body=None):
    c = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    c.request(method, "/api/v10" + path, json.dumps(body) if body is not None else None, headers)
    r = c.getresponse()
    raw = r.read()
    return r.status, (json.loads(raw) if raw else None)


def bot_in_guild(name):
    """Creates an application with privileged intents, its bot, and adds it as administrator."""
    _, app = call("POST", "/applications", OWNER, {"name": name, "flags": (1 << 12) | (1 << 14) | (1 << 18)})
    _, bot = call("POST", f"/applications/{app['id']}/bot", OWNER, {})
    call("POST", f"/oauth2/authorize?client_id={app['id']}&scope=bot", OWNER,
         {"guild_id": GUILD, "permissions": "8", "authorize": True})
    return bot


def point_at_coterie():
    """The changes a discord.py bot makes to run against Coterie: REST base, gateway, CDN."""
    discord.http.Route.BASE = f"{URL}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(URL.replace("http", "ws", 1) + "/")
    discord.asset.Asset.BASE = f"{URL}/cdn"


def run(client, token, failures):
    """Runs the client until the script's on_ready closes it; exits 1 if a step failed."""
    import sys
    client.run(token, log_handler=None)
    sys.exit(1 if failures else 0)


def report(failures, e):
    """Prints a failed step's traceback and remembers it."""
    import traceback
    traceback.print_exc()
    failures.append(e)
