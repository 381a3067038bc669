#!/usr/bin/env python3
"""Forum benchmarks (issue #5), on SQLite and on PostgreSQL:

- hot listing: `GET /channels/{forum}/posts?sort=hot&limit=25` in a forum of N posts (default
  1,000,000), first page and a deep cursor page, while votes stream in at 500/s;
- comments: the first page of a post with 10,000 comments (`GET /channels/{post}/comments`);
- votes: sustained `PUT/DELETE …/votes/@me` through the HTTP API from 200 members over 64
  keep-alive connections, then every touched post's counters checked against its vote rows.

The guild, forum, users and a few posts are made through the API; the bulk of posts and comments
is inserted with SQL (the same rows the server writes, ranking keys computed in SQL), because
creating a million posts through HTTP would take most of an hour. Starts its own server.

usage: python3 bench/forums.py path/to/coterie [posts] [sqlite|postgres|both]
"""
import asyncio, http.client, json, os, random, shutil, sqlite3, statistics, subprocess, sys, tempfile, threading, time

BIN = sys.argv[1]
POSTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
ENGINES = (sys.argv[3] if len(sys.argv) > 3 else "both").split(",")
if ENGINES == ["both"]:
    ENGINES = ["sqlite", "postgres"]
PORT = 18131
PG_ADMIN = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
PG_DB = "coterie_bench"
EPOCH = 1420070400000
VOTERS = 200


def conn():
    return http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)


def call(c, method, path, token=None, body=None):
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = token
    c.request(method, "/api/v10" + path, body=data, headers=headers)
    r = c.getresponse()
    raw = r.read()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: {r.status} {raw[:300]!r}")
    return json.loads(raw) if raw else None


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def fmt(xs):
    return f"p50 {statistics.median(xs):.2f} ms, p90 {pct(xs, 90):.2f}, p99 {pct(xs, 99):.2f} (n={len(xs)})"


def start(engine, data_dir):
    args = [BIN, "serve", "--listen", f"127.0.0.1:{PORT}", "--data-dir", data_dir, "--rate-limits", "off",
            "--argon2-memory-kib", "1024"]
    if engine == "postgres":
        args += ["--database-url", PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            c = conn()
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return p
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def stop(p):
    p.terminate()
    p.wait(timeout=30)


def psql(sql, db=PG_DB):
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + db
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input=sql, text=True, check=True, stdout=subprocess.DEVNULL)


def setup_api():
    """Owner, forum, voters (members), a seed post; returns ids and tokens."""
    c = conn()
    owner = call(c, "POST", "/auth/register", body={"username": "owner", "password": "correct horse battery"})
    ot = owner["token"]
    g = call(c, "POST", "/guilds", ot, {"name": "Bench"})
    forum = call(c, "POST", f"/guilds/{g['id']}/channels", ot, {"name": "forum", "type": 15})
    comments_forum = call(c, "POST", f"/guilds/{g['id']}/channels", ot, {"name": "talk", "type": 15})
    inv = call(c, "POST", f"/channels/{g['system_channel_id']}/invites", ot, {"max_uses": 0})
    tokens = []
    for i in range(VOTERS):
        u = call(c, "POST", "/auth/register", body={"username": f"voter{i}", "password": "correct horse battery"})
        call(c, "POST", f"/invites/{inv['code']}", u["token"], {})
        tokens.append(u["token"])
    me = call(c, "GET", "/users/@me", ot)
    big = call(c, "POST", f"/channels/{comments_forum['id']}/threads", ot,
               {"name": "Ten thousand comments", "message": {"content": "discuss"}})
    return {"guild": int(g["id"]), "forum": int(forum["id"]), "owner": int(me["id"]), "owner_token": ot,
            "tokens": tokens, "big_post": int(big["id"])}


HOT = ("round((sign(u - d) * log10(max(abs(u - d), 1)) + (t / 1000.0 - 1134028003) / 45000.0) * 10000000)")


