//! Bounded image decoding: dimensions are read from the header and checked before any pixel is
//! decoded, and the decoder runs under allocation limits, so an image bomb is refused instead of
//! exhausting memory. Produces thumbnails and the square PNGs of avatars, icons and emoji.

use bytes::Bytes;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Widest or tallest image accepted.
pub const MAX_SIDE: u32 = 16_384;
/// Most pixels accepted (a 48-megapixel phone photo fits).
pub const MAX_PIXELS: u64 = 64_000_000;
/// Longest side of a thumbnail; smaller images get none.
pub const THUMB: u32 = 512;
/// Decoder allocations allowed per image.
const MAX_ALLOC: u64 = 320 << 20;

/// Whether a sniffed type is an image Coterie decodes.
#[must_use]
pub fn is_image(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, String> {
    let mut r = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    if r.format().is_none() {
        return Err("not an image".into());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    r.limits(limits);
    Ok(r)
}

/// Reads the header only and refuses images too large to decode.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    let (w, h) = reader(bytes)?
        .into_dimensions()
        .map_err(|e| format!("image could not be read ({e})"))?;
    if w == 0 || h == 0 {
        return Err("the image is empty".into());
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "the image is {w}×{h}; at most {MAX_SIDE} pixels a side and {} megapixels",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok((w, h))
}

/// Decodes under the limits, upright (EXIF orientation applied).
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    dimensions(bytes)?;
    let mut dec = reader(bytes)?
        .into_decoder()
        .map_err(|e| format!("image could not be read ({e})"))?;
    let orientation = dec.orientation().ok();
    let mut img =
        DynamicImage::from_decoder(dec).map_err(|e| format!("image could not be decoded ({e})"))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok(img)
}

fn encode(img: &DynamicImage) -> Result<Bytes, String> {
    let mut out = Cursor::new(Vec::new());
    if img.color().has_alpha() {
        img.write_to(&mut out, ImageFormat::Png)
            .map_err(|e| e.to_string())?;
    } else {
        let rgb = img.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(&rgb)
            .map_err(|e| e.to_string())?;
    }
    Ok(Bytes::from(out.into_inner()))
}

/// Width and height as displayed, and a thumbnail when either side exceeds [`THUMB`] (JPEG, or
/// PNG for images with transparency).
pub fn measure_and_thumbnail(bytes: &[u8]) -> Result<((u32, u32), Option<Bytes>), String> {
    // Every image is decoded (a corrupt one is refused); small ones are served as they are.
    let img = decode(bytes)?;
    let dims = (img.width(), img.height());
    let thumb = if dims.0 > THUMB || dims.1 > THUMB {
        Some(encode(&img.thumbnail(THUMB, THUMB))?)
    } else {
        None
    };
    Ok((dims, thumb))
}

/// An image made square-bounded for avatars, icons and emoji: at most `side` pixels a side,
/// re-encoded as PNG (which also drops whatever else the file carried).
pub fn normalize(bytes: &[u8], side: u32) -> Result<Bytes, String> {
    let img = decode(bytes)?;
    let img = if img.width() > side || img.height() > side {
        img.resize(side, side, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(Bytes::from(out.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgb8(w, h);
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap_or_default();
        out.into_inner()
    }

    /// A PNG header claiming `w`×`h` with almost no data: the shape of a decompression bomb.
    pub(crate) fn bomb(w: u32, h: u32) -> Vec<u8> {
        let mut b = png(1, 1);
        b[16..20].copy_from_slice(&w.to_be_bytes());
        b[20..24].copy_from_slice(&h.to_be_bytes());
        b
    }

    #[test]
    fn large_images_get_a_thumbnail_small_ones_do_not() {
        let ((w, h), t) = measure_and_thumbnail(&png(1200, 600)).unwrap_or(((0, 0), None));
        assert_eq!((w, h), (1200, 600));
        let t = t.unwrap_or_default();
        let (tw, th) = dimensions(&t).unwrap_or((0, 0));
        assert_eq!((tw, th), (512, 256));
        let ((w, h), t) = measure_and_thumbnail(&png(40, 30)).unwrap_or(((0, 0), None));
        assert_eq!((w, h, t.is_none()), (40, 30, true));
    }

    #[test]
    fn bombs_and_garbage_are_refused_before_decoding() {
        assert!(dimensions(&bomb(100_000, 100_000)).is_err());
        assert!(dimensions(&bomb(16_000, 16_000)).is_err(), "256 megapixels");
        assert!(
            measure_and_thumbnail(&bomb(4_000, 4_000)).is_err(),
            "truncated data"
        );
        assert!(measure_and_thumbnail(b"\x89PNG\r\n\x1a\nnope").is_err());
    }

    #[test]
    fn avatars_are_bounded_pngs() {
        let out = normalize(&png(2000, 1000), 1024).unwrap_or_default();
        assert_eq!(dimensions(&out).unwrap_or((0, 0)), (1024, 512));
    }
}
