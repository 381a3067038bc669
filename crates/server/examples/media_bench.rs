#![expect(clippy::expect_used, reason = "a benchmark fails loudly")]

//! File handling costs, for `cargo xtask bench`:
//! - thumbnail time for a 12-megapixel JPEG (4000×3000, photo-like noise): header probe, and
//!   decode + EXIF orientation + 512-pixel thumbnail + JPEG encode, median and p90 of 15 runs;
//! - upload throughput of 1 MB files through the HTTP API of a separately started release
//!   server (SQLite, files on the local disk): 4 clients × 50 messages with one file each.
//!
//! usage: media_bench [path/to/coterie]. Writes bench/media-results.json and prints a table.

use coterie_server::service::media::images;
use std::io::Cursor;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    let img = image::RgbImage::from_fn(w, h, |i, j| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = (x % 48) as u8;
        image::Rgb([
            ((i * 255 / w) as u8).saturating_add(n),
            ((j * 255 / h) as u8).saturating_add(n / 2),
            (((i + j) % 256) as u8).saturating_sub(n),
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&img)
        .expect("encode");
    out.into_inner()
}

fn thumbnails() -> serde_json::Value {
    let jpeg = photo_jpeg(4000, 3000);
    let mut probe = Vec::new();
    let mut full = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        images::dimensions(&jpeg).expect("dims");
        probe.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let (dims, thumb) = images::measure_and_thumbnail(&jpeg).expect("thumbnail");
        full.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(dims, (4000, 3000));
        assert!(thumb.is_some());
    }
    serde_json::json!({
        "jpeg_bytes": jpeg.len(),
        "megapixels": 12,
        "probe_ms_p50": percentile(&mut probe, 0.5),
        "thumbnail_ms_p50": percentile(&mut full, 0.5),
        "thumbnail_ms_p90": percentile(&mut full, 0.9),
    })
}

async fn uploads(bin: &str) -> serde_json::Value {
    let port = 18_900 + (std::process::id() % 90) as u16;
    let base = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("coterie-media-bench-{}", std::process::id()));
    let mut server = Command::new(bin)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--rate-limits",
            "off",
        ])
        .arg("--data-dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    coterie_server::service::unfurl::install_crypto();
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reg: serde_json::Value = http
        .post(format!("{base}/api/v10/auth/register"))
        .json(&serde_json::json!({"username": "bench", "password": "correct horse battery"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let token = reg["token"].as_str().expect("token").to_owned();
    let g: serde_json::Value = http
        .post(format!("{base}/api/v10/guilds"))
        .header("Authorization", &token)
        .json(&serde_json::json!({"name": "Bench"}))
        .send()
        .await
        .expect("guild")
        .json()
        .await
        .expect("json");
    let channel = g["system_channel_id"].as_str().expect("channel").to_owned();
    let mut payload = vec![0u8; 1 << 20];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for b in &mut payload {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let boundary = "bench-boundary-01";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{{\"content\":\"file\"}}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"data.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&payload);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let body = bytes::Bytes::from(body);
    let (clients, per_client) = (4usize, 50usize);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, body, token, url) = (
            http.clone(),
            body.clone(),
            token.clone(),
            format!("{base}/api/v10/channels/{channel}/messages"),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for _ in 0..per_client {
                let t = Instant::now();
                let r = http
                    .post(&url)
                    .header("Authorization", &token)
                    .header(
                        "Content-Type",
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body.clone())
                    .send()
                    .await
                    .expect("upload");
                assert!(r.status().is_success(), "upload failed: {}", r.status());
                r.bytes().await.expect("body");
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("client"));
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (clients * per_client) as f64;
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::json!({
        "files": n,
        "file_bytes": payload.len(),
        "clients": clients,
        "files_per_s": n / secs,
        "mb_per_s": n * payload.len() as f64 / secs / 1e6,
        "latency_ms_p50": percentile(&mut lat, 0.5),
        "latency_ms_p99": percentile(&mut lat, 0.99),
    })
}

#[tokio::main]
async fn main() {
    let bin = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release/coterie".into());
    let thumbs = thumbnails();
    let up = uploads(&bin).await;
    let out = serde_json::json!({
        "machine": format!("{} cores", std::thread::available_parallelism().map_or(0, std::num::NonZero::get)),
        "thumbnail_12mp_jpeg": thumbs,
        "upload_1mb_files": up,
    });
    let _ = std::fs::create_dir_all("bench");
    std::fs::write(
        "bench/media-results.json",
        serde_json::to_string_pretty(&out).expect("json"),
    )
    .expect("write bench/media-results.json");
    println!("| metric | value |\n|---|---|");
    println!(
        "| 12 MP JPEG: header probe p50 | {:.2} ms |",
        thumbs["probe_ms_p50"].as_f64().unwrap_or(0.0)
    );
    println!(
        "| 12 MP JPEG: decode + thumbnail p50 / p90 | {:.0} / {:.0} ms |",
        thumbs["thumbnail_ms_p50"].as_f64().unwrap_or(0.0),
        thumbs["thumbnail_ms_p90"].as_f64().unwrap_or(0.0)
    );
    println!(
        "| 1 MB uploads ({} clients) | {:.0} files/s, {:.0} MB/s |",
        up["clients"],
        up["files_per_s"].as_f64().unwrap_or(0.0),
        up["mb_per_s"].as_f64().unwrap_or(0.0)
    );
    println!(
        "| 1 MB upload latency p50 / p99 | {:.1} / {:.1} ms |",
        up["latency_ms_p50"].as_f64().unwrap_or(0.0),
        up["latency_ms_p99"].as_f64().unwrap_or(0.0)
    );
}
