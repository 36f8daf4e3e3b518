//! What kind of file a piece of evidence is, as its bytes (not its name) showed.

use super::stored::Stored;

/// The kinds of evidence file AppealDesk keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl FileKind {
    /// The verified type a file of this kind is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
        }
    }

    /// For the name of a download.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
        }
    }

    pub fn is_image(self) -> bool {
        !matches!(self, Self::Pdf)
    }
}

impl Stored for FileKind {
    const WHAT: &'static str = "evidence file kind";
    const ALL: &'static [Self] = &[Self::Jpeg, Self::Png, Self::Webp, Self::Pdf];

    fn stored(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
        }
    }
}
