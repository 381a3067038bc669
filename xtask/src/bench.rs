//! The server benchmark suite (issue 8, metrics M1–M4, M7, M9, M10 of performance.md, and M2/M3
//! across two nodes): starts release servers on loopback, drives them with `coterie-loadgen`
//! processes, samples the server's CPU and RSS from /proc, and writes `bench/results.json` and
//! `bench/results.md`. `--quick` runs the same steps at small sizes (CI smoke).

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SERVER: &str = "target/release/coterie";

/// The server binary the suite starts: `COTERIE_BENCH_SERVER` names another build (a profiling
/// one with symbols, say); M10 still reports the release binary's size.
fn server_bin() -> String {
    std::env::var("COTERIE_BENCH_SERVER").unwrap_or_else(|_| SERVER.to_owned())
}
const LOADGEN: &str = "target/release/coterie-loadgen";

/// Sizes of one run.
struct Sizes {
    members: usize,
    m1_sessions: usize,
    m1_settle: Duration,
    m2_rates: &'static [f64],
    m2_step: f64,
    m4_seconds: f64,
    m7_sessions: usize,
    two_node_listeners: usize,
    repeats: usize,
}

const FULL: Sizes = Sizes {
    members: 15_000,
    m1_sessions: 10_000,
    m1_settle: Duration::from_secs(60),
    m2_rates: &[10.0, 20.0, 30.0, 40.0, 60.0, 80.0],
    m2_step: 5.0,
    m4_seconds: 10.0,
    m7_sessions: 15_000,
    two_node_listeners: 10_000,
    repeats: 3,
};

const QUICK: Sizes = Sizes {
    members: 1_000,
    m1_sessions: 1_000,
    m1_settle: Duration::from_secs(5),
    m2_rates: &[20.0, 100.0],
    m2_step: 2.0,
    m4_seconds: 2.0,
    m7_sessions: 1_000,
    two_node_listeners: 1_000,
    repeats: 1,
};

/// A server process.
struct Server {
    child: Child,
    addr: SocketAddr,
    args: Vec<String>,
}

impl Server {
    fn start(port: u16, args: &[String]) -> anyhow::Result<(Self, Duration)> {
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let t = Instant::now();
        let child = Command::new(server_bin())
            .arg("serve")
            .args(["--listen", &addr.to_string()])
            .args(args)
            .env("COTERIE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the server")?;
        let mut s = Self {
            child,
            addr,
            args: args.to_vec(),
        };
        let up = s.wait_healthy(t)?;
        Ok((s, up))
    }

