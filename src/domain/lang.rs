//! The two languages AppealDesk speaks.

/// Chinese is the default: most appellants are WeChat users in mainland China.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag for `<html lang>` and `Content-Language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Reads a language tag by its primary subtag only: "zh-Hant" still gets the Chinese pages,
    /// which beats English for a Chinese reader.
    /// Picks the text for this language; templates write both side by side.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn from_code(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("zh") {
            Some(Lang::Zh)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The preferred language we speak, by q-value (earlier entry wins a tie); Chinese otherwise.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_code) else {
                continue;
            };
            let mut quality = Some(1000);
            for param in parts {
                if let Some((key, value)) = param.split_once('=')
                    && key.trim().eq_ignore_ascii_case("q")
                {
                    quality = parse_quality(value.trim());
                }
            }
            // A malformed q-value says nothing reliable, so the entry is skipped; q=0 means "not this".
            match quality {
                Some(q) if q > 0 && best.is_none_or(|(b, _)| q > b) => best = Some((q, lang)),
                _ => {}
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }
}

/// An RFC 9110 qvalue ("0", "0.8", "1.000") in thousandths; integers avoid float comparisons.
fn parse_quality(s: &str) -> Option<u16> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl super::stored::Stored for Lang {
    const WHAT: &'static str = "language";
    const ALL: &'static [Self] = &Lang::ALL;

    fn stored(self) -> &'static str {
        self.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }

    #[test]
    fn from_code_reads_the_primary_subtag_case_insensitively() {
        for zh in ["zh", "zh-CN", "zh-Hans", "ZH-hans-CN", "zh_TW", " zh "] {
            assert_eq!(Lang::from_code(zh), Some(Lang::Zh), "{zh}");
        }
        for en in ["en", "en-US", "EN-gb", "en_AU"] {
            assert_eq!(Lang::from_code(en), Some(Lang::En), "{en}");
        }
        for other in ["", "fr", "ja-JP", "*", "eng", "zhx"] {
            assert_eq!(Lang::from_code(other), None, "{other}");
        }
    }

    #[test]
    fn accept_language_picks_highest_quality_we_speak() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, en;q=0.5, zh;q=0.7"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("en;q=0.3, zh;q=0.3"), Lang::En);
        assert_eq!(Lang::from_accept_language("zh;q=0.2, en"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("ja, fr;q=0.9, en;q=0.1"),
            Lang::En
        );
    }

    #[test]
    fn accept_language_defaults_to_chinese() {
        for header in [
            "",
            "*",
            "fr, de;q=0.5",
            "en;q=0",
            "en;q=abc",
            "en;q=1.5",
            "en;q=0.1234",
        ] {
            assert_eq!(Lang::from_accept_language(header), Lang::Zh, "{header}");
        }
    }

    #[test]
    fn quality_is_read_in_thousandths() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.8"), Some(800));
        assert_eq!(parse_quality("0.125"), Some(125));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("1.001"), None);
        assert_eq!(parse_quality("-0.5"), None);
        assert_eq!(parse_quality(""), None);
    }
}
