//! Project automation.
//!
//! - `cargo xtask run [-- serve flags]`: builds and starts Coterie on the embedded SQLite default.
//! - `cargo xtask test [--sqlite-only] [--no-compat] [--no-nginx] [--no-e2e]`: formatting, lints, and every
//!   test — the store conformance suite, the API suite on SQLite and on PostgreSQL (with two nodes over
//!   Redis), real bot libraries, two nodes behind nginx (deploy/check-nginx.py) and the browser.
//! - `cargo xtask bench [--quick] [--only m2|m3|m4|m7] [messages] [posts]`: release build, then the server suite
//!   (bench.rs: coterie-loadgen processes against fresh servers; M1–M4, M7, M9, M10 and M2/M3 across
//!   two nodes; writes bench/results.json and bench/results.md; `--quick` stops after it, at small
//!   sizes), the forum benchmark
//!   (bench/forums.py: hot listing over a million posts, a 10,000-comment post, votes per second, on
//!   SQLite and, when reachable, PostgreSQL), the AutoMod benchmark (examples/automod_bench.rs: cost
//!   per message of 6 × 1,000-keyword rules and the classifiers, toxicity precision/recall; writes
//!   bench/automod-results.json), the search benchmark (bench/search.py: a million messages, SQLite and
//!   PostgreSQL), the media benchmark (examples/media_bench.rs: 12-megapixel JPEG thumbnail time,
//!   1 MB upload throughput; writes bench/media-results.json) and the web benchmark (web/e2e/bench.mjs: first paint,
//!   bundle size, scroll frame times; writes bench/web-results.json).
//!   `--only m2|m3|m4|m7` runs just that metric (fan-out — after M1's idle sessions, measured on the
//!   same sessions —, send → receive, persisted messages, the reconnect storm) on a fresh server and
//!   prints the figures.

mod bench;

use anyhow::{Context, bail};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match cmd.as_str() {
        "run" => run(&rest),
        "test" => test(&rest),
        "bench" => bench(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask run [-- <coterie serve flags>] | cargo xtask test [--sqlite-only] | cargo xtask bench [--quick] [--only m2|m3|m4|m7] [messages] [posts]"
            );
            bail!("unknown command {cmd:?}")
        }
    }
}

/// A cargo command without the variables `cargo run` set for xtask itself: build scripts that
/// watch them (ring's watches `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`) would otherwise see a change
/// between `cargo build` and `cargo xtask`, and everything above them would be rebuilt each time.
fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (k, _) in std::env::vars_os() {
        let Some(k) = k.to_str() else { continue };
        if k.starts_with("CARGO_PKG_")
            || matches!(
                k,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "OUT_DIR"
            )
        {
            c.env_remove(k);
        }
    }
    c
}

fn status(mut c: Command, what: &str) -> anyhow::Result<()> {
    eprintln!("==> {what}");
    let s = c.status().with_context(|| format!("starting: {what}"))?;
    if !s.success() {
        bail!("{what} failed ({s})");
    }
    Ok(())
}

/// Installs the web client's packages when missing.
fn npm_ci() -> anyhow::Result<()> {
    if !std::path::Path::new("web/node_modules/vite").exists() {
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir("web");
        status(
            npm,
            "installing the web client's packages (web/package-lock.json)",
        )?;
    }
    Ok(())
}

/// Builds the web client into web/dist (embedded by the server's build script).
fn build_web() -> anyhow::Result<()> {
    npm_ci()?;
    let mut b = Command::new("npm");
    b.args(["run", "build", "--silent"]).current_dir("web");
    status(b, "building the web client")
}

/// Newest modification time of the files under `path` (the path itself when it is a file).
fn newest(path: &std::path::Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .flatten()
        .filter_map(|e| newest(&e.path()))
        .max()
}

/// Builds the web client when web/dist is missing or older than its sources. An unchanged build
/// keeps dist's modification times, so the server's build script does not re-run and the release
/// binary is not linked again.
fn build_web_if_stale() -> anyhow::Result<()> {
    let built = newest(std::path::Path::new("web/dist/index.html"));
    let sources = [
        "web/src",
        "web/index.html",
        "web/package.json",
        "web/package-lock.json",
        "web/tsconfig.json",
        "web/vite.config.ts",
        "web/public",
    ]
    .iter()
    .filter_map(|p| newest(std::path::Path::new(p)))
    .max();
    match (built, sources) {
        (Some(b), Some(s)) if b >= s => Ok(()),
        _ => build_web(),
    }
}

