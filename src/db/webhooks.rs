//! Webhook endpoints and their deliveries. A delivery row is written by `queue_event`
//! in the transaction of the change it announces (called from the timeline's `append`,
//! which every change of a case passes), then delivered under a lease (`db::leased`).

use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::DbConn;
use super::schema::{cases, webhook_deliveries, webhook_endpoints};
use crate::domain::case_status::CaseStatus;
use crate::domain::ids::{CaseId, DeliveryId, EndpointId};
use crate::domain::stored::Stored;
use crate::domain::timeline::EventKind;
use crate::domain::webhook::{DeliveryStatus, Subscription, WebhookEvent};

#[derive(Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint<'a> {
    pub url: &'a str,
    pub events: &'a str,
    pub enabled: bool,
    pub secret: &'a str,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: EndpointId,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_expires_at: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
}

/// A claimed delivery: what a worker needs to send it (its endpoint is read at send).
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub event: WebhookEvent,
    pub message_id: String,
    pub payload: String,
    /// Including the claim that returned this row.
    pub attempts: i32,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A delivery as the console lists it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliverySummary {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub event: WebhookEvent,
    pub message_id: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

leased_queue! {
    queue: DeliveryQueue,
    table: webhook_deliveries,
    id: DeliveryId,
    row: DeliveryRow,
    status: DeliveryStatus { pending: Pending, done: Delivered, dead: Dead },
    done: |now| (webhook_deliveries::delivered_at.eq(now)),
    status_column: last_status,
}

pub fn insert_endpoint(conn: &mut DbConn, endpoint: &NewEndpoint<'_>) -> QueryResult<EndpointId> {
    diesel::insert_into(webhook_endpoints::table)
        .values(endpoint)
        .returning(webhook_endpoints::id)
        .get_result(conn)
}

pub fn endpoints(conn: &mut DbConn) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .order(webhook_endpoints::id)
        .select(EndpointRow::as_select())
        .load(conn)
}

pub fn endpoint(conn: &mut DbConn, id: EndpointId) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table
        .find(id)
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()
}

/// A new secret signs from now on; the current one keeps signing until `overlap_until`.
pub fn rotate(
    conn: &mut DbConn,
    id: EndpointId,
    secret: &str,
    overlap_until: NaiveDateTime,
) -> QueryResult<bool> {
    // The right-hand sides read the row as it was: the old secret moves to `previous`.
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::previous_secret.eq(webhook_endpoints::secret.nullable()),
            webhook_endpoints::previous_expires_at.eq(overlap_until),
            webhook_endpoints::secret.eq(secret),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Enabling starts the endpoint afresh: its failure streak and why it was disabled go.
pub fn set_enabled(
    conn: &mut DbConn,
    id: EndpointId,
    enabled: bool,
    reason: Option<&str>,
) -> QueryResult<bool> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::enabled.eq(enabled),
            webhook_endpoints::failing_since.eq(None::<NaiveDateTime>),
            webhook_endpoints::disabled_reason.eq(reason),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Deletes the endpoint and its deliveries.
pub fn delete_endpoint(conn: &mut DbConn, id: EndpointId) -> QueryResult<bool> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(id)))
        .execute(conn)?;
    diesel::delete(webhook_endpoints::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}

/// A delivery to the endpoint failed at `now`: returns since when it has been failing
/// (its first failure since the last success).
pub fn note_failure(
    conn: &mut DbConn,
    id: EndpointId,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::failing_since.is_null()),
    )
    .set(webhook_endpoints::failing_since.eq(now))
    .execute(conn)?;
    webhook_endpoints::table
        .find(id)
        .select(webhook_endpoints::failing_since)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()
        .map(Option::flatten)
}

pub fn note_success(conn: &mut DbConn, id: EndpointId) -> QueryResult<()> {
    diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::failing_since.is_not_null()),
    )
    .set(webhook_endpoints::failing_since.eq(None::<NaiveDateTime>))
    .execute(conn)
    .map(drop)
}

/// Disables an endpoint that is still enabled; `false` if it was not (another instance
/// disabled it first, or a supervisor did).
pub fn disable_failing(conn: &mut DbConn, id: EndpointId, reason: &str) -> QueryResult<bool> {
    diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::enabled.eq(true)),
    )
    .set((
        webhook_endpoints::enabled.eq(false),
        webhook_endpoints::disabled_reason.eq(reason),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The most recent deliveries of an endpoint, newest first.
pub fn recent(
    conn: &mut DbConn,
    endpoint: EndpointId,
    limit: i64,
) -> QueryResult<Vec<DeliverySummary>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(DeliverySummary::as_select())
        .load(conn)
}

/// (deliveries due now, dead deliveries), for `/metrics`.
pub fn gauges(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<(i64, i64)> {
    let due = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .count()
        .get_result(conn)?;
    let dead = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Dead))
        .count()
        .get_result(conn)?;
    Ok((due, dead))
}

