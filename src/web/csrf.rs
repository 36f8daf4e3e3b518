//! CSRF for public forms without a login: a random browser id in a cookie, and in each
//! rendered form a one-time form key with an HMAC binding it to that browser.
//! A token from another browser, another server or no token at all is refused.
//! The form key also names the filing, so the same form sent twice is one filing.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::page;
use crate::keys::{Keys, random_token};

/// The browser id, and the cookie to set when the browser had none.
struct Browser {
    pub id: String,
    pub new_cookie: Option<Cookie<'static>>,
}

fn cookie_name(secure: bool) -> &'static str {
    // `__Host-` pins the cookie to this host and path "/", but browsers accept it only
    // over HTTPS.
    if secure {
        "__Host-ad_browser"
    } else {
        "ad_browser"
    }
}

fn browser(req: &HttpRequest, secure: bool) -> Browser {
    let name = cookie_name(secure);
    if let Some(c) = req.cookie(name).filter(|c| is_token_shaped(c.value())) {
        return Browser {
            id: c.value().to_owned(),
            new_cookie: None,
        };
    }
    let id = random_token();
    let cookie = Cookie::build(name, id.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(30))
        .finish();
    Browser {
        id,
        new_cookie: Some(cookie),
    }
}

/// A form page for a browser without a session: its token, and the browser cookie to
/// set with the page when the browser had none.
pub struct PublicForm {
    pub token: String,
    cookie: Option<Cookie<'static>>,
}

impl PublicForm {
    pub fn new(req: &HttpRequest, keys: &Keys, secure: bool) -> Self {
        let browser = browser(req, secure);
        Self {
            token: issue(keys, &browser.id),
            cookie: browser.new_cookie,
        }
    }

    /// A form page for `form_key`, a key chosen for it (a fresh form for the files a used
    /// form brought).
    pub fn for_key(req: &HttpRequest, keys: &Keys, secure: bool, form_key: &str) -> Self {
        let browser = browser(req, secure);
        Self {
            token: format!("{form_key}.{}", keys.csrf_tag(&browser.id, form_key)),
            cookie: browser.new_cookie,
        }
    }

    /// The key this form's token names (what its kept files and its filing are bound to).
    pub fn form_key(&self) -> &str {
        self.token.split_once('.').map_or("", |(key, _)| key)
    }

    /// The page, private to this browser (no-store), with the cookie when new.
    pub fn respond(self, status: StatusCode, body: String) -> HttpResponse {
        let mut response = page::private(page::builder(status));
        if let Some(cookie) = self.cookie {
            response.cookie(cookie);
        }
        response.body(body)
    }
}

/// A rendered form's token: `{form_key}.{tag}`.
fn issue(keys: &Keys, browser_id: &str) -> String {
    let form_key = random_token();
    let tag = keys.csrf_tag(browser_id, &form_key);
    format!("{form_key}.{tag}")
}

/// The form key of a valid token sent with this browser's cookie.
pub fn verify(keys: &Keys, req: &HttpRequest, secure: bool, token: &str) -> Option<String> {
    let cookie = req.cookie(cookie_name(secure))?;
    let (form_key, tag) = token.split_once('.')?;
    (is_token_shaped(form_key) && keys.verify_csrf_tag(cookie.value(), form_key, tag))
        .then(|| form_key.to_owned())
}

fn is_token_shaped(s: &str) -> bool {
    (16..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
