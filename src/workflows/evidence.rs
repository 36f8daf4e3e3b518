//! Evidence files: checked and cleaned off the async workers, stored with the filing or
//! reply they came with (same transaction), kept for a refused form, opened by agents
//! (recorded) and appellants, and deleted after the retention period.
//!
//! A form that carries files goes one way, whatever it files (`file_appeal::submit`,
//! `track_case::reply`): `Received::inspect` checks what came, then exactly one write
//! either files the clean files (`Received::file`) or keeps them for the form
//! (`Received::keep`), so a refused sender never uploads the same file twice.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Semaphore;

use super::Failure;
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::evidence_file::FileKind;
use crate::domain::ids::CaseId;
use crate::domain::policy::{
    EVIDENCE_CASE_MAX_BYTES, EVIDENCE_FILES_PER_SUBMISSION, IMAGE_DECODES_AT_ONCE,
    PENDING_FILE_HOURS, VIEW_RECORD_MINUTES,
};
use crate::domain::timeline::EventKind;
use crate::domain::{Lang, Refusal};
use crate::evidence_files::{self as files, CleanFile, FileRefusal};
use crate::keys;
use crate::storage::Store;

use super::views::{self, EvidenceFile, KeptFile};

/// A file as it arrived: the name the sender's device gave it, and its bytes.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    /// The file's size when it was past the per-file limit (then `bytes` is not all of it).
    pub oversize: Option<u64>,
}

/// Why files were not taken: each names its file, or says what the limit is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadProblem {
    File(FileRefusal),
    /// More than `EVIDENCE_FILES_PER_SUBMISSION` in one filing or reply.
    TooMany {
        sent: usize,
    },
    /// The case would hold more than `EVIDENCE_CASE_MAX_BYTES`.
    CaseFull,
}

impl Refusal for UploadProblem {
    fn message(&self, lang: Lang) -> String {
        let max_mb = EVIDENCE_CASE_MAX_BYTES / (1024 * 1024);
        match (self, lang) {
            (UploadProblem::File(refused), _) => refused.message(lang),
            (UploadProblem::TooMany { sent }, Lang::Zh) => format!(
                "一次最多上传 {EVIDENCE_FILES_PER_SUBMISSION} 个文件（这次选了 {sent} 个）；多出的文件没有保存"
            ),
            (UploadProblem::TooMany { sent }, Lang::En) => format!(
                "At most {EVIDENCE_FILES_PER_SUBMISSION} files at a time ({sent} were chosen); the extra files were not kept"
            ),
            (UploadProblem::CaseFull, Lang::Zh) => {
                format!("每宗案件的文件合计最多 {max_mb} MB；请只上传最关键的截图")
            }
            (UploadProblem::CaseFull, Lang::En) => format!(
                "A case holds at most {max_mb} MB of files in all; upload only the screenshots that matter most"
            ),
        }
    }
}

/// Uploads checked and cleaned: what may be stored, and what was refused.
#[derive(Debug, Default)]
struct Inspected {
    files: Vec<CleanFile>,
    problems: Vec<UploadProblem>,
}

/// Decoding is bounded in memory per image; this bounds how many run at once.
static DECODES: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(IMAGE_DECODES_AT_ONCE));

/// Checks and cleans every upload, off the async workers. `already` files are kept for
/// this form: together they may not pass the per-submission limit.
async fn inspect(uploads: Vec<Upload>, already: usize) -> Result<Inspected, Failure> {
    let room = EVIDENCE_FILES_PER_SUBMISSION.saturating_sub(already);
    let mut inspected = Inspected::default();
    if uploads.len() > room {
        inspected.problems.push(UploadProblem::TooMany {
            sent: uploads.len() + already,
        });
    }
    for upload in uploads.into_iter().take(room) {
        if let Some(bytes) = upload.oversize {
            let name = files::sanitize_name(&upload.name);
            inspected
                .problems
                .push(UploadProblem::File(FileRefusal::TooLarge { name, bytes }));
            continue;
        }
        let _permit = DECODES
            .acquire()
            .await
            .map_err(|e| Failure::Template(format!("decode limiter closed: {e}")))?;
        let checked =
            tokio::task::spawn_blocking(move || files::inspect(&upload.name, &upload.bytes))
                .await
                .map_err(crate::storage::Failure::from)?;
        match checked {
            Ok(file) => inspected.files.push(file),
            Err(refused) => inspected.problems.push(UploadProblem::File(refused)),
        }
    }
    Ok(inspected)
}

/// What came with a form that takes files: its key (the files it holds are kept under
/// it), the files, and a kept file the sender removed.
pub struct SentFiles {
    pub form_key: String,
    pub uploads: Vec<Upload>,
    /// A kept file the sender removed: the form comes back, nothing is filed.
    pub remove: Option<String>,
}

