//! Evidence files on pages (a list with thumbnails) and as responses (the verified type,
//! never sniffed, never cached; PDFs only as downloads in a sandbox).

use actix_web::HttpResponse;
use actix_web::http::header::{
    self, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};

use crate::domain::Lang;
use crate::domain::cst;
use crate::domain::evidence_file::FileKind;
use crate::workflows::evidence::{Served, display_name};
use crate::workflows::views::{EvidenceFile, KeptFile};

/// `?thumb=1` asks for a file's thumbnail.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FileQuery {
    thumb: String,
}

impl FileQuery {
    pub fn thumbnail(&self) -> bool {
        self.thumb == "1"
    }
}

/// A file kept for a form from an earlier, refused send, as the form lists it.
pub struct PendingFile {
    pub file_key: String,
    pub name: String,
}

impl PendingFile {
    pub fn all(kept: &[KeptFile]) -> Vec<PendingFile> {
        kept.iter()
            .map(|k| PendingFile {
                file_key: k.file_key.clone(),
                name: display_name(&k.name, k.kind),
            })
            .collect()
    }
}

/// A file as a page lists it.
pub struct FileView {
    pub name: String,
    pub url: String,
    pub thumb_url: Option<String>,
    pub size: String,
    pub is_pdf: bool,
    pub added_by: String,
    pub added_at: String,
}

/// `base` is where the case's files are served from (`/track/{token}/files`, or the
/// console's `/agent/cases/{number}/files`).
pub fn views(base: &str, files: &[EvidenceFile], lang: Lang) -> Vec<FileView> {
    files
        .iter()
        .map(|f| {
            let url = format!("{base}/{}", f.file_key);
            FileView {
                name: display_name(&f.name, f.kind),
                thumb_url: f.has_thumbnail.then(|| format!("{url}?thumb=1")),
                url,
                size: size_label(f.size),
                is_pdf: f.kind == FileKind::Pdf,
                added_by: match f.added_by.as_str() {
                    "appellant" => lang.t("申诉人", "the appellant").to_owned(),
                    agent => agent.to_owned(),
                },
                added_at: cst::format_local(f.added_at.and_utc()),
            }
        })
        .collect()
}

fn size_label(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// The file's bytes with its verified type. PDFs are downloads only, sandboxed, so a
/// crafted PDF never runs in our origin.
pub fn respond(served: Served) -> HttpResponse {
    let name = display_name(&served.file.name, served.kind);
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let pdf = served.kind == FileKind::Pdf;
    let disposition = ContentDisposition {
        disposition: if pdf {
            DispositionType::Attachment
        } else {
            DispositionType::Inline
        },
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: header::Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: name.into_bytes(),
            }),
        ],
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(served.kind.content_type())
        .insert_header(disposition)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if pdf {
        response.insert_header((header::CONTENT_SECURITY_POLICY, "sandbox"));
    }
    response.body(served.bytes)
}
