//! Where mail goes: an SMTP server (`SMTP_URL`), or `.eml` files in a folder so that a
//! developer's `cargo run` still shows every mail.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;

/// Longer than a healthy server ever takes; a batch of these must fit in the lease.
pub(crate) const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// A folder of `.eml` files, each written whole (under another name, then renamed)
    /// and readable by its owner alone (tracking links inside).
    Files(PathBuf),
}

/// Why a send failed, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            permanent: true,
            message: message.into(),
        }
    }

    fn transient(message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            message: message.into(),
        }
    }
}

impl Transport {
    pub fn from_settings(mail: &MailSettings) -> anyhow::Result<Self> {
        match &mail.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    // The error may quote the URL, password included: never show it.
                    .map_err(|_| anyhow::anyhow!("SMTP_URL cannot be used: check its form"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&mail.dir).with_context(|| {
                    format!("cannot create the mail folder {}", mail.dir.display())
                })?;
                // The mails carry tracking links: only the owner lists or reads them.
                crate::storage::sqlite_file::owner_only(&mail.dir)?;
                Ok(Self::Files(mail.dir.clone()))
            }
        }
    }

    /// Sends one mail. A 5xx reply is permanent; everything else (4xx, refused or
    /// dropped connections, timeouts, a full disk) may pass.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    SendError::permanent(e.to_string())
                } else {
                    SendError::transient(e.to_string())
                }
            }),
            Self::Files(dir) => {
                let dir = dir.clone();
                let raw = readable_subject(&message);
                tokio::task::spawn_blocking(move || write_eml(&dir, &raw))
                    .await
                    .map_err(|e| SendError::transient(e.to_string()))?
                    .map_err(|e| SendError::transient(e.to_string()))
            }
        }
    }
}

/// The mail as SMTP would carry it, but with its subject in UTF-8 (RFC 6532) rather than
/// encoded words: a file meant to be read with `cat` as well as with a mail program.
fn readable_subject(message: &Message) -> Vec<u8> {
    let raw = message.formatted();
    let Some(subject) = message.headers().get_raw("Subject") else {
        return raw;
    };
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return raw;
    };
    let Ok(head) = std::str::from_utf8(&raw[..end]) else {
        return raw;
    };
    let mut lines = Vec::new();
    let mut in_subject = false;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) && in_subject {
            continue; // a folded piece of the encoded subject
        }
        in_subject = line.starts_with("Subject:");
        if in_subject {
            // Composed with `one_line`: no line break can end the header early.
            lines.push(format!("Subject: {subject}"));
        } else {
            lines.push(line.to_owned());
        }
    }
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(&raw[end..]);
    out
}

fn write_eml(dir: &Path, raw: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let name = format!("{:032x}", rand::random::<u128>());
    let partial = dir.join(format!("{name}.part"));
    // Tracking links inside: the owner's alone from the first byte, whatever the umask.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)?
        .write_all(raw)?;
    std::fs::rename(&partial, dir.join(format!("{name}.eml")))
}
