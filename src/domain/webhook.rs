//! Webhooks as the back office sees them: which events exist, where a delivery stands,
//! which endpoint addresses we accept, and which network addresses we never call.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::stored::Stored;
use super::timeline::EventKind;
use super::{Lang, Refusal};

/// What a receiver subscribes to; each a change of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    Filed,
    EvidenceRequested,
    Replied,
    Decided,
    Closed,
    Withdrawn,
    Voided,
    DatesMoved,
}

impl Stored for WebhookEvent {
    const WHAT: &'static str = "webhook event";
    const ALL: &'static [Self] = &[
        WebhookEvent::Filed,
        WebhookEvent::EvidenceRequested,
        WebhookEvent::Replied,
        WebhookEvent::Decided,
        WebhookEvent::Closed,
        WebhookEvent::Withdrawn,
        WebhookEvent::Voided,
        WebhookEvent::DatesMoved,
    ];

    fn stored(self) -> &'static str {
        match self {
            WebhookEvent::Filed => "case.filed",
            WebhookEvent::EvidenceRequested => "case.evidence_requested",
            WebhookEvent::Replied => "case.replied",
            WebhookEvent::Decided => "case.decided",
            WebhookEvent::Closed => "case.closed",
            WebhookEvent::Withdrawn => "case.withdrawn",
            WebhookEvent::Voided => "case.voided",
            WebhookEvent::DatesMoved => "case.dates_moved",
        }
    }
}

impl WebhookEvent {
    /// The event a timeline entry announces, if any: every change of a case passes the
    /// timeline, so this match is where a new kind of change decides whether it is told.
    pub fn for_timeline(kind: EventKind) -> Option<Self> {
        Some(match kind {
            EventKind::Filed => WebhookEvent::Filed,
            EventKind::EvidenceRequested => WebhookEvent::EvidenceRequested,
            EventKind::AppellantReplied => WebhookEvent::Replied,
            EventKind::Approved | EventKind::Rejected => WebhookEvent::Decided,
            EventKind::CarriedOut | EventKind::ClosedNoResponse => WebhookEvent::Closed,
            EventKind::Withdrawn => WebhookEvent::Withdrawn,
            EventKind::Voided => WebhookEvent::Voided,
            EventKind::ReviewDatesMoved | EventKind::ReviewDatesMovedEarlier => {
                WebhookEvent::DatesMoved
            }
            EventKind::Claimed
            | EventKind::Assigned
            | EventKind::Note
            | EventKind::ViewedCase
            | EventKind::MailResent
            | EventKind::EvidenceAdded
            | EventKind::EvidenceOpened
            | EventKind::EvidenceDeleted
            | EventKind::LinkReissued => return None,
        })
    }

    /// What a supervisor reads next to the checkbox.
    pub fn describe(self, lang: Lang) -> &'static str {
        match self {
            WebhookEvent::Filed => lang.t("提交了新申诉", "An appeal was filed"),
            WebhookEvent::EvidenceRequested => lang.t("要求补充材料", "Evidence was requested"),
            WebhookEvent::Replied => lang.t("申诉人已回复", "The appellant replied"),
            WebhookEvent::Decided => {
                lang.t("作出决定（通过或驳回）", "Decided (approved or rejected)")
            }
            WebhookEvent::Closed => lang.t("结案", "Closed"),
            WebhookEvent::Withdrawn => lang.t("申诉人撤回", "Withdrawn"),
            WebhookEvent::Voided => lang.t("作废", "Voided"),
            WebhookEvent::DatesMoved => lang.t("处理日期变更", "Review dates moved"),
        }
    }
}

/// The events an endpoint receives, stored as their names separated by spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription(Vec<WebhookEvent>);

