//! Where mail goes: an SMTP server (`SMTP_URL`), or `.eml` files in a folder so that a
//! developer's `cargo run` still shows every mail.

use std::time::Duration;

use anyhow::Context;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;

/// Longer than a healthy server ever takes; a batch of these must fit in the lease.
pub(crate) const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The folder too: each `.eml` (tracking links inside) is narrowed to its owner.
    Files(AsyncFileTransport<Tokio1Executor>, std::path::PathBuf),
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
                crate::db::sqlite_file::owner_only(&mail.dir)?;
                Ok(Self::Files(
                    AsyncFileTransport::new(&mail.dir),
                    mail.dir.clone(),
                ))
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
            Self::Files(files, dir) => {
                let id = files
                    .send(message)
                    .await
                    .map_err(|e| SendError::transient(e.to_string()))?;
                crate::db::sqlite_file::owner_only(&dir.join(format!("{id}.eml")))
                    .map_err(|e| SendError::transient(e.to_string()))
            }
        }
    }
}
