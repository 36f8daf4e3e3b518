//! The agents' console under `/agent`. Every route is declared once, in `routes!`
//! below, with who may use it; the router enforces that before any handler runs
//! (`auth::require`), and a test walks the list to prove each one keeps its word.

pub mod api_keys;
pub mod auth;
pub mod bulk;
pub mod calendar;
pub mod case;
pub mod case_actions;
pub mod dashboard;
pub mod export;
pub mod layout;
pub mod mail;
pub mod me;
pub mod queue;
pub mod replies;
pub mod security;
pub mod session_store;
pub mod svg;
pub mod webhooks;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{guard, web};

use crate::web::AppState;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The sign-in page itself.
    Public,
    /// Any signed-in account, also one that `REQUIRE_MFA` keeps to its security page
    /// until it has a second factor: that page and signing out.
    Enrolling,
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
            $(cfg.service(
                web::resource($path.strip_prefix("/agent").unwrap_or($path))
                    // Per method, so that GET and POST of one path are separate routes.
                    .guard(guard::Method(method(stringify!($method))))
                    .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                        auth::require(Access::$access, req, next)
                    }))
                    .route(web::$method().to($handler)),
            );)*
        }
    };
}

routes! {
    get "/agent/login" Public => auth::login_form;
    post "/agent/login" Public => auth::login;
    get "/agent/login/code" Public => security::code_form;
    post "/agent/login/code" Public => security::code;
    post "/agent/logout" Enrolling => auth::logout;
    get "/agent/security" Enrolling => security::show;
    post "/agent/security/start" Enrolling => security::start;
    post "/agent/security/turn-on" Enrolling => security::with_code::<security::TurnOn>;
    post "/agent/security/turn-off" Enrolling => security::with_code::<security::TurnOff>;
    post "/agent/security/recovery-codes" Enrolling => security::with_code::<security::RenewCodes>;
    get "/agent" Agent => queue::home;
    get "/agent/me" Agent => me::show;
    post "/agent/me" Agent => me::save;
    get "/agent/cases" Agent => queue::show;
    get "/agent/cases.csv" Agent => queue::export;
    post "/agent/cases/bulk" Agent => bulk::apply;
    get "/agent/cases/{case_number}" Agent => case::show;
    get "/agent/cases/{case_number}/files/{file_key}" Agent => case::file;
    post "/agent/cases/{case_number}/claim" Agent => case_actions::act::<case_actions::Claim>;
    post "/agent/cases/{case_number}/assign" Supervisor => case_actions::act::<case_actions::Assign>;
    post "/agent/cases/{case_number}/request-evidence" Agent => case_actions::act::<case_actions::RequestEvidence>;
    post "/agent/cases/{case_number}/decide" Agent => case_actions::act::<case_actions::Decide>;
    post "/agent/cases/{case_number}/carried-out" Agent => case_actions::act::<case_actions::CarriedOut>;
    post "/agent/cases/{case_number}/void" Supervisor => case_actions::act::<case_actions::Void>;
    post "/agent/cases/{case_number}/notes" Agent => case_actions::act::<case_actions::Note>;
    get "/agent/replies" Supervisor => replies::show;
    post "/agent/replies" Supervisor => replies::add;
    post "/agent/replies/{id}/delete" Supervisor => replies::delete;
    get "/agent/dashboard" Supervisor => dashboard::show;
    get "/agent/calendar" Supervisor => calendar::show;
    post "/agent/calendar" Supervisor => calendar::load_year;
    post "/agent/calendar/ics" Supervisor => calendar::load_ics;
    get "/agent/mail" Supervisor => mail::show;
    post "/agent/mail/{id}/resend" Supervisor => mail::resend;
    get "/agent/api-keys" Supervisor => api_keys::show;
    post "/agent/api-keys" Supervisor => api_keys::create;
    post "/agent/api-keys/revoke" Supervisor => api_keys::revoke;
    get "/agent/webhooks" Supervisor => webhooks::show;
    post "/agent/webhooks" Supervisor => webhooks::add;
    post "/agent/webhooks/{id}/rotate" Supervisor => webhooks::rotate;
    post "/agent/webhooks/{id}/enabled" Supervisor => webhooks::set_enabled;
    post "/agent/webhooks/{id}/delete" Supervisor => webhooks::delete;
    post "/agent/webhooks/deliveries/{id}/replay" Supervisor => webhooks::replay;
}

fn method(name: &str) -> Method {
    match name {
        "post" => Method::POST,
        _ => Method::GET,
    }
}

pub fn scope(state: &AppState) -> impl actix_web::dev::HttpServiceFactory + use<> {
    web::scope("/agent")
        // Console pages show appellants' evidence: never kept by a browser or a proxy.
        .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
        .wrap(auth::session_middleware(state))
        .configure(register)
}
