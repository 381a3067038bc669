//! Embeds the built web client (`web/dist`) into the binary, each file also gzip-compressed, with
//! a content hash for ETags. Without a build (plain `cargo test`), a placeholder page is embedded.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-changed=assets/index.html");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let mut list = Vec::new();
    if dist.join("index.html").exists() {
        files(&dist, &mut list);
    }
    let root = if list.is_empty() {
        manifest.join("assets")
    } else {
        dist.clone()
    };
    if list.is_empty() {
        list.push(root.join("index.html"));
    }
    list.sort();
    let mut code =
        String::from("/// Embedded web client files.\npub static FILES: &[Asset] = &[\n");
    for (i, f) in list.iter().enumerate() {
        let rel = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(f).unwrap_or_default();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = gz.write_all(&bytes);
        let gz = gz.finish().unwrap_or_default();
        let gz_path = out.join(format!("asset{i}.gz"));
        let _ = std::fs::write(&gz_path, &gz);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in &bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        let _ = writeln!(
            code,
            "    Asset {{ path: \"/{rel}\", mime: \"{}\", raw: include_bytes!({:?}), gz: include_bytes!({:?}), etag: \"\\\"{h:016x}\\\"\" }},",
            mime(&rel),
            f.display().to_string(),
            gz_path.display().to_string()
        );
    }
    code.push_str("];\n");
    let _ = std::fs::write(out.join("assets.rs"), code);
}