/// The files of a form that filed nothing: what it holds now, under which key, and why
/// any of those that came were refused.
pub struct FormFiles {
    /// The key the files wait under: the form's own, or a fresh form's when the refusal
    /// used the form up (`KeepFor::FreshForm`).
    pub form_key: String,
    pub kept: Vec<KeptFile>,
    pub problems: Vec<UploadProblem>,
}

/// Where a refused send's files wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepFor {
    /// The form sent again.
    ThisForm,
    /// A new form: the one sent has been used up (it filed a case).
    FreshForm,
    /// Nowhere: what they came for is gone (a tracking link replaced meanwhile).
    Nothing,
}

/// The files a form brought, inspected. Consumed by one write that files them (`file`)
/// or keeps them for the form (`keep`): a send that files nothing keeps its good files.
#[must_use = "files that came are filed or kept, never dropped"]
pub struct Received {
    form_key: String,
    files: Vec<CleanFile>,
    problems: Vec<UploadProblem>,
    remove: Option<String>,
}

impl Received {
    /// Checks and cleans what came, counting the files the form already holds against
    /// the per-submission limit. Stores nothing.
    pub async fn inspect(
        store: &Store,
        sent: SentFiles,
        now: DateTime<Utc>,
    ) -> Result<Self, Failure> {
        let held = if sent.uploads.is_empty() {
            0
        } else {
            let key = sent.form_key.clone();
            store
                .read(move |conn| kept_for_form(conn, &key, now))
                .await??
                .len()
        };
        let inspected = inspect(sent.uploads, held).await?;
        Ok(Self {
            form_key: sent.form_key,
            files: inspected.files,
            problems: inspected.problems,
            remove: sent.remove,
        })
    }

    /// The sender removed a kept file: the form is to come back, nothing filed.
    pub fn removes(&self) -> bool {
        self.remove.is_some()
    }

    /// Every file that came may be filed.
    pub fn all_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Files nothing: keeps the clean files for the form (and forgets the removed one).
    pub async fn keep(self, store: &Store, now: DateTime<Utc>) -> Result<FormFiles, Failure> {
        if self.files.is_empty() && self.remove.is_none() {
            let key = self.form_key.clone();
            let kept = store
                .read(move |conn| kept_for_form(conn, &key, now))
                .await??;
            return Ok(self.form_files(kept));
        }
        self.keep_with(store, now, |_| Ok(())).await
    }

    /// `keep`, with `also` written in the same write.
    pub async fn keep_with(
        self,
        store: &Store,
        now: DateTime<Utc>,
        also: impl FnOnce(&mut DbConn) -> Result<(), Failure> + Send + 'static,
    ) -> Result<FormFiles, Failure> {
        let (key, files, remove) = (self.form_key.clone(), self.files, self.remove);
        let kept = store
            .write(move |conn| {
                also(conn)?;
                if let Some(file_key) = remove {
                    forget_for_form(conn, &key, &file_key)?;
                }
                keep_for_form(conn, &key, &files, now)?;
                kept_for_form(conn, &key, now)
            })
            .await??;
        Ok(FormFiles {
            form_key: self.form_key,
            kept,
            problems: self.problems,
        })
    }

    /// Runs `file` with the clean files in one write; when it refuses, the files are kept
    /// in that same write, where `keep_for` says.
    pub async fn file<T, R>(
        self,
        store: &Store,
        now: DateTime<Utc>,
        keep_for: fn(&R) -> KeepFor,
        file: impl FnOnce(&mut DbConn, &[CleanFile]) -> Result<Result<T, R>, Failure> + Send + 'static,
    ) -> Result<Result<T, (R, FormFiles)>, Failure>
    where
        T: Send + 'static,
        R: Send + 'static,
    {
        let Self {
            form_key,
            files,
            problems,
            remove: _,
        } = self;
        store
            .write(move |conn| {
                let refused = match file(conn, &files)? {
                    Ok(done) => return Ok(Ok(done)),
                    Err(refused) => refused,
                };
                let (form_key, kept) = match keep_for(&refused) {
                    KeepFor::ThisForm => {
                        keep_for_form(conn, &form_key, &files, now)?;
                        let kept = kept_for_form(conn, &form_key, now)?;
                        (form_key, kept)
                    }
                    KeepFor::FreshForm => {
                        let fresh = keys::random_token();
                        keep_for_form(conn, &fresh, &files, now)?;
                        let kept = kept_for_form(conn, &fresh, now)?;
                        (fresh, kept)
                    }
                    KeepFor::Nothing => (form_key, Vec::new()),
                };
                let files = FormFiles {
                    form_key,
                    kept,
                    problems,
                };
                Ok(Err((refused, files)))
            })
            .await?
    }

