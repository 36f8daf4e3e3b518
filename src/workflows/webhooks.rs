//! For supervisors: webhook endpoints (add with a secret shown once, rotate, enable or
//! disable, delete) and their recent deliveries, with a replay of a dead one.

use chrono::{DateTime, Utc};

use super::Failure;
use crate::db::webhooks::{DeliverySummary, EndpointRow, NewEndpoint};
use crate::db::{self, DbConn};
use crate::domain::Actor;
use crate::domain::ids::{DeliveryId, EndpointId};
use crate::domain::webhook::{
    DeliveryStatus, EndpointError, EndpointUrl, Subscription, WebhookEvent,
};
use crate::domain::{cst, policy};
use crate::storage::Store;
use crate::webhooks::client::check_address;
use crate::webhooks::sign::new_secret;

/// An endpoint as the console shows it (never its secret).
pub struct EndpointView {
    pub id: EndpointId,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub enabled: bool,
    pub created_by: String,
    /// China time, like every time below.
    pub created_at: String,
    pub failing_since: Option<String>,
    pub disabled_reason: Option<String>,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_signs_until: Option<String>,
    pub deliveries: Vec<DeliveryView>,
}

pub struct DeliveryView {
    pub id: DeliveryId,
    pub event: WebhookEvent,
    pub message_id: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The receiver's last HTTP status, else the last error (connection refused...).
    pub last: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

impl DeliveryView {
    pub fn is_dead(&self) -> bool {
        self.status == DeliveryStatus::Dead
    }
}

fn local(at: chrono::NaiveDateTime) -> String {
    cst::format_local(at.and_utc())
}

fn view(
    endpoint: EndpointRow,
    deliveries: Vec<DeliverySummary>,
    now: DateTime<Utc>,
) -> EndpointView {
    EndpointView {
        id: endpoint.id,
        events: Subscription::from_stored_list(&endpoint.events)
            .events()
            .to_vec(),
        url: endpoint.url,
        enabled: endpoint.enabled,
        created_by: endpoint.created_by,
        created_at: local(endpoint.created_at),
        failing_since: endpoint.failing_since.map(local),
        disabled_reason: endpoint.disabled_reason,
        previous_signs_until: endpoint
            .previous_expires_at
            .filter(|until| *until > now.naive_utc())
            .map(local),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                event: d.event,
                message_id: d.message_id,
                status: d.status,
                attempts: d.attempts,
                last: match (d.last_status, d.last_error) {
                    (Some(status), _) => Some(format!("HTTP {status}")),
                    (None, error) => error,
                },
                created_at: local(d.created_at),
                delivered_at: d.delivered_at.map(local),
            })
            .collect(),
    }
}

/// Every endpoint with its recent deliveries, oldest endpoint first.
pub fn endpoints(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<EndpointView>, Failure> {
    let mut views = Vec::new();
    for endpoint in db::webhooks::endpoints(conn)? {
        let recent = db::webhooks::recent(conn, endpoint.id, policy::WEBHOOK_RECENT_DELIVERIES)?;
        views.push(view(endpoint, recent, now));
    }
    Ok(views)
}

/// What a supervisor typed into the form, unparsed.
pub struct EndpointForm {
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

/// A new endpoint and its secret, to be shown once.
pub struct Created {
    pub id: EndpointId,
    pub secret: String,
}

/// Adds an endpoint: a URL we may call (its host resolved now; refused inside our own
/// network unless `allow_private`), at least one event. The secret is returned once and
/// shown once.
pub async fn add(
    store: &Store,
    form: EndpointForm,
    allow_private: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Result<Created, EndpointError>, Failure> {
    let url = match EndpointUrl::parse(&form.url) {
        Ok(url) => url,
        Err(refused) => return Ok(Err(refused)),
    };
    let events = match Subscription::parse(form.events.iter().map(String::as_str)) {
        Ok(events) => events,
        Err(refused) => return Ok(Err(refused)),
    };
    if let Err(refused) = check_address(&url, allow_private).await {
        return Ok(Err(refused));
    }
    let secret = new_secret();
    let created_by = actor.name().to_owned();
    let enabled = form.enabled;
    store
        .write(move |conn| {
            let id = db::webhooks::insert_endpoint(
                conn,
                &NewEndpoint {
                    url: url.as_str(),
                    events: &events.stored(),
                    enabled,
                    secret: &secret,
                    created_by: &created_by,
                    created_at: now.naive_utc(),
                },
            )?;
            Ok::<_, Failure>(Ok(Created { id, secret }))
        })
        .await?
}

/// A new secret; the old one keeps signing for `policy::WEBHOOK_ROTATION_OVERLAP_HOURS`,
/// so receivers can switch without missing a delivery. `None`: no such endpoint.
pub fn rotate(
    conn: &mut DbConn,
    id: EndpointId,
    now: DateTime<Utc>,
) -> Result<Option<String>, Failure> {
    let secret = new_secret();
    let until = now + chrono::Duration::hours(policy::WEBHOOK_ROTATION_OVERLAP_HOURS);
    Ok(db::webhooks::rotate(conn, id, &secret, until.naive_utc())?.then_some(secret))
}

/// Enables (afresh: its failure streak forgotten) or disables an endpoint. Deliveries
/// due while it is disabled go dead, to be replayed once it is enabled again.
pub fn set_enabled(conn: &mut DbConn, id: EndpointId, enabled: bool) -> Result<bool, Failure> {
    let reason = (!enabled).then_some("disabled by a supervisor");
    Ok(db::webhooks::set_enabled(conn, id, enabled, reason)?)
}

pub fn delete(conn: &mut DbConn, id: EndpointId) -> Result<bool, Failure> {
    Ok(db::write_tx(conn, |conn| {
        db::webhooks::delete_endpoint(conn, id)
    })?)
}

/// A dead delivery is due again now, attempts from zero, with the same `webhook-id` (a
/// receiver that did get it after all recognises it). `false`: it was not dead.
pub fn replay(conn: &mut DbConn, id: DeliveryId, now: DateTime<Utc>) -> Result<bool, Failure> {
    Ok(db::webhooks::revive(conn, id, now.naive_utc())?)
}
