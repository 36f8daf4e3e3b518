//! strftime formats parsed once: a page formats many dates, and parsing the format
//! string again for each showed up in the tracking page's profile.

use std::fmt::Display;
use std::sync::OnceLock;

use chrono::format::{DelayedFormat, Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate};

pub struct DateFormat {
    spec: &'static str,
    items: OnceLock<Vec<Item<'static>>>,
}

impl DateFormat {
    pub const fn new(spec: &'static str) -> Self {
        Self {
            spec,
            items: OnceLock::new(),
        }
    }

    fn items(&self) -> std::slice::Iter<'_, Item<'static>> {
        self.items
            .get_or_init(|| {
                StrftimeItems::new(self.spec)
                    .parse()
                    .unwrap_or_else(|e| panic!("the format {:?}: {e}", self.spec))
            })
            .iter()
    }

    pub fn date(&self, date: NaiveDate) -> DelayedFormat<std::slice::Iter<'_, Item<'static>>> {
        date.format_with_items(self.items())
    }

    pub fn date_time(&self, at: DateTime<FixedOffset>) -> impl Display + '_ {
        at.format_with_items(self.items())
    }
}

/// `2026-11-28`
pub static ISO_DATE: DateFormat = DateFormat::new("%Y-%m-%d");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compiled_format_prints_what_the_format_string_does() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 7).unwrap();
        for spec in ["%Y-%m-%d", "%Y年%-m月%-d日（%a）", "%a %-d %b %Y", "%m-%d"] {
            let format = DateFormat::new(spec);
            assert_eq!(format.date(day).to_string(), day.format(spec).to_string());
            assert_eq!(format.date(day).to_string(), format.date(day).to_string());
        }
    }
}
