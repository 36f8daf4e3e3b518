//! The JPEG decoder is lenient: a file cut short decodes, its missing part filled with grey. An
//! upload cut short is not evidence, so the marker structure is walked up to the end-of-image.

/// True when the segments, and the entropy-coded data after each scan, reach an EOI marker.
pub(crate) fn reaches_end_of_image(bytes: &[u8]) -> bool {
    let len = bytes.len();
    let mut i = 2; // after SOI
    loop {
        if bytes.get(i) != Some(&0xFF) {
            return false;
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1; // fill bytes
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => continue, // markers without a length
            _ => {}
        }
        let Some(length) = bytes.get(i..i + 2) else {
            return false;
        };
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        if length < 2 || i + length > len {
            return false;
        }
        i += length;
        if marker == 0xDA {
            match end_of_scan(bytes, i) {
                Some(next_marker) => i = next_marker,
                None => return false,
            }
        }
    }
}

/// Where the marker after a scan's entropy-coded data starts: the first 0xFF not followed by a
/// stuffed 0x00, a restart marker, or another fill 0xFF.
fn end_of_scan(bytes: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    loop {
        j += bytes.get(j..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(j + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => j += 1,
            _ => return Some(j),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHOTO: &[u8] = include_bytes!("../../tests/fixtures/gps-photo.jpg");

    #[test]
    fn a_whole_jpeg_reaches_its_end() {
        assert!(reaches_end_of_image(PHOTO));
        // Phones append data after EOI (motion photos); that does not matter.
        assert!(reaches_end_of_image(&[PHOTO, b"trailer"].concat()));
    }

    #[test]
    fn a_cut_jpeg_does_not() {
        for keep in [3, 20, PHOTO.len() / 2, PHOTO.len() - 2, PHOTO.len() - 1] {
            assert!(!reaches_end_of_image(&PHOTO[..keep]), "{keep}");
        }
        assert!(!reaches_end_of_image(b"\xFF\xD8\xFF"));
        assert!(!reaches_end_of_image(b"\xFF\xD8\xFF\xE0\x00\x01"));
    }
}