impl Subscription {
    /// At least one event, each known.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, EndpointError> {
        let mut events = Vec::new();
        for name in names {
            let event = WebhookEvent::from_stored(name.trim()).ok_or(EndpointError::NoEvents)?;
            if !events.contains(&event) {
                events.push(event);
            }
        }
        if events.is_empty() {
            return Err(EndpointError::NoEvents);
        }
        events.sort_by_key(|e| WebhookEvent::ALL.iter().position(|a| a == e));
        Ok(Self(events))
    }

    /// A stored list; names no longer known are dropped rather than failing the page.
    pub fn from_stored_list(stored: &str) -> Self {
        Self(
            stored
                .split_whitespace()
                .filter_map(WebhookEvent::from_stored)
                .collect(),
        )
    }

    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|e| e.stored())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn contains(&self, event: WebhookEvent) -> bool {
        self.0.contains(&event)
    }

    pub fn events(&self) -> &[WebhookEvent] {
        &self.0
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first attempt, or to be tried again.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Failed at every attempt of the schedule, or its endpoint is gone: a supervisor
    /// may replay it.
    Dead,
}

impl Stored for DeliveryStatus {
    const WHAT: &'static str = "webhook delivery status";
    const ALL: &'static [Self] = &[
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Dead,
    ];

    fn stored(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }
}

/// The longest endpoint URL kept.
pub const URL_MAX_CHARS: usize = 2000;

/// An endpoint's address: absolute http(s), with a host, without credentials or a
/// fragment. Whether its host may be called is decided on its addresses (`forbidden`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointUrl {
    url: String,
    https: bool,
    host: String,
    port: u16,
    /// `/path?query` as written (`/` when there is none).
    target: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointError {
    NotAUrl,
    TooLong,
    Credentials,
    /// Its host resolves (or is) an address inside our own network.
    PrivateAddress(IpAddr),
    /// Its host does not resolve.
    Unresolvable,
    NoEvents,
}

impl Refusal for EndpointError {
    fn message(&self, lang: Lang) -> String {
        match self {
            EndpointError::NotAUrl => lang
                .t(
                    "请填写以 https:// 或 http:// 开头的完整网址。",
                    "Enter a full address starting with https:// or http://.",
                )
                .to_owned(),
            EndpointError::TooLong => match lang {
                Lang::Zh => format!("网址最多 {URL_MAX_CHARS} 个字符。"),
                Lang::En => format!("At most {URL_MAX_CHARS} characters."),
            },
            EndpointError::Credentials => lang
                .t(
                    "网址中不能包含用户名或密码；接收方请用签名验证请求。",
                    "No user name or password in the address: receivers verify the signature instead.",
                )
                .to_owned(),
            EndpointError::PrivateAddress(ip) => match lang {
                Lang::Zh => format!("该网址指向内部网络地址（{ip}），不能作为接收地址。"),
                Lang::En => format!(
                    "This address points into a private network ({ip}); webhooks are only sent to public addresses."
                ),
            },
            EndpointError::Unresolvable => lang
                .t(
                    "找不到该网址的主机，请检查拼写。",
                    "This host cannot be found; check the spelling.",
                )
                .to_owned(),
            EndpointError::NoEvents => lang
                .t("请至少选择一种事件。", "Choose at least one event.")
                .to_owned(),
        }
    }
}

