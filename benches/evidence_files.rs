//! Evidence file inspection: the time to accept a phone screenshot, and the process's peak memory
//! while 8 inspections run at once (a filing's worth), for screenshots and for bombs.
//!
//! `cargo bench --bench evidence_files`. `BENCH_ROUNDS` sets the rounds (default 21).
//! Peak memory is VmHWM from /proc/self/status, reset between phases through /proc/self/clear_refs.

use std::io::Write;
use std::time::{Duration, Instant};

mod common;

use appealdesk::domain::policy::{IMAGE_DECODES_AT_ONCE, PROCESS_MEMORY_CAP_BYTES};
use appealdesk::evidence_files::{FileRefusal, inspect};
use common::{median, mib, reset_peak, status_kib};

const SCREENSHOT: &[u8] = include_bytes!("../tests/fixtures/screenshot-1170x2532.png");
const GPS_PHOTO: &[u8] = include_bytes!("../tests/fixtures/gps-photo.jpg");

fn time_inspections(name: &str, bytes: &[u8], rounds: usize) -> Duration {
    let times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let clean = inspect(name, bytes).expect("accepted");
            let took = start.elapsed();
            std::hint::black_box(clean);
            took
        })
        .collect();
    median(times)
}

/// Runs `IMAGE_DECODES_AT_ONCE` inspections on threads released together; returns the peak RSS.
fn peak_while_concurrent(bytes: &'static [u8], expect_ok: bool) -> (u64, u64, Duration) {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(IMAGE_DECODES_AT_ONCE));
    let reset = reset_peak();
    let before = status_kib("VmRSS:");
    let start = Instant::now();
    let threads: Vec<_> = (0..IMAGE_DECODES_AT_ONCE)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let result = inspect(&format!("upload-{i}.png"), bytes);
                assert_eq!(result.is_ok(), expect_ok, "{result:?}");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("inspection thread");
    }
    let took = start.elapsed();
    let peak = status_kib("VmHWM:");
    if !reset {
        println!("  (could not reset the peak; it covers the whole run so far)");
    }
    (before, peak, took)
}

/// A PNG bomb: 8000×8000 RGB of zeros, every row present (183 MiB decoded, ~190 KB on disk).
fn bomb() -> Vec<u8> {
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut crc = 0xFFFF_FFFF_u32;
        for &b in kind.iter().chain(data) {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        [
            &(data.len() as u32).to_be_bytes()[..],
            kind,
            data,
            &(!crc).to_be_bytes(),
        ]
        .concat()
    }
    let (width, height) = (8000_u32, 8000_u32);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0_u8; 1 + 3 * width as usize];
    for _ in 0..height {
        z.write_all(&row).expect("write to memory");
    }
    let idat = z.finish().expect("finish");
    let ihdr = [
        &width.to_be_bytes()[..],
        &height.to_be_bytes(),
        &[8, 2, 0, 0, 0],
    ]
    .concat();
    [
        &b"\x89PNG\r\n\x1a\n"[..],
        &chunk(b"IHDR", &ihdr),
        &chunk(b"IDAT", &idat),
        &chunk(b"IEND", b""),
    ]
    .concat()
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21)
        .max(1);
    let cap_mib = PROCESS_MEMORY_CAP_BYTES / (1024 * 1024);
    println!(
        "evidence_files bench: {rounds} rounds, {IMAGE_DECODES_AT_ONCE} at once, cap {cap_mib} MiB"
    );
    println!("RSS at start: {:.1} MiB", mib(status_kib("VmRSS:")));

    let bomb: &'static [u8] = Box::leak(bomb().into_boxed_slice());
    assert!(matches!(
        inspect("bomb.png", bomb),
        Err(FileRefusal::TooManyPixels { .. })
    ));
    let (before, bomb_peak, took) = peak_while_concurrent(bomb, false);
    println!(
        "{IMAGE_DECODES_AT_ONCE} bombs at once (8000×8000 PNG, {} B, 183 MiB each if decoded): RSS before {:.1} MiB, peak {:.1} MiB, {took:.2?}",
        bomb.len(),
        mib(before),
        mib(bomb_peak)
    );
    let clean = inspect("screenshot.png", SCREENSHOT).expect("accepted");
    let thumb = clean.thumbnail.as_ref().expect("thumbnail");
    println!(
        "screenshot 1170×2532 PNG: {} B in, {} B stored, thumbnail {}×{} {} {} B",
        SCREENSHOT.len(),
        clean.bytes.len(),
        thumb.size.width,
        thumb.size.height,
        thumb.kind.content_type(),
        thumb.bytes.len()
    );
    let screenshot = time_inspections("screenshot.png", SCREENSHOT, rounds);
    println!("inspect screenshot 1170×2532 PNG: median {screenshot:.2?}");
    let photo = time_inspections("photo.jpg", GPS_PHOTO, rounds);
    println!("inspect photo 800×600 JPEG with EXIF: median {photo:.2?}");

    let (before, peak, took) = peak_while_concurrent(SCREENSHOT, true);
    println!(
        "{IMAGE_DECODES_AT_ONCE} screenshots at once: RSS before {:.1} MiB, peak {:.1} MiB ({:.1} MiB over), {took:.2?}",
        mib(before),
        mib(peak),
        mib(peak.saturating_sub(before))
    );

    let ok = mib(peak.max(bomb_peak)) < cap_mib as f64 / 2.0;
    println!("peak under half the cap: {}", if ok { "yes" } else { "NO" });
}
