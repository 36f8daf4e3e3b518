//! What a file is, from its first bytes (magic numbers) only: a name or a declared type is a
//! claim the sender controls.

pub use crate::domain::evidence_file::FileKind;

/// What the first bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sniffed {
    Accepted(FileKind),
    /// HEIC/HEIF: an iPhone camera photo in its default format.
    Heic,
    Other,
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
/// SOI then the first marker's 0xFF.
const JPEG: &[u8] = b"\xFF\xD8\xFF";
/// `%PDF-` at offset 0. Readers tolerate junk in the first 1024 bytes; we do not, because that
/// junk is how an HTML/PDF polyglot is made, and e-receipts are generated files that start clean.
const PDF: &[u8] = b"%PDF-";
/// ISO BMFF major brands of HEIF images (ISO/IEC 23008-12).
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1",
];

pub(crate) fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(PNG) {
        Sniffed::Accepted(FileKind::Png)
    } else if bytes.starts_with(JPEG) {
        Sniffed::Accepted(FileKind::Jpeg)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Sniffed::Accepted(FileKind::Webp)
    } else if bytes.starts_with(PDF) {
        Sniffed::Accepted(FileKind::Pdf)
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && HEIF_BRANDS.iter().any(|b| &bytes[8..12] == *b)
    {
        Sniffed::Heic
    } else {
        Sniffed::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stored::Stored;
    use proptest::prelude::*;

    #[test]
    fn stored_form_round_trips() {
        for kind in [FileKind::Jpeg, FileKind::Png, FileKind::Webp, FileKind::Pdf] {
            assert_eq!(FileKind::from_stored(kind.stored()), Some(kind));
        }
        assert_eq!(FileKind::from_stored("image/png"), None);
        assert_eq!(FileKind::from_stored("PNG"), None);
        assert_eq!(FileKind::Pdf.content_type(), "application/pdf");
        assert!(!FileKind::Pdf.is_image() && FileKind::Webp.is_image());
    }

    #[test]
    fn kinds_come_from_magic_numbers() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Sniffed::Accepted(FileKind::Png)
        );
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Sniffed::Accepted(FileKind::Jpeg)
        );
        assert_eq!(
            sniff(b"RIFF\x24\0\0\0WEBPVP8L"),
            Sniffed::Accepted(FileKind::Webp)
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Accepted(FileKind::Pdf));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Sniffed::Heic);
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"), Sniffed::Heic);
    }

    #[test]
    fn lookalikes_are_other() {
        for bytes in [
            &b"<!DOCTYPE html><html><script>alert(1)</script>"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>",
            b"#!/bin/sh\nrm -rf /\n",
            b"\xEF\xBB\xBF%PDF-1.4", // BOM before the header
            b"<html>%PDF-1.4",       // polyglot prefix
            b"RIFF\0\0\0\0WAVEfmt ",
            b"\0\0\0\x1cftypavif\0\0\0\0",
            b"\0\0\0\x18ftypisom\0\0\0\0",
            b"GIF89a",
            b"\x89PNG\r\n",
            b"",
        ] {
            assert_eq!(sniff(bytes), Sniffed::Other, "{bytes:?}");
        }
    }

    proptest! {
        #[test]
        fn text_is_never_an_accepted_kind(text in "\\PC*") {
            prop_assume!(!text.starts_with("%PDF-"));
            prop_assert_eq!(sniff(text.as_bytes()), Sniffed::Other);
        }
    }
}
