// Web client benchmark: app-shell first paint, and frame times while scrolling back through
// 5,000 messages (virtualised list, loading history as it goes). Figures, not pass/fail.
// usage: node e2e/bench.mjs path/to/coterie [messages]
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, statSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BIN = process.argv[2];
const N = Number(process.argv[3] ?? 5000);
// Pixels per frame: 100 px at 60 Hz is 6,000 px/s, a hard fling on a trackpad or a held key.
const STEP = Number(process.env.STEP ?? 100);
const PORT = 18950;
const BASE = `http://127.0.0.1:${PORT}`;
const server = spawn(BIN, ["serve", "--listen", `127.0.0.1:${PORT}`, "--data-dir", mkdtempSync(join(tmpdir(), "coterie-bench-")), "--rate-limits", "off", "--argon2-memory-kib", "1024"], { stdio: "ignore" });
const api = async (method, path, token, body) => {
  const r = await fetch(`${BASE}/api/v10${path}`, { method, headers: { "Content-Type": "application/json", ...(token ? { Authorization: token } : {}) }, body: body && JSON.stringify(body) });
  return r.status === 204 ? null : r.json();
};
try {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`${BASE}/healthz`)).ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  const { token } = await api("POST", "/auth/register", null, { username: "bench", password: "correct horse battery" });
  const g = await api("POST", "/guilds", token, { name: "Bench" });
  const ch = g.system_channel_id;
  const words = "the quick brown fox jumps over a lazy dog while **bold** claims and `code` and links https://example.com appear".split(" ");
  let sent = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (sent < N) {
      const i = sent++;
      const len = 3 + (i * 7) % 30;
      await api("POST", `/channels/${ch}/messages`, token, { content: Array.from({ length: len }, (_, k) => words[(i + k) % words.length]).join(" ") + (i % 9 === 0 ? "\nsecond line" : "") });
    }
  }));
  const seedMs = Date.now() - t0;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"] });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${BASE}/login`);
  await page.evaluate((t) => localStorage.setItem("coterie.token", t), token);
  const paints = [];
  for (let run = 0; run < 5; run++) {
    await page.goto(`${BASE}/channels/${g.id}/${ch}`);
    await page.locator(".msg").first().waitFor();
    paints.push(await page.evaluate(() => ({
      fcp: performance.getEntriesByType("paint").find((p) => p.name === "first-contentful-paint")?.startTime ?? null,
      messages: performance.now(),
    })));
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const scroll = await page.evaluate(async ([total, STEP]) => {
    const el = document.querySelector(".messages");
    const frames = [];
    let maxRows = 0;
    let last = performance.now();
    const deadline = last + 120_000;
    let loaded = 0;
    await new Promise((resolve) => {
      const tick = (now) => {
        frames.push(now - last);
        last = now;
        el.scrollTop = Math.max(0, el.scrollTop - STEP);
        maxRows = Math.max(maxRows, document.querySelectorAll(".msg, .system").length);
        loaded = document.querySelector(".messages .beginning") ? total : loaded;
        if ((el.scrollTop === 0 && loaded === total) || now > deadline) resolve();
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    frames.shift();
    const stats = (fs) => {
      const sorted = [...fs].sort((a, b) => a - b);
      const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
      const avg = fs.reduce((a, b) => a + b, 0) / fs.length;
      // A frame counts as dropped when it took longer than 1.5 vsync intervals (25 ms at 60 Hz).
      return { frames: fs.length, avg_fps: 1000 / avg, p50_ms: pct(0.5), p95_ms: pct(0.95), p99_ms: pct(0.99), dropped_frames: fs.filter((f) => f > 25).length / fs.length };
    };
    const loadingPhase = stats(frames);
    // Then scroll down through everything that is loaded at the same speed.
    const down = [];
    last = performance.now();
    await new Promise((resolve) => {
      const tick = (now) => {
        down.push(now - last);
        last = now;
        el.scrollTop += STEP;
        maxRows = Math.max(maxRows, document.querySelectorAll(".msg, .system").length);
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 2 || now > deadline + 120_000) resolve();
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    down.shift();
    const pages = performance.getEntriesByType("resource").filter((e) => e.name.includes("/messages?limit=50&before="));
    const sortedDur = pages.map((e) => e.duration).sort((a, b) => a - b);
    const gaps = pages.slice(1).map((e, i) => e.startTime - pages[i].responseEnd).sort((a, b) => a - b);
    return { history_pages: pages.length, history_fetch_ms_median: sortedDur[Math.floor(sortedDur.length / 2)], gap_between_pages_ms_median: gaps[Math.floor(gaps.length / 2)], loading_older_while_scrolling_up: loadingPhase, scrolling_down_through_all: stats(down), max_rendered_rows: maxRows, reached_start: loaded === total, scroll_height_px: el.scrollHeight };
  }, [N, STEP]);
  await browser.close();
  const dist = join(new URL("..", import.meta.url).pathname, "dist/assets");
  const js = readdirSync(dist).filter((f) => f.endsWith(".js"));
  const bundleGzip = js.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f))).length, 0);
  const result = {
    messages: N,
    scroll_px_per_frame: STEP,
    seed_seconds: seedMs / 1000,
    first_contentful_paint_ms_median: med(paints.map((p) => p.fcp)),
    first_messages_shown_ms_median: med(paints.map((p) => p.messages)),
    js_bundle_gzip_bytes: bundleGzip,
    js_bundle_bytes: js.reduce((n, f) => n + statSync(join(dist, f)).size, 0),
    scroll,
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(new URL("../../bench/web-results.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  server.kill();
}
