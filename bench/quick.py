#!/usr/bin/env python3
"""First quick measurement (issue #2): idle RSS, memory per idle identified gateway session, and
REST send -> gateway receive latency. Starts its own server on a loopback port. The full
benchmark suite (separate Rust load generator, M1-M10) replaces this in the benchmarks issue.

usage: python3 bench/quick.py path/to/coterie [sessions]
needs: pip install websockets
"""
import asyncio, json, os, statistics, subprocess, sys, tempfile, time, urllib.request

import websockets

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
PORT = 18111
BASE = f"http://127.0.0.1:{PORT}/api/v10"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


async def identify(token, i):
    host = f"127.0.{(i // 250) % 250 + 1}.{i % 250 + 1}"
    ws = await websockets.connect(f"ws://127.0.0.1:{PORT}/?v=10&encoding=json", max_size=2**22,
                                  ping_interval=None, open_timeout=60, close_timeout=1,
                                  local_addr=(host, 0))
    await ws.recv()
    await ws.send(json.dumps({"op": 2, "d": {"token": token, "intents": 33281, "properties": {}}}))
    while True:
        f = json.loads(await ws.recv())
        if f.get("t") == "GUILD_CREATE":
            return ws


async def main():
    data = tempfile.mkdtemp()
    proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{PORT}", "--data-dir", data,
                             "--rate-limits", "off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz")
                break
            except Exception:
                time.sleep(0.05)
        time.sleep(1)
        idle = rss_kb(proc.pid)
        a = call("POST", "/auth/register", body={"username": "alice", "password": "correct horse battery"})
        b = call("POST", "/auth/register", body={"username": "bob", "password": "correct horse battery"})
        g = call("POST", "/guilds", a["token"], {"name": "Bench"})
        ch = g["system_channel_id"]
        inv = call("POST", f"/channels/{ch}/invites", a["token"], {})
        call("POST", f"/invites/{inv['code']}", b["token"], {})
        for i in range(20):
            call("POST", f"/channels/{ch}/messages", a["token"], {"content": f"warm {i}"})
        base = rss_kb(proc.pid)
        t = time.time()
        socks = []
        for start in range(0, N, 200):
            socks += await asyncio.gather(*[identify(b["token"], i) for i in range(start, min(N, start + 200))])
        print(f"{N} sessions identified in {time.time() - t:.1f}s", file=sys.stderr)
        await asyncio.sleep(3)
        loaded = rss_kb(proc.pid)
        per = (loaded - base) * 1024 / N
        for s in socks:
            await s.close()
        # Latency: one listener, sequential sends.
        listener = await identify(b["token"], 9999)
        seq = {"s": None}

        async def beat():
            while True:
                await asyncio.sleep(20)
                await listener.send(json.dumps({"op": 1, "d": seq["s"]}))

        beater = asyncio.create_task(beat())
        lat = []
        for i in range(300):
            t0 = time.perf_counter()
            call("POST", f"/channels/{ch}/messages", a["token"], {"content": f"lat {i}"})
            while True:
                f = json.loads(await listener.recv())
                seq["s"] = f.get("s") or seq["s"]
                if f.get("t") == "MESSAGE_CREATE" and f["d"]["content"] == f"lat {i}":
                    lat.append((time.perf_counter() - t0) * 1000)
                    break
        beater.cancel()
        lat.sort()
        q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
        print(json.dumps({
            "idle_rss_mb": round(idle / 1024, 1),
            "rss_before_sessions_mb": round(base / 1024, 1),
            "sessions": N,
            "rss_with_sessions_mb": round(loaded / 1024, 1),
            "bytes_per_idle_session": round(per),
            "send_to_receive_ms": {"p50": round(q(0.5), 2), "p90": round(q(0.9), 2), "p99": round(q(0.99), 2)},
        }, indent=2))
    finally:
        proc.terminate()
        proc.wait()


asyncio.run(main())