def seed_sqlite(path, ids, now_ms):
    db = sqlite3.connect(path)
    db.execute("pragma synchronous = off")
    db.execute("pragma journal_mode = wal")
    span = 365 * 86400 * 1000
    step = max(1, span // POSTS)
    g, f, o = ids["guild"], ids["forum"], ids["owner"]
    db.execute("create temp table seq as with recursive n(i) as (select 0 union all select i + 1 from n where i < ?) "
               "select i, ? - (i + 1) * ? as t, abs(random()) % 200 as u, abs(random()) % 60 as d from n", (POSTS - 1, now_ms - 60_000, step))
    db.execute("update seq set u = 0, d = 0 where t >= ? - 259200000", (now_ms,))
    db.execute("alter table seq add column id integer")
    db.execute("update seq set id = ((t - ?) << 22) + (i % 4096)", (EPOCH,))
    db.execute("insert into channels (id, guild_id, type, name, position, parent_id, nsfw, rate_limit_per_user, flags, created_at, settings) "
               "select id, ?, 11, 'post ' || i, 0, ?, 0, 0, 0, t, '{}' from seq", (g, f))
    db.execute(f"insert into threads (channel_id, guild_id, parent_id, owner_id, type, archived, archive_at, auto_archive_duration, auto_archive_at, "
               f"locked, invitable, pinned, applied_tags, message_count, member_count, total_message_sent, created_at, upvotes, downvotes, score, hot, "
               f"controversy, active) select id, ?, ?, ?, 11, t < ? - 259200000, t + 259200000, 4320, t + 259200000, 0, 1, 0, '[]', 0, 1, 0, t, u, d, "
               f"u - d, {HOT}, case when u > 0 and d > 0 then cast(pow(u + d, min(u, d) * 1.0 / max(u, d)) * 10000000 as integer) else 0 end, {HOT} from seq",
               (g, f, o, now_ms))
    db.execute("insert into messages (id, channel_id, guild_id, author_id, type, content) select id, id, ?, ?, 0, 'opening message of post ' || i from seq", (g, o))
    seed_comments_sqlite(db, ids)
    db.commit()
    db.execute("analyze")
    db.close()


def comment_rows(ids):
    """10,000 comments under the big post: 1,000 roots, 3 replies each, 2 replies to each reply."""
    base = ids["big_post"] + 1
    rows = []
    for r in range(1000):
        root = base + r * 10
        rows.append((root, 0, f"{root:016x}", 1, 3, 9))
        for c in range(3):
            mid = root + 1 + c * 3
            rows.append((mid, root, f"{root:016x}.{mid:016x}", 2, 2, 2))
            for k in range(2):
                leaf = mid + 1 + k
                rows.append((leaf, mid, f"{root:016x}.{mid:016x}.{leaf:016x}", 3, 0, 0))
    return rows


def seed_comments_sqlite(db, ids):
    g, o, post = ids["guild"], ids["owner"], ids["big_post"]
    rows = comment_rows(ids)
    db.executemany("insert into messages (id, channel_id, guild_id, author_id, type, content) values (?, ?, ?, ?, 0, ?)",
                   [(r[0], post, g, o, f"comment {r[0]}") for r in rows])
    db.executemany("insert into comments (message_id, post_id, parent_id, path, depth, child_count, descendant_count, upvotes, downvotes, score, best, controversy) "
                   "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                   [(r[0], post, r[1], r[2], r[3], r[4], r[5], u, d, u - d, int(u / (u + d + 1) * 1e7)) for r in rows
                    for u, d in [(random.randrange(50), random.randrange(20))]])
    db.execute("update threads set message_count = ? where channel_id = ?", (len(rows), post))