    fn wait_healthy(&mut self, since: Instant) -> anyhow::Result<Duration> {
        while since.elapsed() < Duration::from_secs(30) {
            if healthy(self.addr) {
                return Ok(since.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited: {status}");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        bail!("the server did not become healthy")
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM (graceful: sessions get op 7), then wait.
    fn stop(mut self) {
        let _ = Command::new("kill").arg(self.pid().to_string()).status();
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200")
}

/// CPU seconds (user + system) and RSS in KiB of a process.
fn usage(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    // After the command name: field 14 (utime) and 15 (stime) are at index 11 and 12.
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|x| x.parse::<u64>().ok()).sum());
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (ticks as f64 / 100.0, rss)
}

/// A `coterie-loadgen sessions` process, driven through its stdin.
struct Sessions {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Sessions {
    fn start(
        addr: SocketAddr,
        setup: &str,
        from: usize,
        count: usize,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(LOADGEN)
            .args(["sessions", "--addr", &addr.to_string(), "--setup", setup])
            .args(["--from", &from.to_string(), "--count", &count.to_string()])
            .args(["--source-offset", &from.to_string()])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting coterie-loadgen")?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            lines,
        })
    }

    fn next(&self, timeout: Duration) -> anyhow::Result<Value> {
        let l = self
            .lines
            .recv_timeout(timeout)
            .context("no answer from coterie-loadgen")?;
        Ok(serde_json::from_str(&l)?)
    }

    fn command(&mut self, c: &str) -> anyhow::Result<()> {
        writeln!(self.stdin, "{c}")?;
        self.stdin.flush()?;
        Ok(())
    }

    fn report(&mut self) -> anyhow::Result<Value> {
        self.command("report")?;
        self.next(Duration::from_secs(30))
    }

    fn quit(mut self) {
        let _ = self.command("quit");
        let _ = self.child.wait();
    }
}

/// Starts `count` sessions in processes of at most `per` each; waits for all READYs.
fn sessions(
    addr: SocketAddr,
    setup: &str,
    count: usize,
    per: usize,
    extra: &[&str],
) -> anyhow::Result<(Vec<Sessions>, Vec<Value>)> {
    let mut procs = vec![];
    let mut from = 0;
    while from < count {
        let n = per.min(count - from);
        procs.push(Sessions::start(addr, setup, from, n, extra)?);
        from += n;
    }
    let mut ready = vec![];
    for p in &procs {
        ready.push(p.next(Duration::from_secs(330))?);
    }
    Ok((procs, ready))
}

/// Runs a loadgen command to completion; returns its last JSON line.
fn loadgen(args: &[&str]) -> anyhow::Result<Value> {
    let out = Command::new(LOADGEN)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .context("running coterie-loadgen")?;
    if !out.status.success() {
        bail!("coterie-loadgen {} failed", args.first().unwrap_or(&""));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(serde_json::from_str(text.lines().last().unwrap_or("null"))?)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

fn sum(vs: &[Value], key: &str) -> u64 {
    vs.iter().filter_map(|v| v[key].as_u64()).sum()
}

/// The worst of the processes' percentiles (each process sees a share of the sessions).
fn worst(vs: &[Value], key: &str, p: &str) -> u64 {
    vs.iter()
        .filter_map(|v| v[key][p].as_u64())
        .max()
        .unwrap_or(0)
}

fn port(n: u16) -> u16 {
    20_000 + (std::process::id() % 1000) as u16 * 10 + n
}

fn data_dir(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("coterie-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

fn sqlite_args(dir: &std::path::Path) -> Vec<String> {
    vec![
        "--data-dir".into(),
        dir.display().to_string(),
        "--rate-limits".into(),
        "off".into(),
        "--argon2-memory-kib".into(),
        "64".into(),
        "--unfurl".into(),
        "off".into(),
    ]
}

fn psql(db_url: &str, sql: &str) -> anyhow::Result<()> {
    let s = Command::new("psql")
        .args([db_url, "-q", "-c", sql])
        .stdout(Stdio::null())
        .status()?;
    if !s.success() {
        bail!("psql: {sql}");
    }
    Ok(())
}

/// A fresh PostgreSQL database for one server; returns its URL.
fn fresh_pg(admin: &str, name: &str) -> anyhow::Result<String> {
    psql(admin, &format!("drop database if exists {name}"))?;
    psql(admin, &format!("create database {name}"))?;
    Ok(format!(
        "{}/{name}",
        admin.rsplit_once('/').map_or(admin, |(b, _)| b)
    ))
}

/// M9 and M10.
fn startup(runs: usize) -> anyhow::Result<Value> {
    let mut starts = vec![];
    let mut rss = vec![];
    for i in 0..runs {
        let dir = data_dir(&format!("cold{i}"))?;
        let (s, up) = Server::start(port(1), &sqlite_args(&dir))?;
        starts.push(up.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(500));
        rss.push(usage(s.pid()).1 as f64 / 1024.0);
        s.stop();
        let _ = std::fs::remove_dir_all(dir);
    }
    let size = std::fs::metadata(SERVER)?.len() as f64 / 1e6;
    Ok(json!({
        "M9_cold_start_ms": median(starts.clone()), "M9_runs_ms": starts,
        "M10_binary_mb": size, "M10_idle_rss_mib": median(rss),
    }))
}

/// M3 with `listeners` sessions: three windows of sends at 50/s; medians of their percentiles.
fn latency(
    send_url: &str,
    addr_for: &dyn Fn(usize) -> SocketAddr,
    setup: &str,
    listeners: usize,
    nodes: usize,
    repeats: usize,
) -> anyhow::Result<Value> {
    let per = listeners.div_ceil(nodes);
    let mut procs = vec![];
    for n in 0..nodes {
        let from = n * per;
        let p = Sessions::start(addr_for(n), setup, from, per.min(listeners - from), &[])?;
        procs.push(p);
    }
    for p in &procs {
        p.next(Duration::from_secs(120))?;
    }
    let (mut p50, mut p99, mut http99, mut http50, mut late99) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..repeats.max(3) {
        for p in &mut procs {
            p.command("reset")?;
        }
        let sent = loadgen(&[
            "send",
            "--url",
            send_url,
            "--setup",
            setup,
            "--rate",
            "50",
            "--seconds",
            "4",
        ])?;
        std::thread::sleep(Duration::from_millis(500));
        let reports: Vec<Value> = procs
            .iter_mut()
            .map(Sessions::report)
            .collect::<anyhow::Result<_>>()?;
        p50.push(worst(&reports, "latency_us", "p50") as f64 / 1000.0);
        p99.push(worst(&reports, "latency_us", "p99") as f64 / 1000.0);
        http99.push(sent["http_us"]["p99"].as_f64().unwrap_or(0.0) / 1000.0);
        http50.push(sent["http_us"]["p50"].as_f64().unwrap_or(0.0) / 1000.0);
        late99.push(sent["late_us"]["p99"].as_f64().unwrap_or(0.0) / 1000.0);
    }
    for p in procs {
        p.quit();
    }
    Ok(
        json!({"listeners": listeners, "rate_per_s": 50, "p50_ms": median(p50.clone()), "p99_ms": median(p99.clone()),
        "windows_p50_ms": p50, "windows_p99_ms": p99, "send_http_p50_ms": median(http50), "send_http_p99_ms": median(http99),
        "sender_late_p99_ms": median(late99)}),
    )
}

/// M2: steps of send rates to a channel every session listens to; each step's deliveries/s,
/// latency and server CPU per delivery.
fn fanout(
    send_url: &str,
    procs: &mut [Sessions],
    pids: &[u32],
    setup: &str,
    sz: &Sizes,
) -> anyhow::Result<Value> {
    let mut steps = vec![];
    let mut best = json!(null);
    for &rate in sz.m2_rates {
        for p in procs.iter_mut() {
            p.command("reset")?;
        }
        let cpu0: f64 = pids.iter().map(|p| usage(*p).0).sum();
        let gen_cpu =
            |procs: &[Sessions]| -> f64 { procs.iter().map(|p| usage(p.child.id()).0).sum() };
        let gen0 = gen_cpu(procs);
        let t = Instant::now();
        let rate_s = rate.to_string();
        let secs = sz.m2_step.to_string();
        loadgen(&[
            "send",
            "--url",
            send_url,
            "--setup",
            setup,
            "--rate",
            &rate_s,
            "--seconds",
            &secs,
        ])?;
        // Let the last deliveries arrive (they count against the window they were sent in).
        std::thread::sleep(Duration::from_millis(300));
        let reports: Vec<Value> = procs
            .iter_mut()
            .map(Sessions::report)
            .collect::<anyhow::Result<_>>()?;
        let window = t.elapsed().as_secs_f64();
        let cpu = pids.iter().map(|p| usage(*p).0).sum::<f64>() - cpu0;
        // The receiving clients share the cores: their CPU is reported beside the server's.
        let clients = gen_cpu(procs) - gen0;
        let deliveries = sum(&reports, "deliveries");
        let per = |cpu: f64| {
            if deliveries > 0 {
                cpu * 1e6 / deliveries as f64
            } else {
                0.0
            }
        };
        let listeners = sum(&reports, "ready");
        let expected = (rate * sz.m2_step).round() as u64 * listeners;
        let p99 = worst(&reports, "latency_us", "p99") as f64 / 1000.0;
        let step = json!({
            "rate_per_s": rate, "listeners": listeners, "deliveries": deliveries, "expected": expected,
            "deliveries_per_s": deliveries as f64 / sz.m2_step,
            "p50_ms": worst(&reports, "latency_us", "p50") as f64 / 1000.0, "p99_ms": p99,
            "server_cpu_us_per_delivery": per(cpu), "clients_cpu_us_per_delivery": per(clients),
            "window_s": window,
        });
        eprintln!("    M2 step: {step}");
        let complete = deliveries * 100 >= expected * 99;
        if p99 <= 250.0 && complete {
            best = step.clone();
        }
        steps.push(step);
        if p99 > 1000.0 || !complete {
            break;
        }
    }
    Ok(json!({"best": best, "steps": steps}))
}

/// One community of `sz.members` members and 20 channels on `server`; returns the setup file's
/// path (for the load generator's session processes) and what setup reported.
fn community(
    server: &Server,
    dir: &std::path::Path,
    sz: &Sizes,
) -> anyhow::Result<(String, Value)> {
    let setup = dir.join("setup.json").display().to_string();
    eprintln!("  setting up {} members", sz.members);
    let made = loadgen(&[
        "setup",
        "--url",
        &server.url(),
        "--members",
        &sz.members.to_string(),
        "--channels",
        "20",
        "--out",
        &setup,
    ])?;
    Ok((setup, made))
}

/// M1: the server's RSS before and after `sz.m1_sessions` sessions identified and then sat idle
/// for `sz.m1_settle`; returns the (still connected) session processes for M2.
fn idle_sessions(
    server: &Server,
    setup: &str,
    sz: &Sizes,
) -> anyhow::Result<(Vec<Sessions>, Value)> {
    let (_, rss0) = usage(server.pid());
    eprintln!("  M1: {} identified sessions", sz.m1_sessions);
    let t = Instant::now();
    let (mut procs, ready) = sessions(server.addr, setup, sz.m1_sessions, 5_000, &[])?;
    let connect_s = t.elapsed().as_secs_f64();
    std::thread::sleep(sz.m1_settle);
    let (_, rss1) = usage(server.pid());
    let sockets = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    let m1 = json!({
        "sessions": sum(&procs.iter_mut().map(Sessions::report).collect::<anyhow::Result<Vec<_>>>()?, "ready"),
        "rss_before_mib": rss0 as f64 / 1024.0, "rss_after_mib": rss1 as f64 / 1024.0,
        "kb_per_session": (rss1.saturating_sub(rss0)) as f64 * 1.024 / sz.m1_sessions as f64,
        "connect_and_identify_s": connect_s, "ready": ready, "settle_s": sz.m1_settle.as_secs(),
        "sockstat": sockets.lines().find(|l| l.starts_with("TCP:")).unwrap_or_default(),
    });
    eprintln!("    {m1}");
    Ok((procs, m1))
}

/// M1, M2, M3, M7 on one SQLite node.
fn single_node(sz: &Sizes) -> anyhow::Result<Value> {
    let dir = data_dir("single")?;
    let (server, _) = Server::start(port(2), &sqlite_args(&dir))?;
    let (setup, made) = community(&server, &dir, sz)?;
    let addr = server.addr;
    eprintln!("  M3: send-to-receive latency, 100 listeners");
    let m3 = latency(&server.url(), &|_| addr, &setup, 100, 1, sz.repeats)?;
    std::thread::sleep(Duration::from_secs(2));
    let (mut procs, m1) = idle_sessions(&server, &setup, sz)?;
    eprintln!("  M2: fan-out to {} members", sz.m1_sessions);
    let m2 = fanout(&server.url(), &mut procs, &[server.pid()], &setup, sz)?;
    for p in procs {
        p.quit();
    }
    eprintln!("  M7: reconnect storm of {} sessions", sz.m7_sessions);
    let m7 = storm(server, &setup, sz.m7_sessions)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({"setup": made, "M1": m1, "M2": m2, "M3": m3, "M7": m7}))
}

/// One metric alone (`cargo xtask bench --only m2|m3|m7`): a fresh SQLite node and community, then
/// idle sessions and fan-out (M1, then the M2 steps on the same sessions), send → receive (100
/// listeners, five windows) or the reconnect storm. Prints the figures; bench/results.json (the
/// whole suite's record) is left as it is.
pub fn single(metric: &str, quick: bool) -> anyhow::Result<()> {
    let sz = if quick { &QUICK } else { &FULL };
    let dir = data_dir(metric)?;
    let (server, _) = Server::start(port(2), &sqlite_args(&dir))?;
    let (setup, _) = community(&server, &dir, sz)?;
    let figures = match metric {
        "m2" => {
            let (mut procs, m1) = idle_sessions(&server, &setup, sz)?;
            eprintln!("  M2: fan-out to {} members", sz.m1_sessions);
            let m2 = fanout(&server.url(), &mut procs, &[server.pid()], &setup, sz)?;
            for p in procs {
                p.quit();
            }
            server.stop();
            json!({"M1": m1, "M2": m2})
        }
        "m3" => {
            let addr = server.addr;
            let m3 = latency(&server.url(), &|_| addr, &setup, 100, 1, 5)?;
            server.stop();
            json!({"M3": m3})
        }
        _ => {
            eprintln!("  M7: reconnect storm of {} sessions", sz.m7_sessions);
            json!({"M7": storm(server, &setup, sz.m7_sessions)?})
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = figures;
    out["commit"] = json!(commit());
    println!("{out}");
    Ok(())
}

/// M4 alone (`cargo xtask bench --only m4`): prints the figures, leaves bench/results.json as it is.
pub fn persisted_only(quick: bool, pg: Option<&str>) -> anyhow::Result<()> {
    let sz = if quick { &QUICK } else { &FULL };
    let m4 = persisted(sz, pg)?;
    println!("{}", json!({"commit": commit(), "M4": m4}));
    Ok(())
}

/// M7: every session connected, the server restarted; time from the new process's exec until
/// every session has identified again and received READY.
fn storm(server: Server, setup: &str, count: usize) -> anyhow::Result<Value> {
    let addr = server.addr;
    let args = server.args.clone();
    let (mut procs, _) = sessions(
        addr,
        setup,
        count,
        7_500,
        &["--reconnect", "--concurrency", "2000"],
    )?;
    let before = sum(
        &procs
            .iter_mut()
            .map(Sessions::report)
            .collect::<anyhow::Result<Vec<_>>>()?,
        "readies",
    );
    server.stop();
    let exec_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let t = Instant::now();
    let (server, _) = Server::start(addr.port(), &args)?;
    let mut reports;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        reports = procs
            .iter_mut()
            .map(Sessions::report)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let again = sum(&reports, "readies") - before;
        if again >= count as u64 || t.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let last = reports
        .iter()
        .filter_map(|r| r["last_ready_ms"].as_u64())
        .max()
        .unwrap_or(0);
    let again = sum(&reports, "readies") - before;
    let out = json!({
        "sessions": count, "identified_again": again,
        "all_ready_s": last.saturating_sub(exec_ms) as f64 / 1000.0,
        "ready_latency_p99_ms": worst(&reports, "ready_us", "p99") as f64 / 1000.0,
        "failed_attempts": sum(&reports, "failed"),
    });
    for p in procs {
        p.quit();
    }
    server.stop();
    Ok(out)
}

/// M4: accepted messages per second, 64 senders, on SQLite and PostgreSQL (median of runs).
fn persisted(sz: &Sizes, pg: Option<&str>) -> anyhow::Result<Value> {
    let mut out = json!({});
    let engines: &[&str] = if pg.is_some() {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    for engine in engines {
        let mut rates = vec![];
        let mut runs = vec![];
        for r in 0..sz.repeats {
            let dir = data_dir(&format!("m4-{engine}-{r}"))?;
            let mut args = sqlite_args(&dir);
            if let (&"postgres", Some(admin)) = (engine, pg) {
                let url = fresh_pg(admin, "coterie_bench_m4")?;
                args.extend(["--database-url".into(), url]);
            }
            let (server, _) = Server::start(port(3), &args)?;
            let setup = dir.join("setup.json").display().to_string();
            loadgen(&[
                "setup",
                "--url",
                &server.url(),
                "--members",
                "64",
                "--channels",
                "20",
                "--out",
                &setup,
            ])?;
            let cpu0 = usage(server.pid()).0;
            let v = loadgen(&[
                "persist",
                "--url",
                &server.url(),
                "--setup",
                &setup,
                "--senders",
                "64",
                "--seconds",
                &sz.m4_seconds.to_string(),
            ])?;
            let cpu = usage(server.pid()).0 - cpu0;
            let n = v["messages"].as_f64().unwrap_or(0.0);
            rates.push(v["per_second"].as_f64().unwrap_or(0.0));
            runs.push(json!({"per_second": v["per_second"], "latency_us": v["latency_us"], "errors": v["errors"],
                "server_cpu_us_per_message": if n > 0.0 { cpu * 1e6 / n } else { 0.0 }}));
            server.stop();
            let _ = std::fs::remove_dir_all(dir);
        }
        eprintln!("    M4 {engine}: {runs:?}");
        out[*engine] = json!({"per_second": median(rates), "runs": runs});
    }
    Ok(out)
}

/// M2 and M3 across two nodes (PostgreSQL + Redis): listeners split over both, sends to node A.
fn two_nodes(sz: &Sizes, admin: &str, redis: &str) -> anyhow::Result<Value> {
    let url = fresh_pg(admin, "coterie_bench_nodes")?;
    let _ = Command::new("redis-cli")
        .args(["-u", redis, "del", "coterie:events"])
        .status();
    let mut nodes = vec![];
    for n in 0..2u16 {
        let dir = data_dir(&format!("node{n}"))?;
        let mut args = sqlite_args(&dir);
        args.extend([
            "--database-url".into(),
            url.clone(),
            "--redis-url".into(),
            redis.into(),
            "--storage".into(),
            format!("file://{}", data_dir("shared-files")?.display()),
        ]);
        nodes.push(Server::start(port(4 + n), &args)?.0);
    }
    let setup = data_dir("nodes-setup")?
        .join("setup.json")
        .display()
        .to_string();
    let members = sz.two_node_listeners.max(100);
    loadgen(&[
        "setup",
        "--url",
        &nodes[0].url(),
        "--members",
        &members.to_string(),
        "--channels",
        "1",
        "--out",
        &setup,
    ])?;
    let addrs = [nodes[0].addr, nodes[1].addr];
    eprintln!("  two nodes, M3: 100 listeners split over both");
    let m3 = latency(
        &nodes[0].url(),
        &|n| addrs[n % 2],
        &setup,
        100,
        2,
        sz.repeats,
    )?;
    eprintln!(
        "  two nodes, M2: {} listeners split over both",
        sz.two_node_listeners
    );
    let half = sz.two_node_listeners / 2;
    let mut procs = vec![
        Sessions::start(addrs[0], &setup, 0, half, &[])?,
        Sessions::start(addrs[1], &setup, half, sz.two_node_listeners - half, &[])?,
    ];
    for p in &procs {
        p.next(Duration::from_secs(330))?;
    }
    let pids: Vec<u32> = nodes.iter().map(Server::pid).collect();
    let m2 = fanout(&nodes[0].url(), &mut procs, &pids, &setup, sz)?;
    for p in procs {
        p.quit();
    }
    for n in nodes {
        n.stop();
    }
    psql(admin, "drop database if exists coterie_bench_nodes")?;
    Ok(json!({"M2": m2, "M3": m3}))
}

fn commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    json!({
        "cpus": std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        "cpu": model,
        "memory": mem.lines().next().unwrap_or_default(),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    })
}

/// Runs the suite and writes bench/results.json and bench/results.md.
pub fn server_suite(quick: bool, pg: Option<&str>, redis: Option<&str>) -> anyhow::Result<()> {
    let sz = if quick { &QUICK } else { &FULL };
    eprintln!(
        "==> server benchmarks ({}; load generator and server share this machine)",
        if quick { "quick" } else { "full" }
    );
    let started = Instant::now();
    let start = startup(if quick { 3 } else { 7 })?;
    eprintln!("    {start}");
    let single = single_node(sz)?;
    eprintln!("  M4: persisted messages per second");
    let m4 = persisted(sz, pg)?;
    let nodes = match (pg, redis) {
        (Some(pg), Some(redis)) => two_nodes(sz, pg, redis)?,
        _ => json!(null),
    };
    let results = json!({
        "commit": commit(), "machine": machine(), "mode": if quick { "quick" } else { "full" },
        "date": String::from_utf8_lossy(&Command::new("date").arg("-u").arg("+%FT%TZ").output()?.stdout).trim(),
        "startup": start, "single_node": single, "M4": m4, "two_nodes": nodes,
        "duration_s": started.elapsed().as_secs(),
    });
    std::fs::write(
        "bench/results.json",
        serde_json::to_string_pretty(&results)? + "\n",
    )?;
    let md = table(&results);
    std::fs::write("bench/results.md", &md)?;
    println!("{md}");
    Ok(())
}

fn f(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
        None => "–".into(),
    }
}

fn table(r: &Value) -> String {
    let s = &r["single_node"];
    let t = &r["two_nodes"];
    let rows = [
        (
            "M1 memory per idle identified session",
            format!(
                "{} KB at {} sessions",
                f(&s["M1"]["kb_per_session"]),
                s["M1"]["sessions"]
            ),
            "≤ 10 KB at 10k",
        ),
        (
            "M2 fan-out (best step with p99 ≤ 250 ms)",
            format!(
                "{} deliveries/s to {} members, p99 {} ms, {} µs CPU/delivery",
                f(&s["M2"]["best"]["deliveries_per_s"]),
                s["M2"]["best"]["listeners"],
                f(&s["M2"]["best"]["p99_ms"]),
                f(&s["M2"]["best"]["server_cpu_us_per_delivery"])
            ),
            "≥ 300,000/s at 10k, p99 ≤ 250 ms",
        ),
        (
            "M3 send → receive, 100 listeners",
            format!(
                "p50 {} ms, p99 {} ms",
                f(&s["M3"]["p50_ms"]),
                f(&s["M3"]["p99_ms"])
            ),
            "p50 ≤ 3 ms, p99 ≤ 10 ms",
        ),
        (
            "M4 persisted messages/s, SQLite",
            f(&r["M4"]["sqlite"]["per_second"]),
            "≥ 10,000/s",
        ),
        (
            "M4 persisted messages/s, PostgreSQL",
            f(&r["M4"]["postgres"]["per_second"]),
            "≥ 8,000/s",
        ),
        (
            "M7 reconnect storm",
            format!(
                "{} sessions ready again {} s after restart ({} failed attempts)",
                s["M7"]["identified_again"],
                f(&s["M7"]["all_ready_s"]),
                s["M7"]["failed_attempts"]
            ),
            "15,000 in ≤ 5 s",
        ),
        (
            "M9 cold start",
            format!("{} ms", f(&r["startup"]["M9_cold_start_ms"])),
            "≤ 200 ms",
        ),
        (
            "M10 stripped binary / idle RSS",
            format!(
                "{} MB / {} MiB",
                f(&r["startup"]["M10_binary_mb"]),
                f(&r["startup"]["M10_idle_rss_mib"])
            ),
            "≤ 30 MB / ≤ 40 MB",
        ),
        (
            "M2 across two nodes",
            format!(
                "{} deliveries/s to {} members, p99 {} ms",
                f(&t["M2"]["best"]["deliveries_per_s"]),
                t["M2"]["best"]["listeners"],
                f(&t["M2"]["best"]["p99_ms"])
            ),
            "—",
        ),
        (
            "M3 across two nodes, 100 listeners",
            format!(
                "p50 {} ms, p99 {} ms",
                f(&t["M3"]["p50_ms"]),
                f(&t["M3"]["p99_ms"])
            ),
            "—",
        ),
    ];
    let mut md = format!(
        "# Server benchmarks ({} run)\n\ncommit {}, {}, {} CPUs ({}), {}; server and load generator on the same machine, loopback.\n\n| metric | result | target |\n|---|---|---|\n",
        r["mode"].as_str().unwrap_or(""),
        r["commit"].as_str().unwrap_or(""),
        r["date"].as_str().unwrap_or(""),
        r["machine"]["cpus"],
        r["machine"]["cpu"].as_str().unwrap_or(""),
        r["machine"]["kernel"].as_str().unwrap_or(""),
    );
    for (m, v, target) in rows {
        md.push_str(&format!("| {m} | {v} | {target} |\n"));
    }
    md
}