    fn form_files(self, kept: Vec<KeptFile>) -> FormFiles {
        FormFiles {
            form_key: self.form_key,
            kept,
            problems: self.problems,
        }
    }
}

/// A file whose contents are stored, ready to attach to a case.
pub(super) struct Stored {
    kind: FileKind,
    name: String,
    size: i64,
    sha256: String,
    thumb_sha256: Option<String>,
}

fn put(conn: &mut DbConn, file: &CleanFile) -> Result<Stored, Failure> {
    let sha256 = file.sha256_hex();
    db::evidence::blobs::put(conn, &sha256, &file.bytes)?;
    let thumb_sha256 = match &file.thumbnail {
        Some(thumb) => {
            let digest = keys::sha256_hex(&thumb.bytes);
            db::evidence::blobs::put(conn, &digest, &thumb.bytes)?;
            Some(digest)
        }
        None => None,
    };
    Ok(Stored {
        kind: file.kind,
        name: file.name.clone(),
        size: file.bytes.len() as i64,
        sha256,
        thumb_sha256,
    })
}

/// Attaches the form's kept files and the new ones to the case, inside the caller's
/// transaction, with one timeline entry naming them. Refuses what would pass the
/// per-case limit.
pub(super) fn attach(
    conn: &mut DbConn,
    case_id: CaseId,
    form_key: Option<&str>,
    new: &[CleanFile],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<Vec<FileKind>, UploadProblem>, Failure> {
    let mut stored: Vec<Stored> = Vec::new();
    if let Some(form_key) = form_key {
        let form = keys::digest(form_key);
        for p in db::evidence::pending_for_form(conn, &form, now.naive_utc())? {
            stored.push(Stored {
                kind: p.kind,
                name: p.name,
                size: p.size,
                sha256: p.sha256,
                thumb_sha256: p.thumb_sha256,
            });
        }
        db::evidence::delete_pending(conn, &form, None)?;
    }
    for file in new {
        stored.push(put(conn, file)?);
    }
    if stored.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    // Counted again here, inside the transaction: two sends of one form at once cannot
    // together pass the limit.
    if stored.len() > EVIDENCE_FILES_PER_SUBMISSION {
        return Ok(Err(UploadProblem::TooMany { sent: stored.len() }));
    }
    let (_, held) = db::evidence::totals(conn, case_id)?;
    let adding: i64 = stored.iter().map(|f| f.size).sum();
    if (held + adding) as u64 > EVIDENCE_CASE_MAX_BYTES {
        return Ok(Err(UploadProblem::CaseFull));
    }
    let added_by = match actor {
        Actor::Agent { email, .. } => email.as_str(),
        _ => "appellant",
    };
    for file in &stored {
        db::evidence::insert(
            conn,
            &db::evidence::NewFile {
                file_key: &keys::random_token(),
                case_id,
                kind: file.kind,
                name: &file.name,
                size: file.size,
                sha256: &file.sha256,
                thumb_sha256: file.thumb_sha256.as_deref(),
                added_by,
                agent_id: actor.agent_id(),
                added_at: now.naive_utc(),
            },
        )?;
    }
    let names: Vec<String> = stored
        .iter()
        .map(|f| display_name(&f.name, f.kind))
        .collect();
    super::timeline::record(
        conn,
        case_id,
        actor,
        EventKind::EvidenceAdded,
        Some(&names.join("\n")),
        now,
    )?;
    Ok(Ok(stored.iter().map(|f| f.kind).collect()))
}

/// The name a file is listed and saved under: the sender's, with the extension of what it
/// really is (a PDF named `x.html` is `x.pdf`; a WebP, stored as PNG, is `.png`).
pub fn display_name(name: &str, kind: FileKind) -> String {
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ if name.is_empty() => "evidence",
        _ => name,
    };
    format!("{stem}.{}", kind.extension())
}

/// Keeps a refused form's files for that form (and so that browser) for a day.
fn keep_for_form(
    conn: &mut DbConn,
    form_key: &str,
    new: &[CleanFile],
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    if new.is_empty() {
        return Ok(());
    }
    let form = keys::digest(form_key);
    let expires_at = (now + Duration::hours(PENDING_FILE_HOURS)).naive_utc();
    db::write_tx(conn, |conn| {
        for file in new {
            let stored = put(conn, file)?;
            db::evidence::insert_pending(
                conn,
                &db::evidence::NewPending {
                    file_key: &keys::random_token(),
                    form_key_hash: &form,
                    kind: stored.kind,
                    name: &stored.name,
                    size: stored.size,
                    sha256: &stored.sha256,
                    thumb_sha256: stored.thumb_sha256.as_deref(),
                    expires_at,
                },
            )?;
        }
        Ok(())
    })
}

