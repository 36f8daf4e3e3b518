//! What the console's layout shows on every page, and the one set-up every console page
//! starts from.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::auth::SignedIn;
use crate::domain::Lang;
use crate::web::errors::AppError;
use crate::web::i18n;
use crate::web::page::Chrome;

pub struct Me {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub is_supervisor: bool,
    pub calendar_missing: Option<i32>,
}

impl Me {
    pub fn new(who: &SignedIn, lang: Lang) -> Self {
        Self {
            name: who.agent.name.clone(),
            role: who.role.label(lang),
            csrf: who.csrf.clone(),
            is_supervisor: who.is_supervisor(),
            calendar_missing: who.calendar_missing,
        }
    }
}

/// A console page's starting point: who is signed in, in which language, and the parts
/// of the layout (`chrome`, `me`) every console template takes.
pub struct ConsolePage {
    pub who: SignedIn,
    pub lang: Lang,
    pub chrome: Chrome,
    pub me: Me,
}

impl ConsolePage {
    pub fn new(req: &HttpRequest, who: &SignedIn, lang: Lang) -> Self {
        Self {
            who: who.clone(),
            lang,
            chrome: Chrome::new(req, lang),
            me: Me::new(who, lang),
        }
    }
}

impl FromRequest for ConsolePage {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The route table's access check has put the account in the request.
        let who = req.extensions().get::<SignedIn>().cloned();
        ready(match who {
            Some(who) => Ok(Self::new(req, &who, i18n::from_request(req))),
            None => Err(AppError::SignInRequired.into()),
        })
    }
}
