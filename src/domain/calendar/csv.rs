//! The calendar file a supervisor loads each year: `date,kind,holiday_zh,holiday_en`, one row
//! per date that departs from Monday–Friday. A name with a comma is written in double quotes.

use std::collections::HashMap;
use std::fmt;

use ::csv::{ReaderBuilder, StringRecord};
use chrono::NaiveDate;

use super::{CalendarDay, DayKind};
use crate::domain::stored::Stored;
use crate::domain::{Lang, Refusal};

const HEADER: [&str; 4] = ["date", "kind", "holiday_zh", "holiday_en"];

/// Why a calendar file was refused; `line` counts from 1, the header being line 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarCsvError {
    BadHeader {
        line: usize,
    },
    WrongColumnCount {
        line: usize,
        found: usize,
    },
    BadDate {
        line: usize,
        value: String,
    },
    UnknownKind {
        line: usize,
        value: String,
    },
    MissingName {
        line: usize,
    },
    /// A quote left open swallows the following rows into a name.
    LineBreakInName {
        line: usize,
    },
    DuplicateDate {
        line: usize,
        date: NaiveDate,
        first_line: usize,
    },
    /// The CSV reader failed (it cannot on text, but no row is dropped silently).
    Unreadable {
        line: usize,
    },
}

pub fn parse_csv(text: &str) -> Result<Vec<CalendarDay>, CalendarCsvError> {
    // Spreadsheets save CSV with a byte-order mark (the csv crate would keep it in the first
    // header cell) and CRLF line ends.
    let text = text.trim_start_matches('\u{FEFF}');
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records().map(|r| {
        r.map_err(|e| CalendarCsvError::Unreadable {
            line: e.position().map_or(1, |p| to_line(p.line())),
        })
    });
    // The header is the first line itself: the reader skips blank lines, the old format did not.
    let header_ok = match records.next().transpose()? {
        Some(header) => line_of(text, &header) == 1 && header.iter().map(str::trim).eq(HEADER),
        None => false,
    };
    if !header_ok {
        return Err(CalendarCsvError::BadHeader { line: 1 });
    }
    let mut days = Vec::new();
    let mut seen: HashMap<NaiveDate, usize> = HashMap::new();
    for record in records {
        let record = record?;
        let line = line_of(text, &record);
        let fields: Vec<&str> = record.iter().map(str::trim).collect();
        if let [only] = fields[..]
            && only.is_empty()
        {
            // A line of blanks.
            continue;
        }
        let [date, kind, name_zh, name_en] = fields[..] else {
            return Err(CalendarCsvError::WrongColumnCount {
                line,
                found: fields.len(),
            });
        };
        let date =
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| CalendarCsvError::BadDate {
                line,
                value: date.to_string(),
            })?;
        let kind = DayKind::from_stored(kind).ok_or_else(|| CalendarCsvError::UnknownKind {
            line,
            value: kind.to_string(),
        })?;
        if name_zh.is_empty() || name_en.is_empty() {
            return Err(CalendarCsvError::MissingName { line });
        }
        if name_zh.contains(['\r', '\n']) || name_en.contains(['\r', '\n']) {
            return Err(CalendarCsvError::LineBreakInName { line });
        }
        if let Some(&first_line) = seen.get(&date) {
            return Err(CalendarCsvError::DuplicateDate {
                line,
                date,
                first_line,
            });
        }
        seen.insert(date, line);
        days.push(CalendarDay {
            date,
            kind,
            name_zh: name_zh.to_string(),
            name_en: name_en.to_string(),
        });
    }
    Ok(days)
}

/// The line a record starts on. The csv crate's position is where it began reading, before
/// the blank lines it skips; those are counted here (CRLF is one break, as there).
fn line_of(text: &str, record: &StringRecord) -> usize {
    let Some(position) = record.position() else {
        return 1;
    };
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let skipped = text
        .as_bytes()
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|&&b| b == b'\n')
        .count();
    to_line(position.line()).saturating_add(skipped)
}

fn to_line(line: u64) -> usize {
    usize::try_from(line).unwrap_or(usize::MAX)
}

impl CalendarCsvError {
    pub fn line(&self) -> usize {
        use CalendarCsvError::*;
        match self {
            BadHeader { line }
            | WrongColumnCount { line, .. }
            | BadDate { line, .. }
            | UnknownKind { line, .. }
            | MissingName { line }
            | LineBreakInName { line }
            | DuplicateDate { line, .. }
            | Unreadable { line } => *line,
        }
    }
}

