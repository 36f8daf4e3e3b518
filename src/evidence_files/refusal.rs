//! Why a file was not taken, in words the appellant can act on, naming the file.

use crate::domain::policy::{EVIDENCE_FILE_MAX_BYTES, IMAGE_MAX_SIDE_PX};
use crate::domain::{Lang, Refusal};

/// Each variant carries the file's displayable name (see [`super::sanitize_name`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRefusal {
    Empty {
        name: String,
    },
    TooLarge {
        name: String,
        bytes: u64,
    },
    /// Not JPEG, PNG, WebP or PDF by its content, whatever its name says.
    Unaccepted {
        name: String,
    },
    Heic {
        name: String,
    },
    /// Damaged, cut short, or not what its first bytes claim.
    Unreadable {
        name: String,
    },
    /// More pixels than we decode; refused from the header, before decoding.
    TooManyPixels {
        name: String,
        width: u32,
        height: u32,
    },
}

impl FileRefusal {
    pub fn name(&self) -> &str {
        match self {
            Self::Empty { name }
            | Self::TooLarge { name, .. }
            | Self::Unaccepted { name }
            | Self::Heic { name }
            | Self::Unreadable { name }
            | Self::TooManyPixels { name, .. } => name,
        }
    }
}

/// Sizes as people read them: one decimal, in MB (MiB, as the limit is).
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

impl Refusal for FileRefusal {
    fn message(&self, lang: Lang) -> String {
        let limit_mb = EVIDENCE_FILE_MAX_BYTES / (1024 * 1024);
        let name = match (self.name(), lang) {
            ("", Lang::Zh) => "未命名文件".to_owned(),
            ("", Lang::En) => "The unnamed file".to_owned(),
            (name, Lang::Zh) => format!("“{name}”"),
            (name, Lang::En) => format!("“{name}”"),
        };
        match (self, lang) {
            (Self::Empty { .. }, Lang::Zh) => {
                format!("{name}是空文件；请重新选择要上传的截图或电子回单")
            }
            (Self::Empty { .. }, Lang::En) => {
                format!("{name} is empty; choose the screenshot or e-receipt again")
            }
            (Self::TooLarge { bytes, .. }, Lang::Zh) => format!(
                "{name}有 {}，每个文件最大 {limit_mb} MB；请上传截图，或压缩后再上传",
                megabytes(*bytes)
            ),
            (Self::TooLarge { bytes, .. }, Lang::En) => format!(
                "{name} is {}; each file may be at most {limit_mb} MB. Upload a screenshot, or make the \
                 file smaller",
                megabytes(*bytes)
            ),
            (Self::Unaccepted { .. }, Lang::Zh) => format!(
                "{name}不是 JPEG、PNG、WebP 图片或 PDF 文件（按文件内容判断，与文件名无关）；请上传截图或电子回单"
            ),
            (Self::Unaccepted { .. }, Lang::En) => format!(
                "{name} is not a JPEG, PNG or WebP image or a PDF (judged by its content, not its name); \
                 upload a screenshot or the e-receipt"
            ),
            (Self::Heic { .. }, Lang::Zh) => format!(
                "{name}是 HEIC 格式，暂不接受。手机截图本身就是 PNG 或 JPEG，可直接上传截图；\
                 iPhone 拍照可在“设置 → 相机 → 格式”中选择“兼容性最佳”"
            ),
            (Self::Heic { .. }, Lang::En) => format!(
                "{name} is a HEIC photo, which is not accepted. Phone screenshots are PNG or JPEG: upload a \
                 screenshot. On an iPhone, Settings → Camera → Formats → Most Compatible takes JPEG photos"
            ),
            (Self::Unreadable { .. }, Lang::Zh) => {
                format!("{name}无法读取，可能已损坏或未完整上传；请重新截图或导出后再上传")
            }
            (Self::Unreadable { .. }, Lang::En) => format!(
                "{name} cannot be read; it may be damaged or cut short. Take the screenshot or export the \
                 file again"
            ),
            (Self::TooManyPixels { width, height, .. }, Lang::Zh) => format!(
                "{name}的尺寸为 {width}×{height} 像素，超出可处理的范围（每边最多 {IMAGE_MAX_SIDE_PX} 像素，\
                 约相当于一张手机截图的大小）；请上传普通截图，或缩小后再上传"
            ),
            (Self::TooManyPixels { width, height, .. }, Lang::En) => format!(
                "{name} is {width}×{height} pixels, more than we can take (at most {IMAGE_MAX_SIDE_PX} pixels a \
                 side and about the size of a phone screenshot); upload an ordinary screenshot or a smaller image"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(name: &str) -> Vec<FileRefusal> {
        let name = name.to_owned();
        vec![
            FileRefusal::Empty { name: name.clone() },
            FileRefusal::TooLarge {
                name: name.clone(),
                bytes: 12 * 1024 * 1024 + 300 * 1024,
            },
            FileRefusal::Unaccepted { name: name.clone() },
            FileRefusal::Heic { name: name.clone() },
            FileRefusal::Unreadable { name: name.clone() },
            FileRefusal::TooManyPixels {
                name,
                width: 30000,
                height: 30000,
            },
        ]
    }

    #[test]
    fn every_message_names_the_file_in_both_languages() {
        for refusal in all("账单详情.png") {
            for lang in [Lang::Zh, Lang::En] {
                let message = refusal.message(lang);
                assert!(message.contains("“账单详情.png”"), "{message}");
            }
        }
        for refusal in all("") {
            assert!(refusal.message(Lang::Zh).starts_with("未命名文件"));
            assert!(refusal.message(Lang::En).starts_with("The unnamed file"));
        }
    }

    #[test]
    fn chinese_messages_use_full_width_punctuation() {
        for refusal in all("a.png") {
            let message = refusal.message(Lang::Zh);
            let without_name = message.replace("“a.png”", "");
            assert!(!without_name.contains([',', ';', '(', ')']), "{message}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let [_, too_large, _, heic, _, pixels] = all("x").try_into().expect("six refusals");
        assert!(too_large.message(Lang::En).contains("12.3 MB"));
        assert!(too_large.message(Lang::En).contains("at most 10 MB"));
        assert!(too_large.message(Lang::Zh).contains("最大 10 MB"));
        assert!(
            heic.message(Lang::En)
                .contains("Settings → Camera → Formats → Most Compatible")
        );
        assert!(heic.message(Lang::Zh).contains("兼容性最佳"));
        assert!(heic.message(Lang::Zh).contains("PNG 或 JPEG"));
        assert!(pixels.message(Lang::En).contains("30000×30000"));
    }
}