def seed_postgres(ids, now_ms):
    span = 365 * 86400 * 1000
    step = max(1, span // POSTS)
    g, f, o = ids["guild"], ids["forum"], ids["owner"]
    hot = "round(((sign(u - d) * log(greatest(abs(u - d), 1)::numeric))::float8 + (t / 1000.0 - 1134028003) / 45000.0) * 10000000)::bigint"
    psql(f"""
create temp table seq as select i, {now_ms - 60000} - (i + 1)::bigint * {step} as t, (random() * 200)::int as u, (random() * 60)::int as d
  from generate_series(0, {POSTS - 1}) i;
update seq set u = 0, d = 0 where t >= {now_ms} - 259200000;
alter table seq add column id bigint;
update seq set id = ((t - {EPOCH}) << 22) + (i % 4096);
insert into channels (id, guild_id, type, name, position, parent_id, nsfw, rate_limit_per_user, flags, created_at, settings)
  select id, {g}, 11, 'post ' || i, 0, {f}, false, 0, 0, t, '{{}}' from seq;
insert into threads (channel_id, guild_id, parent_id, owner_id, type, archived, archive_at, auto_archive_duration, auto_archive_at, locked,
  invitable, pinned, applied_tags, message_count, member_count, total_message_sent, created_at, upvotes, downvotes, score, hot, controversy, active)
  select id, {g}, {f}, {o}, 11, t < {now_ms} - 259200000, t + 259200000, 4320, t + 259200000, false, true, false, '[]', 0, 1, 0, t, u, d, u - d,
  {hot}, case when u > 0 and d > 0 then (power(u + d, least(u, d)::float8 / greatest(u, d)) * 10000000)::bigint else 0 end, {hot} from seq;
insert into messages (id, channel_id, guild_id, author_id, type, content) select id, id, {g}, {o}, 0, 'opening message of post ' || i from seq;
analyze;
""")
    rows = comment_rows(ids)
    post = ids["big_post"]
    vals = ",".join(f"({r[0]},{post},{g},{o},0,'comment {r[0]}')" for r in rows)
    psql(f"insert into messages (id, channel_id, guild_id, author_id, type, content) values {vals};")
    cvals = []
    for r in rows:
        u, d = random.randrange(50), random.randrange(20)
        cvals.append(f"({r[0]},{post},{r[1]},'{r[2]}',{r[3]},{r[4]},{r[5]},{u},{d},{u - d},{int(u / (u + d + 1) * 1e7)},0)")
    psql("insert into comments (message_id, post_id, parent_id, path, depth, child_count, descendant_count, upvotes, downvotes, score, best, controversy) values "
         + ",".join(cvals) + ";")
    psql(f"update threads set message_count = {len(rows)} where channel_id = {post}; analyze;")


def timed_gets(path, token, n):
    c = conn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        call(c, "GET", path, token)
        out.append((time.perf_counter() - t) * 1000)
    return out


def stream_votes(ids, stop, rate=500):
    """Votes at `rate`/s on recent posts while listings are measured."""
    c = conn()
    posts = recent_posts(ids, 2000)
    n = 0
    t0 = time.perf_counter()
    while not stop.is_set():
        tok = ids["tokens"][n % VOTERS]
        call(c, "PUT", f"/channels/{random.choice(posts)}/votes/@me", tok, {"value": random.choice((1, -1))})
        n += 1
        lag = n / rate - (time.perf_counter() - t0)
        if lag > 0:
            time.sleep(lag)
    return n


def recent_posts(ids, n):
    c = conn()
    out, after = [], None
    while len(out) < n:
        q = f"/channels/{ids['forum']}/posts?sort=new&limit=100" + (f"&after={after}" if after else "")
        r = call(c, "GET", q, ids["owner_token"])
        out += [p["id"] for p in r["posts"] if not p["thread_metadata"]["archived"]]
        after = r["next"]
        if not after or (r["posts"] and r["posts"][-1]["thread_metadata"]["archived"]):
            break
    return out[:n]


async def vote_load(ids, posts, seconds=10, conns=64):
    """Sustained votes through the API over keep-alive connections; returns (done, errors)."""
    done = errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(w):
        nonlocal done, errors
        r, wr = await asyncio.open_connection("127.0.0.1", PORT)
        i = w
        while time.perf_counter() < deadline:
            tok = ids["tokens"][i % VOTERS]
            post = posts[(i * 7919) % len(posts)]
            i += conns
            if random.random() < 0.2:
                req = f"DELETE /api/v10/channels/{post}/votes/@me HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\n\r\n"
            else:
                body = '{"value": %d}' % random.choice((1, -1))
                req = (f"PUT /api/v10/channels/{post}/votes/@me HTTP/1.1\r\nHost: x\r\nAuthorization: {tok}\r\n"
                       f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}")
            wr.write(req.encode())
            head = await r.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await r.readexactly(length)
            if status == 204:
                done += 1
            else:
                errors += 1
        wr.close()

    t = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(conns)))
    return done, errors, time.perf_counter() - t


