//! What `base.html` needs on every page, and rendering with a status.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use askama::Template;
use chrono::NaiveDate;

use super::assets;
use super::errors::AppResult;
use crate::domain::Lang;
use crate::domain::calendar::Arrangements;

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
        let label = match lang {
            Lang::Zh => date.format("%Y年%-m月%-d日（%a）").to_string(),
            Lang::En => date.format("%a %-d %b %Y").to_string(),
        };
        Self {
            iso: date.format("%Y-%m-%d").to_string(),
            label: match lang {
                Lang::Zh => weekday_zh(label),
                Lang::En => label,
            },
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

fn weekday_zh(label: String) -> String {
    const DAYS: [(&str, &str); 7] = [
        ("Mon", "周一"),
        ("Tue", "周二"),
        ("Wed", "周三"),
        ("Thu", "周四"),
        ("Fri", "周五"),
        ("Sat", "周六"),
        ("Sun", "周日"),
    ];
    DAYS.iter().fold(label, |l, (en, zh)| l.replace(en, zh))
}

#[cfg(test)]
mod tests {
    use super::*;

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
