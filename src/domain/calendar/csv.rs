//! The calendar file a supervisor loads each year: `date,kind,holiday_zh,holiday_en`, one row
//! per date that departs from Monday–Friday. Names hold no commas, so no quoting is supported.

use std::collections::HashMap;
use std::fmt;

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
    DuplicateDate {
        line: usize,
        date: NaiveDate,
        first_line: usize,
    },
}

pub fn parse_csv(text: &str) -> Result<Vec<CalendarDay>, CalendarCsvError> {
    // Spreadsheets save CSV with a byte-order mark and CRLF line ends.
    let mut lines = text
        .trim_start_matches('\u{FEFF}')
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l));
    let header_ok = lines
        .next()
        .is_some_and(|(_, header)| header.split(',').map(str::trim).eq(HEADER));
    if !header_ok {
        return Err(CalendarCsvError::BadHeader { line: 1 });
    }
    let mut days = Vec::new();
    let mut seen: HashMap<NaiveDate, usize> = HashMap::new();
    for (line, text) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
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

impl CalendarCsvError {
    pub fn line(&self) -> usize {
        use CalendarCsvError::*;
        match self {
            BadHeader { line }
            | WrongColumnCount { line, .. }
            | BadDate { line, .. }
            | UnknownKind { line, .. }
            | MissingName { line }
            | DuplicateDate { line, .. } => *line,
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
                    "应有 4 列（日期，类型，中文节日名，英文节日名），实际 {found} 列；节日名中不能有逗号"
                )
            }
            (WrongColumnCount { found, .. }, Lang::En) => format!(
                "expected 4 columns (date, kind, Chinese name, English name), found {found}; \
                 names cannot contain commas"
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