impl Refusal for CalendarCsvError {
    fn message(&self, lang: Lang) -> String {
        use CalendarCsvError::*;
        let problem = match (self, lang) {
            (BadHeader { .. }, Lang::Zh) => "表头必须是 date,kind,holiday_zh,holiday_en".into(),
            (BadHeader { .. }, Lang::En) => {
                "the header must be date,kind,holiday_zh,holiday_en".into()
            }
            (WrongColumnCount { found, .. }, Lang::Zh) => {
                format!(
                    "应有 4 列（日期，类型，中文节日名，英文节日名），实际 {found} 列；节日名中有逗号时，请用英文双引号把节日名括起来"
                )
            }
            (WrongColumnCount { found, .. }, Lang::En) => format!(
                "expected 4 columns (date, kind, Chinese name, English name), found {found}; \
                 put a name that contains a comma in double quotes"
            ),
            (BadDate { value, .. }, Lang::Zh) => {
                format!("日期“{value}”无效，请写成 YYYY-MM-DD，例如 2026-10-01")
            }
            (BadDate { value, .. }, Lang::En) => {
                format!("\"{value}\" is not a valid date; write YYYY-MM-DD, for example 2026-10-01")
            }
            (UnknownKind { value, .. }, Lang::Zh) => {
                format!("类型“{value}”无效，只能是 day_off（放假）或 working_day（调休上班）")
            }
            (UnknownKind { value, .. }, Lang::En) => {
                format!(
                    "unknown kind \"{value}\"; use day_off (holiday) or working_day (make-up working day)"
                )
            }
            (MissingName { .. }, Lang::Zh) => "请填写中文和英文节日名".into(),
            (MissingName { .. }, Lang::En) => {
                "fill in the holiday's name in Chinese and in English".into()
            }
            (LineBreakInName { .. }, Lang::Zh) => {
                "节日名不能换行；请检查是否有未闭合的双引号".into()
            }
            (LineBreakInName { .. }, Lang::En) => {
                "a name cannot span lines; check for a double quote that is not closed".into()
            }
            (Unreadable { .. }, Lang::Zh) => "这一行无法读取，请检查双引号".into(),
            (Unreadable { .. }, Lang::En) => {
                "this line could not be read; check its double quotes".into()
            }
            (
                DuplicateDate {
                    date, first_line, ..
                },
                Lang::Zh,
            ) => {
                format!("日期 {date} 已在第 {first_line} 行出现，每个日期只能有一行")
            }
            (
                DuplicateDate {
                    date, first_line, ..
                },
                Lang::En,
            ) => {
                format!("{date} already appears on line {first_line}; one row per date")
            }
        };
        let line = self.line();
        match lang {
            Lang::Zh => format!("第 {line} 行：{problem}"),
            Lang::En => format!("Line {line}: {problem}"),
        }
    }
}

impl fmt::Display for CalendarCsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for CalendarCsvError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid test date")
    }

    #[test]
    fn csv_accepts_bom_crlf_blank_lines_and_no_op_rows() {
        let text = "\u{FEFF}date,kind,holiday_zh,holiday_en\r\n2025-01-01,day_off,元旦,New Year's Day\r\n\r\n\
                    2025-01-06,working_day,测试,Test\r\n2025-01-04,day_off,测试,Test\r\n";
        let days = parse_csv(text).expect("parses");
        assert_eq!(days.len(), 3);
        assert_eq!(days[1].date, date("2025-01-06"));
        assert_eq!(days[1].kind, DayKind::WorkingDay);
    }

    #[test]
    fn csv_reads_a_quoted_name_with_a_comma_and_doubled_quotes() {
        let text = "date,kind,holiday_zh,holiday_en\n\
                    2025-10-01,day_off,国庆节,\"National Day, Golden Week\"\n\
                    2025-10-02, day_off ,\"国庆节 \",\"The \"\"Golden\"\" Week\"\n";
        let days = parse_csv(text).expect("parses");
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].name_en, "National Day, Golden Week");
        assert_eq!(days[1].kind, DayKind::DayOff);
        assert_eq!(days[1].name_zh, "国庆节");
        assert_eq!(days[1].name_en, "The \"Golden\" Week");
    }

    #[test]
    fn csv_strips_the_byte_order_mark_before_the_header() {
        let text =
            "\u{FEFF}date,kind,holiday_zh,holiday_en\n2025-01-01,day_off,元旦,New Year's Day\n";
        let days = parse_csv(text).expect("parses");
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].date, date("2025-01-01"));
    }

    #[test]
    fn csv_refusals_name_the_line() {
        use CalendarCsvError::*;
        let header = "date,kind,holiday_zh,holiday_en\n";
        let ok = "2025-01-01,day_off,元旦,New Year's Day\n";
        let cases = [
            ("", BadHeader { line: 1 }),
            ("date,kind\n", BadHeader { line: 1 }),
            (
                &format!("{header}{ok}2025-02-30,day_off,a,b\n"),
                BadDate {
                    line: 3,
                    value: "2025-02-30".into(),
                },
            ),
            (
                &format!("{header}2025-01-02,off,a,b\n"),
                UnknownKind {
                    line: 2,
                    value: "off".into(),
                },
            ),
            (
                &format!("{header}{ok}{ok}"),
                DuplicateDate {
                    line: 3,
                    date: date("2025-01-01"),
                    first_line: 2,
                },
            ),
            (
                &format!("{header}2025-10-01,day_off,国庆节,National Day, Golden Week\n"),
                WrongColumnCount { line: 2, found: 5 },
            ),
            (
                &format!("{header}2025-10-01,day_off,,National Day\n"),
                MissingName { line: 2 },
            ),
            // The header is line 1 itself, not the first line with something on it.
            (&format!("\n{header}{ok}"), BadHeader { line: 1 }),
            // Blank lines and CRLF still count as one line each.
            (
                "date,kind,holiday_zh,holiday_en\r\n\r\n  \r\n\
                 2025-01-01,day_off,元旦,New Year's Day\r\n2025-01-01,day_off,元旦,New Year's Day\r\n",
                DuplicateDate {
                    line: 5,
                    date: date("2025-01-01"),
                    first_line: 4,
                },
            ),
            (
                &format!(
                    "{header}2025-10-01,day_off,\"国庆节,National Day\n2025-10-02,day_off,国庆节,National Day\n"
                ),
                WrongColumnCount { line: 2, found: 3 },
            ),
            (
                &format!(
                    "{header}2025-10-01,day_off,国庆节,\"National Day\n2025-10-02,day_off,国庆节,National Day\n"
                ),
                LineBreakInName { line: 2 },
            ),
        ];
        for (text, expected) in cases {
            let error = parse_csv(text).expect_err(text);
            assert_eq!(error, expected);
            assert!(
                error
                    .message(Lang::Zh)
                    .contains(&format!("第 {} 行", expected.line()))
            );
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("Line {}:", expected.line()))
            );
        }
    }
}
