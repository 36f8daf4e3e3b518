//! Evidence files: the files of a case, the files kept for a refused form, and their
//! contents (`blobs`, keyed by SHA-256). `blobs` is the one small interface an object
//! store would implement instead of the `evidence_blobs` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{cases, evidence_blobs, evidence_files, pending_files};
use crate::domain::case_status::CaseStatus;
use crate::domain::evidence_file::FileKind;
use crate::domain::ids::{AgentId, CaseId};

/// The contents of files, stored once per SHA-256.
pub mod blobs {
    use super::*;

    /// Stores `bytes` under their digest unless they are there already (two requests
    /// with the same file at once both succeed).
    pub fn put(conn: &mut DbConn, sha256: &str, bytes: &[u8]) -> QueryResult<()> {
        let row = (
            evidence_blobs::sha256.eq(sha256),
            evidence_blobs::bytes.eq(bytes),
        );
        match conn {
            DbConn::Postgres(c) => diesel::insert_into(evidence_blobs::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c),
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(evidence_blobs::table)
                .values(row)
                .execute(c),
        }
        .map(drop)
    }

    pub fn get(conn: &mut DbConn, sha256: &str) -> QueryResult<Option<Vec<u8>>> {
        evidence_blobs::table
            .filter(evidence_blobs::sha256.eq(sha256))
            .select(evidence_blobs::bytes)
            .first(conn)
            .optional()
    }

    /// Deletes contents no file refers to any more.
    pub fn prune(conn: &mut DbConn) -> QueryResult<usize> {
        let used_files = evidence_files::table.select(evidence_files::sha256);
        let used_thumbs = evidence_files::table
            .filter(evidence_files::thumb_sha256.is_not_null())
            .select(evidence_files::thumb_sha256.assume_not_null());
        let used_pending = pending_files::table.select(pending_files::sha256);
        let used_pending_thumbs = pending_files::table
            .filter(pending_files::thumb_sha256.is_not_null())
            .select(pending_files::thumb_sha256.assume_not_null());
        diesel::delete(
            evidence_blobs::table
                .filter(evidence_blobs::sha256.ne_all(used_files))
                .filter(evidence_blobs::sha256.ne_all(used_thumbs))
                .filter(evidence_blobs::sha256.ne_all(used_pending))
                .filter(evidence_blobs::sha256.ne_all(used_pending_thumbs)),
        )
        .execute(conn)
    }
}

#[derive(Insertable)]
#[diesel(table_name = evidence_files)]
pub struct NewFile<'a> {
    pub file_key: &'a str,
    pub case_id: CaseId,
    pub kind: FileKind,
    pub name: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub thumb_sha256: Option<&'a str>,
    pub added_by: &'a str,
    pub agent_id: Option<AgentId>,
    pub added_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = evidence_files)]
pub struct FileRow {
    pub file_key: String,
    pub case_id: CaseId,
    pub kind: FileKind,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub thumb_sha256: Option<String>,
    pub added_by: String,
    pub added_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, file: &NewFile<'_>) -> QueryResult<()> {
    diesel::insert_into(evidence_files::table)
        .values(file)
        .execute(conn)
        .map(drop)
}

pub fn for_case(conn: &mut DbConn, case_id: CaseId) -> QueryResult<Vec<FileRow>> {
    on_backend!(conn, |c| evidence_files::table
        .filter(evidence_files::case_id.eq(case_id))
        .order(evidence_files::id)
        .select(FileRow::as_select())
        .load(c))
}

/// One file of one case: a key of another case's file finds nothing.
pub fn of_case(conn: &mut DbConn, case_id: CaseId, file_key: &str) -> QueryResult<Option<FileRow>> {
    evidence_files::table
        .filter(evidence_files::case_id.eq(case_id))
        .filter(evidence_files::file_key.eq(file_key))
        .select(FileRow::as_select())
        .first(conn)
        .optional()
}

/// How many files each of these cases holds (cases without files are left out).
pub fn counts(conn: &mut DbConn, case_ids: &[CaseId]) -> QueryResult<Vec<(CaseId, i64)>> {
    let mut counts = Vec::new();
    // Well under SQLite's limit on bound parameters per statement.
    for ids in case_ids.chunks(1000) {
        counts.extend(
            evidence_files::table
                .filter(evidence_files::case_id.eq_any(ids))
                .group_by(evidence_files::case_id)
                .select((evidence_files::case_id, diesel::dsl::count_star()))
                .load::<(CaseId, i64)>(conn)?,
        );
    }
    Ok(counts)
}

/// How many files and bytes the case holds (for the per-case cap).
pub fn totals(conn: &mut DbConn, case_id: CaseId) -> QueryResult<(i64, i64)> {
    let sizes: Vec<i64> = evidence_files::table
        .filter(evidence_files::case_id.eq(case_id))
        .select(evidence_files::size)
        .load(conn)?;
    Ok((sizes.len() as i64, sizes.iter().sum()))
}

/// Cases closed (closed, withdrawn or voided) before `before` that still hold files.
pub fn past_retention(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<Vec<CaseId>> {
    let finished = [
        CaseStatus::Closed,
        CaseStatus::Withdrawn,
        CaseStatus::Voided,
    ];
    cases::table
        .filter(cases::status.eq_any(finished))
        .filter(cases::updated_at.lt(before))
        .filter(diesel::dsl::exists(
            evidence_files::table.filter(evidence_files::case_id.eq(cases::id)),
        ))
        .select(cases::id)
        .load(conn)
}

/// Deletes the case's files; returns how many there were.
pub fn delete_for_case(conn: &mut DbConn, case_id: CaseId) -> QueryResult<usize> {
    diesel::delete(evidence_files::table.filter(evidence_files::case_id.eq(case_id))).execute(conn)
}

#[derive(Insertable)]
#[diesel(table_name = pending_files)]
pub struct NewPending<'a> {
    pub file_key: &'a str,
    pub form_key_hash: &'a str,
    pub kind: FileKind,
    pub name: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub thumb_sha256: Option<&'a str>,
    pub expires_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = pending_files)]
pub struct PendingRow {
    pub file_key: String,
    pub kind: FileKind,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub thumb_sha256: Option<String>,
}

pub fn insert_pending(conn: &mut DbConn, file: &NewPending<'_>) -> QueryResult<()> {
    diesel::insert_into(pending_files::table)
        .values(file)
        .execute(conn)
        .map(drop)
}

/// The files kept for this form that have not expired, oldest first.
pub fn pending_for_form(
    conn: &mut DbConn,
    form_key_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<PendingRow>> {
    pending_files::table
        .filter(pending_files::form_key_hash.eq(form_key_hash))
        .filter(pending_files::expires_at.gt(now))
        .order(pending_files::id)
        .select(PendingRow::as_select())
        .load(conn)
}

/// Forgets the form's kept files (filed with the case, or removed by the appellant).
pub fn delete_pending(
    conn: &mut DbConn,
    form_key_hash: &str,
    file_key: Option<&str>,
) -> QueryResult<usize> {
    let mine = pending_files::table.filter(pending_files::form_key_hash.eq(form_key_hash));
    match file_key {
        Some(key) => diesel::delete(mine.filter(pending_files::file_key.eq(key))).execute(conn),
        None => diesel::delete(mine).execute(conn),
    }
}

pub fn delete_expired_pending(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(pending_files::table.filter(pending_files::expires_at.le(now))).execute(conn)
}
