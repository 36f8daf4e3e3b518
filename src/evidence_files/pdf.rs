//! PDFs are stored as sent and only ever served as downloads in a sandbox, so the check is only
//! that the file is shaped like a whole PDF: a header with a version, and an end-of-file marker.

/// Writers may append a little after `%%EOF` (a newline, padding); readers look this far back.
const EOF_WINDOW: usize = 1024;

pub(crate) fn looks_whole(bytes: &[u8]) -> bool {
    header_has_version(bytes) && ends_like_pdf(bytes)
}

/// `%PDF-1.x` or `%PDF-2.x`.
fn header_has_version(bytes: &[u8]) -> bool {
    matches!(bytes, [b'%', b'P', b'D', b'F', b'-', b'1' | b'2', b'.', d, ..] if d.is_ascii_digit())
}

/// An upload cut short loses its `%%EOF`.
fn ends_like_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(EOF_WINDOW)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_pdf_passes() {
        let receipt = include_bytes!("../../tests/fixtures/e-receipt.pdf");
        assert!(looks_whole(receipt));
        assert!(looks_whole(b"%PDF-2.0\n...\n%%EOF\n\0\0"));
    }

    #[test]
    fn headers_without_a_version_or_cut_files_fail() {
        let receipt = include_bytes!("../../tests/fixtures/e-receipt.pdf");
        assert!(!looks_whole(&receipt[..receipt.len() - 10]));
        assert!(!looks_whole(b"%PDF-\n%%EOF"));
        assert!(!looks_whole(b"%PDF-9.1\n%%EOF"));
        assert!(!looks_whole(b"%PDF-1.4"));
        let far = [&b"%PDF-1.4\n%%EOF"[..], &[b' '; EOF_WINDOW]].concat();
        assert!(!looks_whole(&far));
    }
}