def check_exact(engine, data_dir, posts):
    q = ("select count(*) from threads t where t.channel_id in ({}) and (t.upvotes <> (select count(*) from post_votes v where v.post_id = t.channel_id and v.value = 1) "
         "or t.downvotes <> (select count(*) from post_votes v where v.post_id = t.channel_id and v.value = -1) or t.score <> t.upvotes - t.downvotes)").format(",".join(posts))
    if engine == "sqlite":
        db = sqlite3.connect(os.path.join(data_dir, "coterie.db"))
        bad = db.execute(q).fetchone()[0]
        votes = db.execute("select count(*) from post_votes").fetchone()[0]
        db.close()
    else:
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
        bad = int(subprocess.run(["psql", "-tA", url, "-c", q], capture_output=True, text=True, check=True).stdout.strip())
        votes = int(subprocess.run(["psql", "-tA", url, "-c", "select count(*) from post_votes"], capture_output=True, text=True, check=True).stdout.strip())
    return bad, votes


def run(engine):
    print(f"\n== {engine}: {POSTS:,} posts ==", flush=True)
    data_dir = tempfile.mkdtemp(prefix="coterie-forum-bench-")
    if engine == "postgres":
        psql(f"drop database if exists {PG_DB};", db="test")
        psql(f"create database {PG_DB};", db="test")
    p = start(engine, data_dir)
    ids = setup_api()
    stop(p)
    t = time.perf_counter()
    now_ms = int(time.time() * 1000)
    if engine == "sqlite":
        seed_sqlite(os.path.join(data_dir, "coterie.db"), ids, now_ms)
    else:
        seed_postgres(ids, now_ms)
    print(f"seeded {POSTS:,} posts and 10,000 comments in {time.perf_counter() - t:.0f} s", flush=True)
    p = start(engine, data_dir)
    try:
        tok = ids["tokens"][0]
        first = f"/channels/{ids['forum']}/posts?sort=hot&limit=25"
        timed_gets(first, tok, 50)  # warm-up
        quiet = timed_gets(first, tok, 500)
        print(f"hot first page, idle:             {fmt(quiet)}")
        c = conn()
        after = None
        for _ in range(40):
            r = call(c, "GET", first + (f"&after={after}" if after else ""), tok)
            after = r["next"]
        deep = f"{first}&after={after}"
        stop_ev = threading.Event()
        votes = [0]
        th = threading.Thread(target=lambda: votes.__setitem__(0, stream_votes(ids, stop_ev)))
        th.start()
        time.sleep(1)
        busy = timed_gets(first, tok, 1000)
        deep_t = timed_gets(deep, tok, 500)
        new_t = timed_gets(f"/channels/{ids['forum']}/posts?sort=new&limit=25", tok, 300)
        top_t = timed_gets(f"/channels/{ids['forum']}/posts?sort=top&t=week&limit=25", tok, 300)
        stop_ev.set()
        th.join()
        print(f"hot first page, 500 votes/s:      {fmt(busy)}")
        print(f"hot page 41 (cursor), 500 votes/s: {fmt(deep_t)}")
        print(f"new first page:                   {fmt(new_t)}")
        print(f"top of the week:                  {fmt(top_t)}")
        comments = timed_gets(f"/channels/{ids['big_post']}/comments?sort=best&limit=50", tok, 300)
        print(f"10,000-comment post, first page:  {fmt(comments)}")
        posts = recent_posts(ids, 1000)
        done, errors, secs = asyncio.run(vote_load(ids, posts))
        bad, rows = check_exact(engine, data_dir, posts)
        print(f"votes through the API: {done / secs:,.0f}/s sustained for {secs:.1f} s ({done:,} ok, {errors} errors); "
              f"posts with counters != vote rows: {bad} of {len(posts)} ({rows:,} vote rows)")
    finally:
        stop(p)
        shutil.rmtree(data_dir, ignore_errors=True)
        if engine == "postgres":
            psql(f"drop database if exists {PG_DB};", db="test")


if __name__ == "__main__":
    for e in ENGINES:
        run(e)
