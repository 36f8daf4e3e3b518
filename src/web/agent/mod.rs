//! The agents' console under `/agent`. Every route is declared once, in `routes!`
//! below, with who may use it; a test walks the list to prove each one keeps its word.

pub mod auth;
pub mod calendar;
pub mod case;
pub mod case_actions;
pub mod dashboard;
pub mod export;
pub mod layout;
pub mod mail;
pub mod queue;
pub mod session_store;
pub mod svg;

use actix_web::web;

use crate::web::AppState;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The sign-in page itself.
    Public,
    /// Any signed-in account.
    Agent,
    Supervisor,
}

#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

macro_rules! routes {
    ($($method:ident $path:literal $access:ident => $handler:path;)*) => {
        /// Every console route, as registered.
        pub const ROUTES: &[Route] = &[$(Route {
            method: stringify!($method),
            path: $path,
            access: Access::$access,
        }),*];

        fn register(cfg: &mut web::ServiceConfig) {
            cfg$(.route(
                $path.strip_prefix("/agent").unwrap_or($path),
                web::$method().to($handler),
            ))*;
        }
    };
}

routes! {
    get "/agent/login" Public => auth::login_form;
    post "/agent/login" Public => auth::login;
    post "/agent/logout" Agent => auth::logout;
    get "/agent" Agent => queue::home;
    get "/agent/cases" Agent => queue::show;
    get "/agent/cases.csv" Agent => queue::export;
    get "/agent/cases/{case_number}" Agent => case::show;
    post "/agent/cases/{case_number}/claim" Agent => case_actions::claim;
    post "/agent/cases/{case_number}/assign" Supervisor => case_actions::assign;
    post "/agent/cases/{case_number}/request-evidence" Agent => case_actions::request_evidence;
    post "/agent/cases/{case_number}/decide" Agent => case_actions::decide;
    post "/agent/cases/{case_number}/carried-out" Agent => case_actions::carried_out;
    post "/agent/cases/{case_number}/void" Supervisor => case_actions::void;
    post "/agent/cases/{case_number}/notes" Agent => case_actions::note;
    get "/agent/dashboard" Supervisor => dashboard::show;
    get "/agent/calendar" Supervisor => calendar::show;
    post "/agent/calendar" Supervisor => calendar::load_year_handler;
    get "/agent/mail" Supervisor => mail::show;
    post "/agent/mail/{id}/resend" Supervisor => mail::resend;
}

pub fn scope(state: &AppState) -> impl actix_web::dev::HttpServiceFactory + use<> {
    web::scope("/agent")
        .wrap(auth::session_middleware(state))
        .configure(register)
}
