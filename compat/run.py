#!/usr/bin/env python3
"""Compatibility suite: real Discord bot libraries run against a Coterie server started here.

For each library: start its bot, wait until it is ready, have a test user post `!ping` and see
`pong` (in a channel and in a forum post), invoke the bot's `/ping` slash command and see it answered, force the bot's gateway
connection closed, and check it recovers (resume or re-identify) and still answers.

usage: compat/run.py --coterie target/debug/coterie [--libs discordpy,discordjs,twilight]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PORT = int(os.environ.get("COMPAT_PORT", "18211"))
URL = f"http://127.0.0.1:{PORT}"
API = f"{URL}/api/v10"


def call(method, path, token=None, body=None, ok=(200, 201, 204)):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        if e.code in ok:
            return e.code, json.loads(raw) if raw else None
        raise RuntimeError(f"{method} {path} -> {e.code}: {raw[:300]!r}") from None


def wait_for(what, fn, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def bot_command(lib, root):
    if lib == "discordpy":
        return [sys.executable, os.path.join(HERE, "discordpy", "bot.py")]
    if lib == "discordjs":
        return ["node", os.path.join(HERE, "discordjs", "bot.js")]
    if lib == "twilight":
        return [os.path.join(root, "target", "debug", "twilight-bot")]
    if lib == "serenity":
        return [os.path.join(root, "target", "debug", "serenity-bot")]
    raise SystemExit(f"unknown library {lib}")


def forum_fixture(owner, guild, channel):
    """A forum post with a voted comment and a poll, so every library parses Coterie's extra fields
    (score, upvotes, downvotes, me_vote, karma; poll) in GUILD_CREATE, thread and message payloads."""
    _, forum = call("POST", f"/guilds/{guild}/channels", owner["token"], {"name": "ideas", "type": 15, "available_tags": [{"name": "q"}]})
    _, post = call("POST", f"/channels/{forum['id']}/threads", owner["token"], {"name": "A post", "message": {"content": "opening"}})
    call("PUT", f"/channels/{post['id']}/votes/@me", owner["token"], {"value": 1})
    _, c = call("POST", f"/channels/{post['id']}/messages", owner["token"], {"content": "a comment"})
    call("PUT", f"/channels/{post['id']}/messages/{c['id']}/votes/@me", owner["token"], {"value": -1})
    call("POST", f"/channels/{channel}/messages", owner["token"], {"poll": {
        "question": {"text": "Ready?"}, "answers": [{"poll_media": {"text": "yes"}}, {"poll_media": {"text": "no"}}]}})
    return post["id"]


def check_library(lib, root, owner, guild, channel, n, post):
    print(f"--- {lib}", flush=True)
    _, appl = call("POST", "/applications", owner["token"], {"name": f"{lib}bot", "flags": (1 << 18) | (1 << 14)})
    _, bot = call("POST", f"/applications/{appl['id']}/bot", owner["token"], {})
    token = bot["token"]
    call("POST", f"/oauth2/authorize?client_id={appl['id']}&scope=bot",
         owner["token"], {"guild_id": guild, "permissions": str(1024 | 2048 | 65536 | 2147483648 | (1 << 38)), "authorize": True})
    log = open(os.path.join(tempfile.gettempdir(), f"compat-{lib}.log"), "w")
    env = dict(os.environ, COTERIE_URL=URL, BOT_TOKEN=token, GUILD_ID=guild, QUIET="1")
    proc = subprocess.Popen(bot_command(lib, root), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        def answered(after, content, where=channel):
            def check():
                if proc.poll() is not None:
                    raise RuntimeError(f"{lib} bot exited with {proc.returncode}; see {log.name}")
                _, msgs = call("GET", f"/channels/{where}/messages?after={after}&limit=50", owner["token"])
                return next((m for m in msgs if m["author"]["id"] == appl["id"] and m["content"] == content), None)
            return check

        # The slash command shows up once the bot has synced it.
        cmd = wait_for(f"{lib} to register /ping", lambda: next(
            (c for c in call("GET", f"/applications/{appl['id']}/guilds/{guild}/commands", owner["token"])[1] if c["name"] == "ping"),
            None) if proc.poll() is None else (_ for _ in ()).throw(RuntimeError(f"{lib} bot exited; see {log.name}")), timeout=90)
        _, m = call("POST", f"/channels/{channel}/messages", owner["token"], {"content": "!ping"})
        wait_for(f"{lib} to answer !ping", answered(m["id"], "pong"))
        print(f"{lib}: !ping answered", flush=True)
        _, before = call("POST", f"/channels/{channel}/messages", owner["token"], {"content": f"marker {n}"})
        status, res = call("POST", "/interactions", owner["token"], {
            "type": 2, "application_id": appl["id"], "guild_id": guild, "channel_id": channel,
            "data": {"id": cmd["id"], "name": "ping", "type": 1}})
        assert status == 200, res
        wait_for(f"{lib} to answer /ping", answered(before["id"], "pong"))
        print(f"{lib}: /ping answered", flush=True)
        _, d = call("POST", "/admin/gateway/disconnect", owner["token"], {"user_id": appl["id"]})
        assert d["sessions"] >= 1, d
        time.sleep(1)
        _, m = call("POST", f"/channels/{channel}/messages", owner["token"], {"content": "!ping"})
        wait_for(f"{lib} to answer !ping after a forced disconnect", answered(m["id"], "pong"))
        print(f"{lib}: recovered after a forced disconnect", flush=True)
        _, m = call("POST", f"/channels/{post}/messages", owner["token"], {"content": "!ping"})
        wait_for(f"{lib} to answer !ping in a forum post", answered(m["id"], "pong", post))
        print(f"{lib}: !ping answered in a forum post (votes and polls parsed)", flush=True)
        if lib == "discordjs":
            _, m = call("POST", f"/channels/{channel}/messages", owner["token"], {"content": "!file"})
            sent = wait_for(f"{lib} to send a file", answered(m["id"], "file"))
            a = sent["attachments"][0]
            assert (a["filename"], a["description"]) == ("hello.txt", "greeting"), a
            body = urllib.request.urlopen(a["url"], timeout=10).read()
            assert body == b"hello from discord.js", body
            print(f"{lib}: sent a file that downloads intact", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--coterie", required=True)
    ap.add_argument("--libs", default="discordpy,discordjs,twilight,serenity")
    args = ap.parse_args()
    root = os.path.dirname(HERE)
    data = tempfile.mkdtemp()
    # An ephemeral voice port: a Coterie already running on this machine holds the default 50000.
    server = subprocess.Popen([args.coterie, "serve", "--listen", f"127.0.0.1:{PORT}", "--data-dir", data,
                               "--rate-limits", "off", "--argon2-memory-kib", "1024",
                               "--voice-udp", "127.0.0.1:0"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "server.log"), "w"))
    failed = []
    try:
        wait_for("the server", lambda: _healthy(), timeout=30)
        _, owner = call("POST", "/auth/register", body={"username": "owner", "password": "correct horse battery"})
        _, g = call("POST", "/guilds", owner["token"], {"name": "Compat"})
        post = forum_fixture(owner, g["id"], g["system_channel_id"])
        for n, lib in enumerate(l for l in args.libs.split(",") if l):
            try:
                check_library(lib, root, owner, g["id"], g["system_channel_id"], n, post)
            except Exception as e:  # report every library, then fail
                print(f"{lib}: FAILED: {e}", flush=True)
                failed.append(lib)
        if "discordpy" in args.libs.split(","):
            _, inv = call("POST", f"/channels/{g['system_channel_id']}/invites", owner["token"], {"max_uses": 0})
            env = dict(os.environ, COTERIE_URL=URL, OWNER_TOKEN=owner["token"], GUILD_ID=g["id"], INVITE_CODE=inv["code"])
            for script in ("moderation", "media", "voice"):
                r = subprocess.run([sys.executable, os.path.join(HERE, "discordpy", f"{script}.py")], env=env, timeout=120)
                if r.returncode != 0:
                    print(f"discordpy {script}: FAILED", flush=True)
                    failed.append(f"discordpy-{script}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    if failed:
        print(f"compatibility failures: {', '.join(failed)} (server log in {data})")
        sys.exit(1)
    print("all libraries passed")


def _healthy():
    try:
        urllib.request.urlopen(f"{URL}/healthz", timeout=2)
        return True
    except Exception:
        return False


if __name__ == "__main__":
    main()
