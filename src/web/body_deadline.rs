//! A request body must arrive in time: actix-web's `client_request_timeout` covers the
//! head only, so a body that trickles in would hold its connection (and its upload
//! budget) forever. Every body is read through a deadline, `BODY_TIMEOUT_SECS` after it
//! began plus the time its bytes so far earn at `BODY_MIN_BYTES_PER_SEC`, and never more
//! than `BODY_TIMEOUT_SECS` after its last bytes (a stall is not covered by time earned
//! earlier); past it the request is answered 408 and its connection closed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::domain::policy::BODY_MIN_BYTES_PER_SEC;
use crate::web::AppState;
use crate::web::errors::AppError;

/// The body stream, failing once its deadline passes.
struct Deadline<S> {
    inner: S,
    timer: Pin<Box<Sleep>>,
    started: Instant,
    allowed: Duration,
    received: u64,
    expired: Arc<AtomicBool>,
}

impl<S> Stream for Deadline<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            if let Some(Ok(bytes)) = &item {
                this.received += bytes.len() as u64;
                let earned =
                    Duration::from_secs_f64(this.received as f64 / BODY_MIN_BYTES_PER_SEC as f64);
                let rate = this.started + this.allowed + earned;
                let stall = Instant::now() + this.allowed;
                this.timer.as_mut().reset(rate.min(stall));
            }
            return Poll::Ready(item);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.expired.store(true, Ordering::SeqCst);
                Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body did not arrive in time",
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Reads the request's body through its deadline; 408 and a closed connection past it.
pub async fn enforce(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let allowed = req.app_data::<web::Data<AppState>>().map_or(
        Duration::from_secs(crate::domain::policy::BODY_TIMEOUT_SECS),
        |s| s.body_timeout,
    );
    let expired = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let body = Deadline {
        inner: req.take_payload(),
        timer: Box::pin(tokio::time::sleep_until(started + allowed)),
        started,
        allowed,
        received: 0,
        expired: expired.clone(),
    };
    let body: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(body);
    req.set_payload(Payload::from(body));
    let response = next.call(req).await;
    if !expired.load(Ordering::SeqCst) {
        return response.map(ServiceResponse::map_into_left_body);
    }
    let Ok(response) = response else {
        return Err(AppError::BodyTimeout.into());
    };
    tracing::info!("request body did not arrive in time");
    let mut timed_out: HttpResponse = AppError::BodyTimeout.error_response();
    timed_out
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    Ok(response.into_response(timed_out).map_into_right_body())
}