#[derive(Insertable)]
#[diesel(table_name = webhook_deliveries)]
struct NewDelivery<'a> {
    endpoint_id: EndpointId,
    event: WebhookEvent,
    message_id: &'a str,
    payload: &'a str,
    status: DeliveryStatus,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// What a payload says of the case, read after the change.
#[derive(Queryable)]
struct CaseNow {
    case_number: String,
    status: CaseStatus,
    updated_at: NaiveDateTime,
    version: i64,
    review_target: NaiveDate,
    review_deadline: NaiveDate,
    reply_due: Option<NaiveDate>,
    decided_on: Option<NaiveDate>,
}

/// Queues the webhook a timeline entry announces, one delivery per enabled endpoint
/// subscribed to it; nothing when the entry announces none or nobody listens. Call it
/// in the transaction of the change, after the case row is written.
pub fn queue_event(
    conn: &mut DbConn,
    case_id: CaseId,
    kind: EventKind,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let Some(event) = WebhookEvent::for_timeline(kind) else {
        return Ok(());
    };
    let listening: Vec<EndpointId> = on_backend!(conn, |c| webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .select((webhook_endpoints::id, webhook_endpoints::events))
        .load::<(EndpointId, String)>(c))?
    .into_iter()
    .filter(|(_, events)| Subscription::from_stored_list(events).contains(event))
    .map(|(id, _)| id)
    .collect();
    if listening.is_empty() {
        return Ok(());
    }
    let case: CaseNow = cases::table
        .find(case_id)
        .select((
            cases::case_number,
            cases::status,
            cases::updated_at,
            cases::version,
            cases::review_target,
            cases::review_deadline,
            cases::reply_due,
            cases::decided_on,
        ))
        .first(conn)?;
    let payload = payload(event, kind, &case, at).to_string();
    for endpoint_id in listening {
        let message_id = format!("msg_{}", crate::keys::random_token());
        diesel::insert_into(webhook_deliveries::table)
            .values(&NewDelivery {
                endpoint_id,
                event,
                message_id: &message_id,
                payload: &payload,
                status: DeliveryStatus::Pending,
                next_attempt_at: at,
                created_at: at,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Thin on purpose: the case's number, status and last change, and the event's own
/// facts; a receiver reads the rest through the API. Never a tracking link, a mail or
/// a file.
fn payload(event: WebhookEvent, kind: EventKind, case: &CaseNow, at: NaiveDateTime) -> Value {
    let time = |t: NaiveDateTime| t.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true);
    let date = |d: NaiveDate| Value::String(d.format("%Y-%m-%d").to_string());
    let mut data = Map::new();
    data.insert("case_number".into(), json!(case.case_number));
    data.insert("status".into(), json!(case.status.stored()));
    data.insert("updated_at".into(), json!(time(case.updated_at)));
    data.insert("version".into(), json!(case.version));
    let mut put = |key: &str, value: Value| {
        data.insert(key.to_owned(), value);
    };
    match event {
        WebhookEvent::Decided => {
            let outcome = if kind == EventKind::Approved {
                "approved"
            } else {
                "rejected"
            };
            put("outcome", json!(outcome));
            if let Some(on) = case.decided_on {
                put("decided_on", date(on));
            }
        }
        WebhookEvent::Closed => {
            let reason = if kind == EventKind::CarriedOut {
                "carried_out"
            } else {
                "no_response"
            };
            put("reason", json!(reason));
        }
        WebhookEvent::EvidenceRequested => {
            if let Some(due) = case.reply_due {
                put("reply_due", date(due));
            }
        }
        WebhookEvent::Filed | WebhookEvent::Replied | WebhookEvent::DatesMoved => {
            put("review_target", date(case.review_target));
            put("review_deadline", date(case.review_deadline));
            if let Some(due) = case.reply_due {
                put("reply_due", date(due));
            }
        }
        WebhookEvent::Withdrawn | WebhookEvent::Voided => {}
    }
    json!({
        "type": event.stored(),
        "timestamp": time(at),
        "data": data,
    })
}