impl EndpointUrl {
    pub fn parse(raw: &str) -> Result<Self, EndpointError> {
        let url = raw.trim();
        if url.chars().count() > URL_MAX_CHARS {
            return Err(EndpointError::TooLong);
        }
        let (rest, https) = if let Some(rest) = url.strip_prefix("https://") {
            (rest, true)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (rest, false)
        } else {
            return Err(EndpointError::NotAUrl);
        };
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains('#') {
            return Err(EndpointError::NotAUrl);
        }
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let target = match &rest[authority.len()..] {
            "" => "/".to_owned(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_owned(),
        };
        if authority.contains('@') {
            return Err(EndpointError::Credentials);
        }
        let (host, port) = split_host_port(authority).ok_or(EndpointError::NotAUrl)?;
        let port = port.unwrap_or(if https { 443 } else { 80 });
        if host.is_empty() || port == 0 {
            return Err(EndpointError::NotAUrl);
        }
        Ok(Self {
            url: url.to_owned(),
            https,
            host: host.to_ascii_lowercase(),
            port,
            target,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The host as written (an IPv6 literal without its brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// What the request line asks for: `/path?query`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The `Host` header: the host (an IPv6 literal in brackets), and the port when it is
    /// not the scheme's own.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match (self.https, self.port) {
            (true, 443) | (false, 80) => host,
            (_, port) => format!("{host}:{port}"),
        }
    }
}

/// `host[:port]` or `[v6][:port]`.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<Ipv6Addr>().ok()?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.split_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// Whether `ip` lies in the network the server sits in, or anywhere a request from it
/// should never go: loopback, private, shared (CGNAT), link-local (with the cloud
/// metadata service at 169.254.169.254), unspecified, broadcast, multicast, reserved, and
/// the same inside IPv6 (unique local, link-local, IPv4-mapped and NAT64 forms).
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let s = v6.segments();
            // 64:ff9b::/96 (NAT64) carries an IPv4 address in its last 32 bits.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return forbidden_v4(Ipv4Addr::new(a, b, c, d));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254: a metadata service)
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed privately)
                || (s[0] == 0 && s[1..6] == [0, 0, 0, 0, 0]) // IPv4-compatible ::a.b.c.d
        }
    }
}

fn forbidden_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timeline_change_of_status_has_an_event_and_views_have_none() {
        assert_eq!(
            WebhookEvent::for_timeline(EventKind::Approved),
            Some(WebhookEvent::Decided)
        );
        assert_eq!(
            WebhookEvent::for_timeline(EventKind::ClosedNoResponse),
            Some(WebhookEvent::Closed)
        );
        assert_eq!(WebhookEvent::for_timeline(EventKind::ViewedCase), None);
        for event in WebhookEvent::ALL {
            assert!(event.stored().starts_with("case."));
        }
    }

    #[test]
    fn subscriptions_parse_known_names_once_in_a_fixed_order() {
        let s = Subscription::parse(["case.closed", "case.filed", "case.closed"]).unwrap();
        assert_eq!(s.stored(), "case.filed case.closed");
        assert_eq!(Subscription::from_stored_list(&s.stored()), s);
        assert_eq!(Subscription::parse([]), Err(EndpointError::NoEvents));
        assert_eq!(
            Subscription::parse(["case.exploded"]),
            Err(EndpointError::NoEvents)
        );
    }

    #[test]
    fn endpoint_urls_are_absolute_http_without_credentials() {
        let url = EndpointUrl::parse(" https://Hooks.Example.com/in?x=1 ").unwrap();
        assert_eq!((url.host(), url.port()), ("hooks.example.com", 443));
        assert_eq!(
            (url.target(), url.host_header().as_str()),
            ("/in?x=1", "hooks.example.com")
        );
        let bare = EndpointUrl::parse("http://h.example:8080?a=b").unwrap();
        assert_eq!(
            (bare.target(), bare.host_header().as_str()),
            ("/?a=b", "h.example:8080")
        );
        assert_eq!(url.as_str(), "https://Hooks.Example.com/in?x=1");
        let v6 = EndpointUrl::parse("http://[2001:db8::1]:8080/h").unwrap();
        assert_eq!((v6.host(), v6.port()), ("2001:db8::1", 8080));
        assert_eq!(v6.host_header(), "[2001:db8::1]:8080");
        for bad in [
            "",
            "hooks.example.com",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x:99999/",
            "https://x/#frag",
        ] {
            assert_eq!(
                EndpointUrl::parse(bad),
                Err(EndpointError::NotAUrl),
                "{bad}"
            );
        }
        assert_eq!(
            EndpointUrl::parse("https://u:p@example.com/"),
            Err(EndpointError::Credentials)
        );
    }

    #[test]
    fn inside_addresses_are_forbidden_and_public_ones_are_not() {
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(forbidden(inside.parse().unwrap()), "{inside}");
        }
        for outside in ["8.8.8.8", "203.0.114.7", "2606:4700::1111", "1.1.1.1"] {
            assert!(!forbidden(outside.parse().unwrap()), "{outside}");
        }
    }
}
