//! What `base.html` needs on every page, and rendering with a status.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use askama::Template;
use chrono::{Datelike, NaiveDate};

use super::assets;
use super::errors::AppResult;
use crate::domain::Lang;
use crate::domain::calendar::Arrangements;
use crate::domain::date_format::{DateFormat, ISO_DATE};

pub struct Chrome {
    pub lang: Lang,
    /// This page's path and query, for the language switch to come back to.
    pub here: String,
    pub css: &'static str,
}

impl Chrome {
    pub fn new(req: &HttpRequest, lang: Lang) -> Self {
        let here = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => "/".to_owned(),
        };
        Self {
            lang,
            here,
            css: assets::css_url(),
        }
    }

    /// `/lang/en?next=...`: the visible switch works without JavaScript.
    pub fn switch_url(&self) -> String {
        // One pair of strings always serializes; without `next` the switch returns home.
        let query = serde_urlencoded::to_string([("next", &self.here)]).unwrap_or_default();
        format!("/lang/{}?{query}", self.lang.other().code())
    }
}

/// 303 See Other: after a POST, and for every redirect we send.
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.into()))
        .finish()
}

pub fn render(status: StatusCode, page: &impl Template) -> AppResult<HttpResponse> {
    Ok(builder(status).body(page.render()?))
}

/// A page that echoes what a person sent (their evidence): never kept by a cache.
pub fn render_private(status: StatusCode, page: &impl Template) -> AppResult<HttpResponse> {
    Ok(private(builder(status)).body(page.render()?))
}

pub fn builder(status: StatusCode) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.content_type("text/html; charset=utf-8");
    b
}

/// Pages that show a case are private to whoever holds the link.
pub fn private(mut b: HttpResponseBuilder) -> HttpResponseBuilder {
    b.insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// A date for `<time datetime="…">`: ISO for machines, words for people.
pub struct DateView {
    pub iso: String,
    pub label: String,
    /// Counted in a year whose official arrangement is not loaded yet: the note to show
    /// (`templates/provisional.html`).
    pub provisional: Option<&'static str>,
}

impl DateView {
    pub fn new(lang: Lang, date: NaiveDate) -> Self {
        const WEEKDAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
        static ZH: DateFormat = DateFormat::new("%Y年%-m月%-d日");
        static EN: DateFormat = DateFormat::new("%a %-d %b %Y");
        let label = match lang {
            Lang::Zh => format!(
                "{}（{}）",
                ZH.date(date),
                WEEKDAYS_ZH[date.weekday().num_days_from_monday() as usize]
            ),
            Lang::En => EN.date(date).to_string(),
        };
        Self {
            iso: ISO_DATE.date(date).to_string(),
            label,
            provisional: None,
        }
    }

    /// The date, marked provisional when its year has no loaded arrangement.
    pub fn counted(lang: Lang, date: NaiveDate, arrangements: &Arrangements) -> Self {
        Self {
            provisional: arrangements.note(lang, date),
            ..Self::new(lang, date)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_reads_with_its_weekday_in_each_language() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let zh = DateView::new(Lang::Zh, day);
        assert_eq!(zh.label, "2026年11月28日（周六）");
        assert_eq!(zh.iso, "2026-11-28");
        assert_eq!(DateView::new(Lang::En, day).label, "Sat 28 Nov 2026");
    }

    #[test]
    fn language_switch_carries_the_whole_path_and_query_back() {
        let here = "/agent/cases?status=all&q=a+b%20c&kind=";
        let chrome = Chrome {
            lang: Lang::Zh,
            here: here.to_owned(),
            css: "",
        };
        let url = chrome.switch_url();
        let (path, query) = url.split_once('?').expect("a query");
        assert_eq!(path, "/lang/en");
        assert_eq!(query.matches('&').count(), 0, "{url}");
        let decoded: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("decodes");
        assert_eq!(decoded, vec![("next".to_owned(), here.to_owned())]);
    }
}
