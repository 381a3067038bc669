"""Checks deploy/nginx.conf with Debian's nginx in front of two Coterie nodes sharing PostgreSQL and
Redis: HTTP, uploads and the WebSocket gateway pass through, and a message sent through the proxy
reaches gateway sessions that the proxy spread over both nodes; after one node is killed (SIGKILL)
mid-stream, its client resumes through the proxy on the other node and gets exactly what it missed.

usage: python3 deploy/check-nginx.py path/to/coterie   (needs nginx, PostgreSQL, Redis, websockets)
env: TEST_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), TEST_REDIS_URL (redis://127.0.0.1:6379)
"""
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1]
PG = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
BASE_PORT = 19000 + random.randrange(0, 400) * 2
NODES = [BASE_PORT + 1, BASE_PORT + 2]
PROXY = BASE_PORT + 500
URL = f"http://127.0.0.1:{PROXY}"


def http(method, path, token=None, body=None, raw=None, ctype="application/json", base=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request((base or URL) + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", token)
    with urllib.request.urlopen(req, timeout=20) as r:
        out = r.read()
        return r.status, (json.loads(out) if out and r.headers.get("content-type") == "application/json" else out)


def wait(url, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


async def session(token, port=PROXY):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/?v=10&encoding=json", max_size=2**24)
    hello = json.loads(await ws.recv())
    assert hello["op"] == 10, hello
    await ws.send(json.dumps({"op": 2, "d": {"token": token, "intents": 513 | (1 << 15),
                                              "properties": {"os": "linux", "browser": "check", "device": "check"}}}))
    while True:
        f = json.loads(await ws.recv())
        if f.get("t") == "READY":
            ws.session_id, ws.seq = f["d"]["session_id"], f["s"]
            return ws


async def until(ws, name, pred=lambda d: True, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        f = json.loads(await asyncio.wait_for(ws.recv(), end - time.time()))
        if f.get("t") == name and pred(f["d"]):
            return f["d"]
    raise AssertionError(f"no {name}")


async def main():
    _, owner = http("POST", "/api/v10/auth/register", body={"username": "owner", "password": "correct horse battery"})
    token = owner["token"]
    _, g = http("POST", "/api/v10/guilds", token, {"name": "Behind nginx"})
    channel = g["system_channel_id"]
    sockets = [await session(token) for _ in range(4)]
    _, m = http("POST", f"/api/v10/channels/{channel}/messages", token, {"content": "through the proxy"})
    for ws in sockets:
        await until(ws, "MESSAGE_CREATE", lambda d: d["id"] == m["id"])
    payload = os.urandom(3 << 20)
    boundary = "nginx-check"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{{}}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"blob.bin\"\r\n\r\n").encode()
    body += payload + f"\r\n--{boundary}--\r\n".encode()
    _, up = http("POST", f"/api/v10/channels/{channel}/messages", token, raw=body,
                 ctype=f"multipart/form-data; boundary={boundary}")
    url = up["attachments"][0]["url"].replace(f"127.0.0.1:{NODES[0]}", f"127.0.0.1:{PROXY}").replace(
        f"127.0.0.1:{NODES[1]}", f"127.0.0.1:{PROXY}")
    with urllib.request.urlopen(url, timeout=20) as r:
        assert r.read() == payload, "the file came back different"
    for ws in sockets:
        await ws.close()
    print("nginx: HTTP, a 3 MB upload and 4 gateway sessions over 2 nodes passed through", flush=True)
    await failover(token, channel)


async def next_dispatch(ws, name, content):
    """The next frame that is `name` with this content; tracks the sequence number."""
    while True:
        f = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if f.get("op") == 0:
            ws.seq = f["s"]
            if f["t"] == name and f["d"].get("content") == content:
                return f


async def failover(token, channel):
    other = f"http://127.0.0.1:{NODES[1]}"
    ws = await session(token, NODES[0])
    http("POST", f"/api/v10/channels/{channel}/messages", token, {"content": "acknowledged"}, base=other)
    await next_dispatch(ws, "MESSAGE_CREATE", "acknowledged")
    await ws.send(json.dumps({"op": 1, "d": ws.seq}))
    while json.loads(await asyncio.wait_for(ws.recv(), 10)).get("op") != 11:
        pass
    http("POST", f"/api/v10/channels/{channel}/messages", token, {"content": "unacknowledged"}, base=other)
    await next_dispatch(ws, "MESSAGE_CREATE", "unacknowledged")
    session_id, seq = ws.session_id, ws.seq
    PROCS[0].kill()
    PROCS[0].wait()
    for text in ("missed 1", "missed 2"):
        http("POST", f"/api/v10/channels/{channel}/messages", token, {"content": text})
    again = await websockets.connect(f"ws://127.0.0.1:{PROXY}/?v=10&encoding=json", max_size=2**24)
    assert json.loads(await again.recv())["op"] == 10
    await again.send(json.dumps({"op": 6, "d": {"token": token, "session_id": session_id, "seq": seq}}))
    frames = []
    while not any(f.get("t") == "RESUMED" for f in frames):
        frames.append(json.loads(await asyncio.wait_for(again.recv(), 10)))
    got = [(f["s"], f["t"], f["d"].get("content")) for f in frames]
    messages = [c for _, t, c in got if t == "MESSAGE_CREATE"]
    assert messages == ["missed 1", "missed 2"], got
    assert [s for s, _, _ in got] == list(range(seq + 1, seq + 1 + len(got))), got
    await again.close()
    print(f"nginx: node killed mid-stream; its session resumed on the other node at seq {seq} and "
          f"received exactly the {len(messages)} messages it missed", flush=True)


PROCS = []


def run():
    tmp = tempfile.mkdtemp(prefix="coterie-nginx-")
    db = f"coterie_nginx_{os.getpid()}"
    admin = PG.rsplit("/", 1)[0]
    subprocess.run(["psql", PG, "-q", "-c", f"create database {db}"], check=True)
    procs = PROCS
    try:
        for i, port in enumerate(NODES):
            procs.append(subprocess.Popen(
                [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", f"{admin}/{db}",
                 "--redis-url", REDIS, "--data-dir", os.path.join(tmp, f"node{i}"), "--storage",
                 f"file://{tmp}/files", "--rate-limits", "off", "--argon2-memory-kib", "1024",
                 "--public-url", URL],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, f"node{i}.log"), "w")))
            wait(f"http://127.0.0.1:{port}/healthz")
        site = open(os.path.join(HERE, "nginx.conf")).read()
        site = site.replace("127.0.0.1:8081", f"127.0.0.1:{NODES[0]}").replace(
            "127.0.0.1:8082", f"127.0.0.1:{NODES[1]}").replace("listen 8080;", f"listen 127.0.0.1:{PROXY};")
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\nevents {{}}\n"
                    f"http {{\naccess_log off;\nclient_body_temp_path {tmp}/body;\nproxy_temp_path {tmp}/proxy;\n"
                    f"{site}\n}}\n")
        procs.append(subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL))
        wait(f"{URL}/healthz")
        asyncio.run(main())
    finally:
        for p in procs:
            if p.poll() is not None:
                continue
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["psql", PG, "-q", "-c", f"drop database if exists {db}"], check=False)


if __name__ == "__main__":
    run()
