//! Images are decoded within limits, turned upright and re-encoded: only pixels survive, so no
//! EXIF (GPS position, camera), XMP or text chunk leaves with a screenshot.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::error::ImageError;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{FileKind, Size, Thumbnail, jpeg};
use crate::domain::policy::{
    EVIDENCE_THUMBNAIL_MAX_SIDE_PX, IMAGE_MAX_PIXEL_BYTES, IMAGE_MAX_SIDE_PX,
};

/// Evidence must stay legible: at 90 re-encoding a phone JPEG loses nothing the eye can see.
const JPEG_QUALITY: u8 = 90;
const THUMBNAIL_JPEG_QUALITY: u8 = 80;

/// A clean image: its encoded bytes, kind and size, and its thumbnail.
pub(crate) struct Cleaned {
    pub kind: FileKind,
    pub bytes: Vec<u8>,
    pub size: Size,
    pub thumbnail: Thumbnail,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    TooManyPixels(Size),
    Unreadable,
}

impl From<ImageError> for Failure {
    fn from(_: ImageError) -> Self {
        Failure::Unreadable
    }
}

pub(crate) fn clean(kind: FileKind, bytes: &[u8]) -> Result<Cleaned, Failure> {
    let format = match kind {
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Png => ImageFormat::Png,
        FileKind::Webp => ImageFormat::WebP,
        FileKind::Pdf => return Err(Failure::Unreadable),
    };
    if kind == FileKind::Jpeg && !jpeg::reaches_end_of_image(bytes) {
        return Err(Failure::Unreadable);
    }
    let image = decode_upright(format, bytes)?;
    let size = Size {
        width: image.width(),
        height: image.height(),
    };
    let thumbnail = thumbnail(&image)?;
    // WebP becomes PNG: lossless, so a lossy WebP loses nothing more, and every browser shows it.
    let (kind, bytes) = match kind {
        FileKind::Jpeg => (FileKind::Jpeg, encode_jpeg(&image, JPEG_QUALITY)?),
        _ => (FileKind::Png, encode_png(&image)?),
    };
    Ok(Cleaned {
        kind,
        bytes,
        size,
        thumbnail,
    })
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(IMAGE_MAX_SIDE_PX);
    limits.max_image_height = Some(IMAGE_MAX_SIDE_PX);
    limits.max_alloc = Some(IMAGE_MAX_PIXEL_BYTES);
    limits
}

/// Everything is decided from the header before the pixel buffer is allocated: the side limit by
/// the decoder, the memory (the image, and the copy a quarter turn makes) here.
fn decode_upright(format: ImageFormat, bytes: &[u8]) -> Result<DynamicImage, Failure> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = match reader.into_decoder() {
        Ok(decoder) => decoder,
        Err(ImageError::Limits(_)) => {
            return Err(Failure::TooManyPixels(header_size(format, bytes)));
        }
        Err(_) => return Err(Failure::Unreadable),
    };
    let (width, height) = decoder.dimensions();
    let orientation = decoder.orientation()?;
    let copies = if turns_a_quarter(orientation) { 2 } else { 1 };
    let needed = decoder.total_bytes().saturating_mul(copies);
    if width == 0 || height == 0 {
        return Err(Failure::Unreadable);
    }
    if needed > IMAGE_MAX_PIXEL_BYTES {
        return Err(Failure::TooManyPixels(Size { width, height }));
    }
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Limits(_) => Failure::TooManyPixels(Size { width, height }),
        _ => Failure::Unreadable,
    })?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn turns_a_quarter(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The size a header claims, for the refusal message, read without the limits (no pixels are).
fn header_size(format: ImageFormat, bytes: &[u8]) -> Size {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    // The decoders read the header only (JPEG's also copies the input, at most 10 MiB).
    let (width, height) = reader.into_dimensions().unwrap_or((0, 0));
    Size { width, height }
}

fn thumbnail(image: &DynamicImage) -> Result<Thumbnail, Failure> {
    let side = EVIDENCE_THUMBNAIL_MAX_SIDE_PX;
    let small = if image.width() > side || image.height() > side {
        image.thumbnail(side, side)
    } else {
        image.clone()
    };
    let (kind, bytes) = if small.color().has_alpha() {
        (
            FileKind::Png,
            encode_png(&DynamicImage::ImageRgba8(small.to_rgba8()))?,
        )
    } else {
        (FileKind::Jpeg, encode_jpeg(&small, THUMBNAIL_JPEG_QUALITY)?)
    };
    Ok(Thumbnail {
        kind,
        bytes,
        size: Size {
            width: small.width(),
            height: small.height(),
        },
    })
}

/// The encoders write pixels only: no EXIF, XMP or ICC unless asked, and we never ask.
fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let encoder = JpegEncoder::new_with_quality(&mut out, quality);
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => {
            image.write_with_encoder(encoder)?
        }
        // A JPEG can decode with an alpha channel (rare Adobe files); JPEG cannot store one.
        other => DynamicImage::ImageRgb8(other.to_rgb8()).write_with_encoder(encoder)?,
    }
    Ok(out)
}

fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    let encoder =
        PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive);
    image.write_with_encoder(encoder)?;
    Ok(out)
}