fn run(rest: &[String]) -> anyhow::Result<()> {
    build_web_if_stale()?;
    let mut c = cargo();
    c.args(["run", "--release", "--bin", "coterie", "--", "serve"]);
    c.args(rest.iter().filter(|a| *a != "--"));
    status(c, "coterie serve")
}

/// Figures, not pass/fail: both scripts start their own server on a loopback port.
fn bench(rest: &[String]) -> anyhow::Result<()> {
    let quick = rest.iter().any(|a| a == "--quick");
    let only = match rest.iter().position(|a| a == "--only") {
        None => None,
        Some(i) => match rest.get(i + 1).map(|m| m.to_ascii_lowercase()).as_deref() {
            Some(m @ ("m2" | "m3" | "m4" | "m7")) => Some(m.to_owned()),
            _ => bail!(
                "--only takes one metric: m2 (M1 then fan-out), m3 (send → receive), m4 (persisted messages) or m7 (the reconnect storm)"
            ),
        },
    };
    let rest: Vec<String> = rest
        .iter()
        .filter(|a| {
            !matches!(
                a.to_ascii_lowercase().as_str(),
                "--quick" | "--only" | "m2" | "m3" | "m4" | "m7"
            )
        })
        .cloned()
        .collect();
    let messages = rest.first().map_or("5000", String::as_str);
    build_web_if_stale()?;
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "coterie-server",
        "--bin",
        "coterie",
    ]);
    status(build, "building the release binary")?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "coterie-loadgen"]);
    status(build, "building the load generator")?;
    let pg = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS.to_owned());
    let pg = reachable(&pg).then_some(pg);
    let redis = reachable(redis.trim_start_matches("redis://")).then_some(redis);
    match only.as_deref() {
        Some("m4") => return bench::persisted_only(quick, pg.as_deref()),
        Some(m) => return bench::single(m, quick),
        None => {}
    }
    bench::server_suite(quick, pg.as_deref(), redis.as_deref())?;
    if quick {
        return Ok(());
    }
    install_websockets()?;
    let posts = rest.get(1).map_or("1000000", String::as_str);
    let mut forums = Command::new("python3");
    forums.args(["bench/forums.py", "target/release/coterie", posts]);
    if !reachable(&std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned())) {
        forums.arg("sqlite");
    }
    status(forums, "forum benchmark (bench/forums.py)")?;
    let mut search = Command::new("python3");
    search.args(["bench/search.py", "target/release/coterie", "1000000"]);
    if !reachable(&std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned())) {
        search.arg("sqlite");
    }
    status(search, "search benchmark (bench/search.py)")?;
    let mut automod = cargo();
    automod.args([
        "run",
        "--release",
        "-p",
        "coterie-server",
        "--example",
        "automod_bench",
    ]);
    status(
        automod,
        "AutoMod and classifier benchmark (bench/automod-results.json)",
    )?;
    let mut media = cargo();
    media.args([
        "run",
        "--release",
        "-p",
        "coterie-server",
        "--example",
        "media_bench",
        "--",
        "target/release/coterie",
    ]);
    status(
        media,
        "thumbnail and upload benchmark (bench/media-results.json)",
    )?;
    voice_bench()?;
    let mut web = Command::new("node");
    web.args(["e2e/bench.mjs", "../target/release/coterie", messages])
        .current_dir("web");
    status(web, "web benchmark (web/e2e/bench.mjs)")
}

/// The forwarding unit with one speaker and 500 listeners (in memory, release mode): writes the
/// figures line to bench/voice-results.json.
fn voice_bench() -> anyhow::Result<()> {
    eprintln!("==> voice forwarding benchmark (bench/voice-results.json)");
    let out = cargo()
        .args([
            "test",
            "--release",
            "-p",
            "coterie-voice",
            "--test",
            "rooms",
            "--",
            "--ignored",
            "--nocapture",
            "bench_",
        ])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(line) = text.lines().find_map(|l| l.strip_prefix("VOICE_BENCH ")) else {
        bail!(
            "voice benchmark failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write("bench/voice-results.json", format!("{line}\n"))?;
    eprintln!("{line}");
    Ok(())
}

/// The Python websockets package the benchmarks and the nginx check use (pinned).
fn install_websockets() -> anyhow::Result<()> {
    pip_install(
        "bench/requirements.txt",
        "installing websockets (bench/requirements.txt)",
    )
}

/// Installs a pinned Python requirements file.
fn pip_install(requirements: &str, what: &str) -> anyhow::Result<()> {
    let mut pip = Command::new("python3");
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-r",
        requirements,
    ]);
    status(pip, what)
}

