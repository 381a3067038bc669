#!/usr/bin/env python3
"""Message search benchmark (issue #7), on SQLite and on PostgreSQL:
`GET /guilds/{id}/messages/search` over N messages (default 1,000,000) in 20 channels (one of them
hidden from the searcher), newest first, for a rare word (1 in 10,000 messages), a medium one (1 in
100) and a common one (1 in 10), plus an author filter and relevance order.

The guild, channels and users are made through the API; the messages are inserted with SQL (the
search index is kept by the same triggers / generated column the server relies on). Starts its
own server.

usage: python3 bench/search.py path/to/coterie [messages] [sqlite|postgres|both]
"""
import io, json, os, random, shutil, sqlite3, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forums  # noqa: E402  (server start/stop, HTTP helpers)

N = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
ENGINES = (sys.argv[3] if len(sys.argv) > 3 else "both").split(",")
if ENGINES == ["both"]:
    ENGINES = ["sqlite", "postgres"]
forums.BIN = sys.argv[1]
WORDS = ("the a study group notes exam chapter read write meet library tonight question answer graph tree "
         "proof lemma code review deadline monday friday coffee project slides lecture topic idea").split()


def text(rng, i):
    w = [rng.choice(WORDS) for _ in range(8)]
    if i % 10 == 3:
        w.append("lighthouse")
    if i % 100 == 7:
        w.append("quasar")
    if i % 10_000 == 17:
        w.append("zeppelin")
    return " ".join(w)


def setup_api():
    c = forums.conn()
    call = forums.call
    owner = call(c, "POST", "/auth/register", body={"username": "owner", "password": "correct horse battery"})
    ot = owner["token"]
    g = call(c, "POST", "/guilds", ot, {"name": "Search bench"})
    chans = []
    for i in range(20):
        body = {"name": f"c{i}", "type": 0}
        if i == 19:
            body["permission_overwrites"] = [{"id": g["id"], "type": 0, "deny": "1024"}]
        chans.append(int(call(c, "POST", f"/guilds/{g['id']}/channels", ot, body)["id"]))
    inv = call(c, "POST", f"/channels/{g['system_channel_id']}/invites", ot, {"max_uses": 0})
    m = call(c, "POST", "/auth/register", body={"username": "member", "password": "correct horse battery"})
    call(c, "POST", f"/invites/{inv['code']}", m["token"], {})
    me = call(c, "GET", "/users/@me", ot)
    return {"guild": int(g["id"]), "channels": chans, "owner": int(me["id"]), "token": m["token"]}


def rows(ids, now_ms):
    rng = random.Random(7)
    span = 365 * 86400 * 1000
    step = max(1, span // N)
    for i in range(N):
        t = now_ms - 60_000 - (i + 1) * step
        mid = ((t - forums.EPOCH) << 22) + (i % 4096)
        yield (mid, ids["channels"][i % 20], ids["guild"], ids["owner"], text(rng, i))


def seed_sqlite(path, ids, now_ms):
    db = sqlite3.connect(path)
    db.execute("pragma synchronous = off")
    db.executemany("insert into messages (id, channel_id, guild_id, author_id, type, content) values (?, ?, ?, ?, 0, ?)",
                   rows(ids, now_ms))
    db.commit()
    db.execute("analyze")
    db.close()


def seed_postgres(ids, now_ms):
    url = forums.PG_ADMIN.rsplit("/", 1)[0] + "/" + forums.PG_DB
    buf = io.StringIO()
    for r in rows(ids, now_ms):
        buf.write(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]}\t0\t{r[4]}\n")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                    "\\copy messages (id, channel_id, guild_id, author_id, type, content) from stdin"],
                   input=buf.getvalue(), text=True, check=True, stdout=subprocess.DEVNULL)
    forums.psql("analyze;")


def history(ids, now_ms, token):
    """M5: pages of 50 before random cursors over the seeded span, 4 concurrent clients, warm
    (one pass first), through coterie-loadgen (built next to the server binary)."""
    lg = os.path.join(os.path.dirname(os.path.abspath(forums.BIN)), "coterie-loadgen")
    if not os.path.exists(lg):
        print("history: coterie-loadgen not built; skipped", flush=True)
        return
    step = max(1, 365 * 86400 * 1000 // N)
    hi = ((now_ms - 60_000 - step - forums.EPOCH) << 22) + 4096
    lo = (now_ms - 60_000 - N * step - forums.EPOCH) << 22
    chans = ",".join(str(c) for c in ids["channels"][:19])
    args = [lg, "history", "--url", f"http://127.0.0.1:{forums.PORT}", "--token", token, "--channels", chans,
            "--min-id", str(lo), "--max-id", str(hi), "--clients", "4"]
    subprocess.run(args + ["--seconds", "5"], check=True, stdout=subprocess.DEVNULL)  # warm-up
    out = subprocess.run(args + ["--seconds", "10"], check=True, capture_output=True, text=True).stdout
    lat = json.loads(out.strip().splitlines()[-1])["latency_us"]
    print(f"{'history page of 50, random cursor (M5)':38} p50 {lat['p50'] / 1000:.2f} ms  p99 {lat['p99'] / 1000:.2f} ms"
          f"  ({lat['n']:,} pages, 4 clients, warm)", flush=True)


def run(engine):
    print(f"\n== {engine}: {N:,} messages ==", flush=True)
    data_dir = tempfile.mkdtemp(prefix="coterie-search-bench-")
    if engine == "postgres":
        forums.psql(f"drop database if exists {forums.PG_DB};", db="test")
        forums.psql(f"create database {forums.PG_DB};", db="test")
    p = forums.start(engine, data_dir)
    ids = setup_api()
    forums.stop(p)
    t = time.perf_counter()
    now_ms = int(time.time() * 1000)
    if engine == "sqlite":
        seed_sqlite(os.path.join(data_dir, "coterie.db"), ids, now_ms)
    else:
        seed_postgres(ids, now_ms)
    print(f"seeded {N:,} messages with their search index in {time.perf_counter() - t:.0f} s", flush=True)
    p = forums.start(engine, data_dir)
    try:
        base = f"/guilds/{ids['guild']}/messages/search?"
        tok = ids["token"]
        forums.timed_gets(base + "content=quasar", tok, 20)  # warm-up
        for label, q in [("rare word (1/10,000), newest first", "content=zeppelin"),
                         ("medium word (1/100), newest first", "content=quasar"),
                         ("common word (1/10), newest first", "content=lighthouse"),
                         ("two words, newest first", "content=quasar%20lighthouse"),
                         ("medium word, relevance", "content=quasar&sort_by=relevance"),
                         ("medium word in one channel", f"content=quasar&channel_id={ids['channels'][3]}"),
                         ("author filter, no words", f"author_id={ids['owner']}")]:
            xs = forums.timed_gets(base + q, tok, 200)
            print(f"{label:38} {forums.fmt(xs)}", flush=True)
        history(ids, now_ms, tok)
    finally:
        forums.stop(p)
        shutil.rmtree(data_dir, ignore_errors=True)
        if engine == "postgres":
            forums.psql(f"drop database if exists {forums.PG_DB};", db="test")


if __name__ == "__main__":
    for e in ENGINES:
        run(e)
