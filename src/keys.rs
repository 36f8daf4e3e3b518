//! The server secret and what is derived from it: CSRF tags and tracking tokens.
//! Only digests of tracking tokens are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Keys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

impl Keys {
    pub fn new(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    fn mac(&self, purpose: &str, parts: &[&str]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(b"\0");
            mac.update(part.as_bytes());
        }
        mac
    }

    fn tag(&self, purpose: &str, parts: &[&str]) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, parts).finalize().into_bytes())
    }

    /// The case's tracking token (256 bits), derived from the form's one-time key, so a
    /// resubmitted form leads back to the same receipt without the token being stored.
    pub fn tracking_token(&self, submission_key: &str) -> String {
        self.tag("tracking-token", &[submission_key])
    }

    /// Key material for the session cookie's signing and encryption (32 bytes).
    pub fn session_key_material(&self) -> Vec<u8> {
        self.mac("session-cookie", &[])
            .finalize()
            .into_bytes()
            .to_vec()
    }

    /// Binds a form's one-time key to the browser's CSRF cookie.
    pub fn csrf_tag(&self, browser_id: &str, form_key: &str) -> String {
        self.tag("csrf", &[browser_id, form_key])
    }

    pub fn verify_csrf_tag(&self, browser_id: &str, form_key: &str, tag: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        // Constant-time comparison.
        self.mac("csrf", &[browser_id, form_key])
            .verify_slice(&tag)
            .is_ok()
    }
}

/// 128 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A tracking token not derived from any form (256 bits, as the derived ones): the link
/// mailed when an appellant asks for theirs again.
pub fn random_tracking_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new API key: `ad_` and 256 random bits, URL-safe. Shown once; only its `digest` is kept.
pub fn new_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("ad_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A fresh server secret (256 bits).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a presented secret (a bearer token) is the configured one, in a time that
/// does not depend on where they differ: both are hashed first, then compared whole.
pub fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (Sha256::digest(presented), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

/// What the database keeps instead of a token.
pub fn digest(value: &str) -> String {
    sha256_hex(value.as_bytes())
}

/// SHA-256 in lower-case hex: how stored contents are keyed.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex, in one allocation (a `format!` per byte was 2.6% of the tracking
/// page, whose token is digested on every request).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tag_verifies_only_for_its_browser_and_form() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let tag = keys.csrf_tag("browser-a", "form-1");
        assert!(keys.verify_csrf_tag("browser-a", "form-1", &tag));
        assert!(!keys.verify_csrf_tag("browser-b", "form-1", &tag));
        assert!(!keys.verify_csrf_tag("browser-a", "form-2", &tag));
        assert!(!keys.verify_csrf_tag("browser-a", "form-1", "not base64!"));
        let other = Keys::new(b"another secret, another server!!".to_vec());
        assert!(!other.verify_csrf_tag("browser-a", "form-1", &tag));
    }

    #[test]
    fn digests_are_lower_case_hex_of_sha256() {
        // FIPS 180-2's "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0x00, 0x0f, 0xf0, 0xff]), "000ff0ff");
    }

    #[test]
    fn tracking_tokens_are_stable_per_form_and_distinct_across_forms() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef".to_vec());
        assert_eq!(keys.tracking_token("k1"), keys.tracking_token("k1"));
        assert_ne!(keys.tracking_token("k1"), keys.tracking_token("k2"));
        assert!(keys.tracking_token("k1").len() >= 43, "256 bits in base64");
        assert_ne!(random_token(), random_token());
        assert_eq!(digest("abc").len(), 64);
    }

    #[test]
    fn a_bearer_token_matches_only_itself() {
        assert!(same_secret("s3cret-token", "s3cret-token"));
        assert!(!same_secret("s3cret-tokem", "s3cret-token"));
        assert!(!same_secret("", "s3cret-token"));
    }
}
