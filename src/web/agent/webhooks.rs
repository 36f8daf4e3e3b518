//! `/agent/webhooks` (supervisors): endpoints that receive signed events, their recent
//! deliveries, and the actions on them. A new or rotated secret is shown in the answer
//! to that POST only: it is never shown again.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::{CsrfProtected, TokenOnly, Verified};
use super::layout::{ConsolePage, Me};
use crate::domain::ids::{DeliveryId, EndpointId};
use crate::domain::stored::Stored;
use crate::domain::webhook::WebhookEvent;
use crate::domain::{Lang, Refusal};
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::page::{self, Chrome};
use crate::workflows::webhooks::{self, EndpointForm, EndpointView};

const PAGE: &str = "/agent/webhooks";

/// A checkbox of the form.
struct EventChoice {
    name: &'static str,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "agent/webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    me: Me,
    endpoints: Vec<EndpointView>,
    choices: Vec<EventChoice>,
    form_url: String,
    form_enabled: bool,
    problem: Option<String>,
    /// A secret just made, for the endpoint it signs for: shown this once.
    secret: Option<(EndpointId, String)>,
}

struct Form {
    url: String,
    events: Vec<String>,
    enabled: bool,
}

impl Default for Form {
    fn default() -> Self {
        Self {
            url: String::new(),
            events: WebhookEvent::ALL
                .iter()
                .map(|e| e.stored().to_owned())
                .collect(),
            enabled: true,
        }
    }
}

async fn render(
    state: &AppState,
    console: ConsolePage,
    status: StatusCode,
    form: Form,
    problem: Option<String>,
    secret: Option<(EndpointId, String)>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let endpoints = state
        .store
        .read(move |conn| webhooks::endpoints(conn, now))
        .await??;
    let lang = console.lang;
    let page = WebhooksPage {
        chrome: console.chrome,
        me: console.me,
        endpoints,
        choices: choices(lang, &form.events),
        form_url: form.url,
        form_enabled: form.enabled,
        problem,
        secret,
    };
    Ok(page::private(page::builder(status)).body(page.render()?))
}

fn choices(lang: Lang, checked: &[String]) -> Vec<EventChoice> {
    WebhookEvent::ALL
        .iter()
        .map(|e| EventChoice {
            name: e.stored(),
            label: e.describe(lang),
            checked: checked.iter().any(|c| c == e.stored()),
        })
        .collect()
}

pub async fn show(state: web::Data<AppState>, console: ConsolePage) -> AppResult<HttpResponse> {
    render(&state, console, StatusCode::OK, Form::default(), None, None).await
}

/// The form to add an endpoint: its events are checkboxes named after them.
#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl CsrfProtected for AddForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn add(
    state: web::Data<AppState>,
    console: ConsolePage,
    v: Verified<AddForm>,
) -> AppResult<HttpResponse> {
    let form = v.form;
    let events: Vec<String> = form
        .rest
        .into_keys()
        .filter(|k| WebhookEvent::from_stored(k).is_some())
        .collect();
    let typed = Form {
        url: form.url,
        events,
        enabled: form.enabled.is_some(),
    };
    let request = EndpointForm {
        url: typed.url.clone(),
        events: typed.events.clone(),
        enabled: typed.enabled,
    };
    let actor = v.who.actor();
    let added = webhooks::add(
        &state.store,
        request,
        state.webhooks.allow_private,
        &actor,
        state.clock.now(),
    )
    .await?;
    match added {
        Ok(created) => {
            let secret = Some((created.id, created.secret));
            render(
                &state,
                console,
                StatusCode::OK,
                Form::default(),
                None,
                secret,
            )
            .await
        }
        Err(refused) => {
            let problem = Some(refused.message(console.lang));
            render(
                &state,
                console,
                StatusCode::UNPROCESSABLE_ENTITY,
                typed,
                problem,
                None,
            )
            .await
        }
    }
}

pub async fn rotate(
    state: web::Data<AppState>,
    console: ConsolePage,
    id: web::Path<i64>,
    _v: Verified<TokenOnly>,
) -> AppResult<HttpResponse> {
    let (id, now) = (EndpointId::new(id.into_inner()), state.clock.now());
    match state
        .store
        .write(move |conn| webhooks::rotate(conn, id, now))
        .await??
    {
        Some(secret) => {
            render(
                &state,
                console,
                StatusCode::OK,
                Form::default(),
                None,
                Some((id, secret)),
            )
            .await
        }
        None => Ok(page::see_other(PAGE)),
    }
}

#[derive(Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    csrf_token: String,
    /// "on" enables; anything else (or nothing) disables.
    #[serde(default)]
    enable: String,
}

impl CsrfProtected for EnabledForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

pub async fn set_enabled(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    v: Verified<EnabledForm>,
) -> AppResult<HttpResponse> {
    let (id, enabled) = (EndpointId::new(id.into_inner()), v.form.enable == "on");
    state
        .store
        .write(move |conn| webhooks::set_enabled(conn, id, enabled))
        .await??;
    Ok(page::see_other(PAGE))
}

pub async fn delete(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _v: Verified<TokenOnly>,
) -> AppResult<HttpResponse> {
    let id = EndpointId::new(id.into_inner());
    state
        .store
        .write(move |conn| webhooks::delete(conn, id))
        .await??;
    Ok(page::see_other(PAGE))
}

pub async fn replay(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    _v: Verified<TokenOnly>,
) -> AppResult<HttpResponse> {
    let (id, now) = (DeliveryId::new(id.into_inner()), state.clock.now());
    // Not dead (delivered or replayed meanwhile): the list shows how things stand.
    state
        .store
        .write(move |conn| webhooks::replay(conn, id, now))
        .await??;
    Ok(page::see_other(PAGE))
}
