//! Evidence files: what an uploaded file is, and the clean form in which it may be stored.
//!
//! [`inspect`] is the one entry point. It is CPU-bound and may hold up to
//! [`IMAGE_MAX_PIXEL_BYTES`](crate::domain::policy::IMAGE_MAX_PIXEL_BYTES) of pixels: run it off
//! the async workers, at most
//! [`IMAGE_DECODES_AT_ONCE`](crate::domain::policy::IMAGE_DECODES_AT_ONCE) at a time.

mod jpeg;
mod kind;
mod name;
mod pdf;
mod picture;
mod refusal;

#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

use crate::domain::policy::EVIDENCE_FILE_MAX_BYTES;
pub use kind::FileKind;
use kind::{Sniffed, sniff};
pub use name::{NAME_MAX_CHARS, sanitize_name};
pub use refusal::FileRefusal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// JPEG, or PNG when the image has transparency.
    pub kind: FileKind,
    pub bytes: Vec<u8>,
    pub size: Size,
}

/// A file fit to store: the bytes to keep (re-encoded for images, as sent for PDFs).
#[derive(Clone, PartialEq, Eq)]
pub struct CleanFile {
    /// The sender's name made displayable; may be empty.
    pub name: String,
    /// The kind of [`Self::bytes`] (a WebP is stored as PNG).
    pub kind: FileKind,
    pub bytes: Vec<u8>,
    /// Of [`Self::bytes`]: the storage key.
    pub sha256: [u8; 32],
    /// Images only, upright.
    pub size: Option<Size>,
    /// Images only.
    pub thumbnail: Option<Thumbnail>,
}

// Bytes are summarised: a log line or a failed assertion must not print megabytes.
impl std::fmt::Debug for Thumbnail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Thumbnail")
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .field("size", &self.size)
            .finish()
    }
}

impl std::fmt::Debug for CleanFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CleanFile")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .field("sha256", &self.sha256_hex())
            .field("size", &self.size)
            .field("thumbnail", &self.thumbnail)
            .finish()
    }
}

impl CleanFile {
    pub fn sha256_hex(&self) -> String {
        crate::keys::hex(&self.sha256)
    }
}

/// Decides from the bytes alone what the file is, and returns the form to store or why not.
pub fn inspect(name: &str, bytes: &[u8]) -> Result<CleanFile, FileRefusal> {
    let name = sanitize_name(name);
    let len = bytes.len() as u64;
    if len == 0 {
        return Err(FileRefusal::Empty { name });
    }
    if len > EVIDENCE_FILE_MAX_BYTES {
        return Err(FileRefusal::TooLarge { name, bytes: len });
    }
    let kind = match sniff(bytes) {
        Sniffed::Accepted(kind) => kind,
        Sniffed::Heic => return Err(FileRefusal::Heic { name }),
        Sniffed::Other => return Err(FileRefusal::Unaccepted { name }),
    };
    if kind == FileKind::Pdf {
        if !pdf::looks_whole(bytes) {
            return Err(FileRefusal::Unreadable { name });
        }
        return Ok(finish(name, kind, bytes.to_vec(), None, None));
    }
    match picture::clean(kind, bytes) {
        Ok(clean) => Ok(finish(
            name,
            clean.kind,
            clean.bytes,
            Some(clean.size),
            Some(clean.thumbnail),
        )),
        Err(picture::Failure::Unreadable) => Err(FileRefusal::Unreadable { name }),
        Err(picture::Failure::TooManyPixels(Size { width, height })) => {
            Err(FileRefusal::TooManyPixels {
                name,
                width,
                height,
            })
        }
    }
}

fn finish(
    name: String,
    kind: FileKind,
    bytes: Vec<u8>,
    size: Option<Size>,
    thumbnail: Option<Thumbnail>,
) -> CleanFile {
    let sha256 = Sha256::digest(&bytes).into();
    CleanFile {
        name,
        kind,
        bytes,
        sha256,
        size,
        thumbnail,
    }
}