/// The files kept for this form.
fn kept_for_form(
    conn: &mut DbConn,
    form_key: &str,
    now: DateTime<Utc>,
) -> Result<Vec<KeptFile>, Failure> {
    Ok(views::all(db::evidence::pending_for_form(
        conn,
        &keys::digest(form_key),
        now.naive_utc(),
    )?))
}

/// Could be a key we made (`keys::random_token`, URL-safe base64): anything else, a NUL
/// from `%00` in a URL among them (PostgreSQL text cannot hold one), matches no file.
fn is_file_key(file_key: &str) -> bool {
    file_key.len() <= 100
        && file_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The appellant removed a kept file from the form.
fn forget_for_form(conn: &mut DbConn, form_key: &str, file_key: &str) -> Result<(), Failure> {
    if !is_file_key(file_key) {
        return Ok(());
    }
    db::evidence::delete_pending(conn, &keys::digest(form_key), Some(file_key))?;
    Ok(())
}

/// A file's bytes as served: the full file, or its thumbnail.
pub struct Served {
    pub file: EvidenceFile,
    pub bytes: Vec<u8>,
    /// The thumbnail's kind when one was asked for (JPEG or PNG).
    pub kind: FileKind,
}

/// A file of the case, if the key is one of its files. An agent opening the full file is
/// recorded (once per agent and file within `VIEW_RECORD_MINUTES`).
pub fn open(
    conn: &mut DbConn,
    case_id: CaseId,
    file_key: &str,
    thumbnail: bool,
    actor: &Actor,
    record: bool,
    now: DateTime<Utc>,
) -> Result<Option<Served>, Failure> {
    if !is_file_key(file_key) {
        return Ok(None);
    }
    let Some(file) = db::evidence::of_case(conn, case_id, file_key)? else {
        return Ok(None);
    };
    let digest = match (&file.thumb_sha256, thumbnail) {
        (Some(thumb), true) => thumb.clone(),
        // A PDF has no thumbnail: asking for one is asking for nothing.
        (None, true) => return Ok(None),
        _ => file.sha256.clone(),
    };
    let Some(bytes) = db::evidence::blobs::get(conn, &digest)? else {
        return Ok(None);
    };
    let kind = if digest == file.sha256 {
        file.kind
    } else {
        thumbnail_kind(&bytes)
    };
    // Agents and API keys: who opened what is on the record (appellants open their own).
    if !thumbnail && record && matches!(actor, Actor::Agent { .. } | Actor::ApiKey { .. }) {
        // The key tells two files of one name apart.
        let note = format!(
            "{} · {}",
            display_name(&file.name, file.kind),
            &file.file_key[..8.min(file.file_key.len())]
        );
        let since = (now - Duration::minutes(VIEW_RECORD_MINUTES)).naive_utc();
        let kind = EventKind::EvidenceOpened;
        let seen = match actor.agent_id() {
            Some(agent) => {
                db::events::recorded_since(conn, case_id, agent, kind, since, Some(&note))?
            }
            None => db::events::recorded_by_since(conn, case_id, actor.name(), kind, since, &note)?,
        };
        if !seen {
            super::timeline::record(
                conn,
                case_id,
                actor,
                EventKind::EvidenceOpened,
                Some(&note),
                now,
            )?;
        }
    }
    Ok(Some(Served {
        file: file.into(),
        bytes,
        kind,
    }))
}

/// Thumbnails are JPEG, or PNG for images with transparency: their first bytes say which.
fn thumbnail_kind(bytes: &[u8]) -> FileKind {
    if bytes.starts_with(b"\x89PNG") {
        FileKind::Png
    } else {
        FileKind::Jpeg
    }
}

/// The periodic job: deletes the files of cases closed more than `retention_days` ago,
/// leaving a tombstone in each timeline. Returns how many files went.
pub fn delete_past_retention(
    conn: &mut DbConn,
    retention_days: i64,
    now: DateTime<Utc>,
) -> Result<usize, Failure> {
    // A retention longer than the calendar reaches deletes nothing.
    let Some(before) = now.checked_sub_signed(Duration::days(retention_days)) else {
        return Ok(0);
    };
    let before = before.naive_utc();
    let mut deleted = 0;
    for case_id in db::evidence::past_retention(conn, before)? {
        deleted += db::write_tx(conn, |conn| -> Result<usize, Failure> {
            let n = db::evidence::delete_for_case(conn, case_id)?;
            if n > 0 {
                super::timeline::record(
                    conn,
                    case_id,
                    &Actor::System,
                    EventKind::EvidenceDeleted,
                    Some(&format!("{n} 个文件 · {n} files")),
                    now,
                )?;
            }
            Ok(n)
        })?;
    }
    db::evidence::delete_expired_pending(conn, now.naive_utc())?;
    db::evidence::blobs::prune(conn)?;
    Ok(deleted)
}