fn reachable(url: &str) -> bool {
    let host = url
        .split('@')
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("");
    let addr: Option<SocketAddr> = host
        .parse()
        .ok()
        .or_else(|| format!("{host}:5432").parse().ok());
    addr.is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

/// Drops schemas left behind by earlier test runs (each test uses its own).
fn drop_test_schemas(url: &str) {
    let sql = "do $$ declare s text; begin for s in select nspname from pg_namespace \
               where nspname like 'conf\\_%' or nspname like 'api\\_%' loop execute 'drop schema ' || quote_ident(s) || ' cascade'; end loop; end $$;";
    let out = Command::new("psql").args([url, "-q", "-c", sql]).output();
    if !matches!(out, Ok(o) if o.status.success()) {
        eprintln!("note: could not drop old test schemas with psql (not fatal)");
    }
}

/// Installs the bot libraries (pinned) and runs the compatibility suite against a fresh server.
fn compat() -> anyhow::Result<()> {
    pip_install(
        "compat/requirements.txt",
        "installing discord.py (compat/requirements.txt)",
    )?;
    if !std::path::Path::new("compat/discordjs/node_modules/discord.js").exists() {
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir("compat/discordjs");
        status(
            npm,
            "installing discord.js (compat/discordjs/package-lock.json)",
        )?;
    }
    let mut build = cargo();
    build.args([
        "build",
        "-p",
        "coterie-server",
        "-p",
        "twilight-bot",
        "-p",
        "serenity-bot",
    ]);
    status(build, "building coterie and the twilight and serenity bots")?;
    let mut run = Command::new("python3");
    run.args(["compat/run.py", "--coterie", "target/debug/coterie"]);
    status(
        run,
        "compatibility suite: discord.py, discord.js, twilight, serenity",
    )
}

fn test(rest: &[String]) -> anyhow::Result<()> {
    let sqlite_only = rest.iter().any(|a| a == "--sqlite-only");
    let pg = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
    let use_pg = !sqlite_only;
    if use_pg && !reachable(&pg) {
        bail!("PostgreSQL is not reachable at {pg}: start it (see .ci/run) or pass --sqlite-only");
    }
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS.to_owned());
    if use_pg && !reachable(redis.trim_start_matches("redis://")) {
        bail!("Redis is not reachable at {redis}: start it (see .ci/run) or pass --sqlite-only");
    }
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    status(fmt, "cargo fmt --check")?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    status(clippy, "cargo clippy")?;
    build_web()?;
    let mut tc = Command::new("npm");
    tc.args(["run", "typecheck", "--silent"]).current_dir("web");
    status(tc, "web: typecheck")?;
    let mut vt = Command::new("npx");
    vt.args(["vitest", "run"]).current_dir("web");
    status(vt, "web: unit tests (vitest)")?;
    if use_pg {
        drop_test_schemas(&pg);
    }
    let mut all = cargo();
    all.args([
        "test",
        "--workspace",
        "--exclude",
        "twilight-bot",
        "--exclude",
        "serenity-bot",
    ]);
    if use_pg {
        all.env("TEST_DATABASE_URL", &pg);
    }
    status(all, "tests (SQLite; store conformance on both engines)")?;
    if use_pg {
        let mut api = cargo();
        api.args(["test", "-p", "coterie-server", "--test", "api"])
            .env("TEST_DATABASE_URL", &pg)
            .env("TEST_REDIS_URL", &redis)
            .env("COTERIE_TEST_DB", "postgres");
        status(api, "API tests on PostgreSQL (and two nodes over Redis)")?;
        drop_test_schemas(&pg);
    }
    if !rest.iter().any(|a| a == "--no-compat") {
        compat()?;
    }
    if use_pg && !rest.iter().any(|a| a == "--no-nginx") {
        install_websockets()?;
        let mut nginx = Command::new("python3");
        nginx
            .args(["deploy/check-nginx.py", "target/debug/coterie"])
            .env("TEST_DATABASE_URL", &pg)
            .env("TEST_REDIS_URL", &redis);
        status(nginx, "deploy/nginx.conf: two nodes behind Debian's nginx")?;
    }
    if !rest.iter().any(|a| a == "--no-e2e") {
        let mut e2e = Command::new("node");
        e2e.args(["e2e/run.mjs", "../target/debug/coterie"])
            .current_dir("web");
        status(e2e, "web: browser end-to-end tests (Playwright + Chromium)")?;
        let mut voice = Command::new("node");
        voice
            .args(["e2e/voice.mjs", "../target/debug/coterie"])
            .current_dir("web");
        status(
            voice,
            "web: voice in the browser (three members, fake microphones)",
        )?;
    }
    eprintln!("==> all tests passed");
    Ok(())
}
