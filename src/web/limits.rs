//! Rate limits per client address at the doors that write or mail (`domain::throttle`):
//! over the limit a request is answered 429 with `Retry-After` and a page in the reader's
//! language before its body is read. Memory stays bounded: addresses whose allowance is
//! full again are swept every `RATE_LIMIT_SWEEP_SECS`, and past `RATE_LIMIT_MAX_ADDRESSES`
//! a door forgets everyone rather than grow.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimits;
use crate::domain::policy::{RATE_LIMIT_MAX_ADDRESSES, RATE_LIMIT_SWEEP_SECS};
use crate::domain::throttle::{Door, RateLimit, Throttled};
use crate::domain::{Lang, Refusal};
use crate::web::AppState;
use crate::web::client::ClientAddr;
use crate::web::page::{self, Chrome};

type Limiter = DefaultKeyedRateLimiter<IpAddr>;

/// One limiter per door, shared by every worker of a server.
pub struct Limiters {
    doors: Vec<(Door, Quota, RwLock<Arc<Limiter>>)>,
    /// Per API key (by its row id): a handful of keys, never swept.
    api_keys: DefaultKeyedRateLimiter<i64>,
}

fn quota(limit: RateLimit) -> Quota {
    let per_hour = NonZeroU32::new(limit.per_hour).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_hour(per_hour).allow_burst(burst)
}

impl Limiters {
    pub fn new(limits: &RateLimits) -> Arc<Self> {
        let doors = Door::ALL
            .into_iter()
            .map(|door| {
                let quota = quota(limits.get(door));
                (
                    door,
                    quota,
                    RwLock::new(Arc::new(RateLimiter::keyed(quota))),
                )
            })
            .collect();
        Arc::new(Self {
            doors,
            api_keys: RateLimiter::keyed(quota(limits.api_key)),
        })
    }

    /// Takes one call's room for the API key `key`, or says how long until there is some.
    pub fn check_api_key(&self, key: i64) -> Result<(), Throttled> {
        let limiter = &self.api_keys;
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            Throttled {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    fn limiter(&self, door: Door) -> Option<Arc<Limiter>> {
        let (_, _, limiter) = self.doors.iter().find(|(d, _, _)| *d == door)?;
        let limiter = limiter
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Some(limiter.clone())
    }

    /// Takes one request's room at `door` for `client`, or says how long until there is some.
    pub fn check(&self, door: Door, client: ClientAddr) -> Result<(), Throttled> {
        let Some(limiter) = self.limiter(door) else {
            return Ok(());
        };
        limiter.check_key(&client.limit_key()).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            Throttled {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets addresses whose allowance is full again; past the cap, forgets a door's all.
    pub fn sweep(&self) {
        for (door, quota, slot) in &self.doors {
            let current = slot.read().map(|l| l.clone());
            let Ok(limiter) = current else { continue };
            limiter.retain_recent();
            limiter.shrink_to_fit();
            if limiter.len() > RATE_LIMIT_MAX_ADDRESSES {
                tracing::warn!(
                    ?door,
                    addresses = limiter.len(),
                    "rate limit memory full: starting afresh"
                );
                if let Ok(mut slot) = slot.write() {
                    *slot = Arc::new(RateLimiter::keyed(*quota));
                }
            }
        }
    }

    /// Addresses remembered at `door`.
    pub fn remembered(&self, door: Door) -> usize {
        self.limiter(door).map_or(0, |l| l.len())
    }

    /// Sweeps every `RATE_LIMIT_SWEEP_SECS` on the runtime it is called on, for as long as
    /// the limiters live.
    pub fn keep_swept(self: &Arc<Self>) {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(RATE_LIMIT_SWEEP_SECS));
            every.tick().await;
            loop {
                every.tick().await;
                match weak.upgrade() {
                    Some(limiters) => limiters.sweep(),
                    None => break,
                }
            }
        });
    }
}

#[derive(Template)]
#[template(path = "errors/throttled.html")]
struct ThrottledPage {
    chrome: Chrome,
    message: String,
}

/// The 429 page, in the reader's language.
pub fn too_many(req: &HttpRequest, throttled: Throttled) -> HttpResponse {
    let lang: Lang = crate::web::i18n::from_request(req);
    let page = ThrottledPage {
        chrome: Chrome::new(req, lang),
        message: throttled.message(lang),
    };
    let mut response = page::private(page::builder(StatusCode::TOO_MANY_REQUESTS));
    response.insert_header((header::RETRY_AFTER, throttled.retry_after_secs.max(1)));
    match page.render() {
        Ok(body) => response.body(body),
        Err(_) => response
            .content_type("text/plain; charset=utf-8")
            .body(throttled.message(lang)),
    }
}

/// Counts a request at its door, if it knocks on one, before its body is read.
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The path as the router will match it (percent-decoded): `/appe%61ls` is `/appeals`.
    if let Some(door) = Door::of(req.method() == Method::POST, req.match_info().as_str()) {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let client = ClientAddr::of(req.request());
        if let Some(state) = state
            && let Err(throttled) = state.limits.check(door, client)
        {
            tracing::info!(?door, %client, "rate limited");
            let response = too_many(req.request(), throttled);
            return Ok(req.into_response(response).map_into_right_body());
        }
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_address_waits_and_others_do_not() {
        let limits = Limiters::new(&RateLimits::all(RateLimit {
            burst: 3,
            per_hour: 60,
        }));
        let a = ClientAddr("198.51.100.1".parse().unwrap());
        let b = ClientAddr("198.51.100.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(limits.check(Door::Filing, a), Ok(()));
        }
        let refused = limits.check(Door::Filing, a).unwrap_err();
        assert!((1..=60).contains(&refused.retry_after_secs), "{refused:?}");
        assert_eq!(limits.check(Door::Filing, b), Ok(()), "another address");
        assert_eq!(limits.check(Door::SignIn, a), Ok(()), "another door");
        assert_eq!(limits.remembered(Door::Filing), 2);
        limits.sweep();
        assert_eq!(limits.remembered(Door::Filing), 2, "both still owe time");
    }

    #[test]
    fn addresses_with_a_full_allowance_are_forgotten() {
        let limits = Limiters::new(&RateLimits::all(RateLimit {
            burst: 1_000,
            per_hour: 1_000_000,
        }));
        for i in 0..200u8 {
            let client = ClientAddr(IpAddr::from([10, 0, 0, i]));
            assert_eq!(limits.check(Door::Recovery, client), Ok(()));
        }
        assert_eq!(limits.remembered(Door::Recovery), 200);
        // A million an hour refills one request's room in 3.6 ms.
        std::thread::sleep(Duration::from_millis(20));
        limits.sweep();
        assert_eq!(limits.remembered(Door::Recovery), 0);
    }
}
