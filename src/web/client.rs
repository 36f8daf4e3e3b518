//! Who is asking: the client's address, found once per request and used by every limit
//! and every log line. `X-Forwarded-For` is believed only from a trusted proxy, and only
//! up to the first address that is not one of ours (rightmost untrusted): a client can
//! write anything to the left of that, never to the right.

use std::future::{Ready, ready};
use std::net::{IpAddr, SocketAddr};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::config::TrustedProxies;
use crate::config::edge::canonical;
use crate::web::AppState;

/// The client's address as this server believes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ClientAddr {
    /// The peer, unless it is a trusted proxy: then the rightmost address in
    /// `X-Forwarded-For` that is not trusted (or the leftmost, when all are). An entry
    /// that is not an address ends the walk at the last good one.
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> ClientAddr {
        let mut client = canonical(peer);
        if !trusted.contains(client) {
            return ClientAddr(client);
        }
        // Several headers read as one list, in order; split as bytes, so that a client's
        // junk on the left cannot spoil the entry our proxy appended on the right.
        let hops: Vec<Option<&str>> = headers
            .get_all("x-forwarded-for")
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(|hop| std::str::from_utf8(hop).ok().map(str::trim))
            .collect();
        for hop in hops.iter().rev() {
            let Some(ip) = hop.and_then(parse_hop) else {
                break;
            };
            client = canonical(ip);
            if !trusted.contains(client) {
                break;
            }
        }
        ClientAddr(client)
    }

    /// As `identify` found it; the peer where it has not run (never a header).
    pub fn of(req: &HttpRequest) -> ClientAddr {
        let found = req.extensions().get::<ClientAddr>().copied();
        found.unwrap_or_else(|| {
            ClientAddr(
                req.peer_addr()
                    .map_or(IpAddr::from([0, 0, 0, 0]), |a| canonical(a.ip())),
            )
        })
    }

    /// The key the rate limits count under: an IPv6 client usually holds a whole /64.
    pub fn limit_key(self) -> IpAddr {
        match self.0 {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
            v4 => v4,
        }
    }
}

/// `1.2.3.4`, `2001:db8::1`, or with a port: `1.2.3.4:5678`, `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The route pattern a request matches (`/track/{token}`: never the token), or
/// "(no route)". Found once for the log and the metrics: each lookup walks the route
/// table and its patterns.
pub struct Route(pub std::rc::Rc<str>);

/// Puts the `ClientAddr` and the `Route` into the request before anything else looks at
/// them.
pub async fn identify(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let client = match req.app_data::<web::Data<AppState>>() {
        Some(state) => ClientAddr::resolve(peer, req.headers(), &state.trusted_proxies),
        None => ClientAddr(canonical(peer)),
    };
    let route = req
        .match_pattern()
        .map_or_else(|| "(no route)".into(), std::rc::Rc::from);
    {
        let mut extensions = req.extensions_mut();
        extensions.insert(client);
        extensions.insert(Route(route));
    }
    next.call(req).await
}

impl FromRequest for ClientAddr {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientAddr::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        let got = ClientAddr::resolve(ip("203.0.113.9"), &headers(&["1.1.1.1"]), &none);
        assert_eq!(got, ClientAddr(ip("203.0.113.9")));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_address_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.2");
        // The client wrote "6.6.6.6" itself; the proxies appended the rest.
        let got = ClientAddr::resolve(
            peer,
            &headers(&["6.6.6.6, 198.51.100.7, 10.0.0.1"]),
            &trusted,
        );
        assert_eq!(got, ClientAddr(ip("198.51.100.7")));
        // Split over two headers, with a port.
        let got = ClientAddr::resolve(peer, &headers(&["6.6.6.6", "198.51.100.7:5555"]), &trusted);
        assert_eq!(got, ClientAddr(ip("198.51.100.7")));
        // All trusted: the leftmost.
        let got = ClientAddr::resolve(peer, &headers(&["10.1.1.1, 10.0.0.1"]), &trusted);
        assert_eq!(got, ClientAddr(ip("10.1.1.1")));
        // Garbage stops the walk at the last good hop.
        let got = ClientAddr::resolve(peer, &headers(&["198.51.100.7, junk, 10.0.0.1"]), &trusted);
        assert_eq!(got, ClientAddr(ip("10.0.0.1")));
        // No header: the proxy itself.
        assert_eq!(
            ClientAddr::resolve(peer, &HeaderMap::new(), &trusted),
            ClientAddr(peer)
        );
    }

    #[test]
    fn ipv6_clients_are_limited_per_64_network() {
        let a = ClientAddr(ip("2001:db8:1:2:aaaa::1")).limit_key();
        let b = ClientAddr(ip("2001:db8:1:2:bbbb::9")).limit_key();
        let c = ClientAddr(ip("2001:db8:1:3::1")).limit_key();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(ClientAddr(ip("1.2.3.4")).limit_key(), ip("1.2.3.4"));
    }
}
