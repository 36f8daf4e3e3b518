//! The HTTP client webhooks go out through. It never calls into the network the server
//! sits in: names are resolved by a resolver that drops loopback, private, link-local and
//! metadata addresses (`domain::webhook::forbidden`), and the connection goes to an
//! address it kept, so a name cannot pass the check and then connect elsewhere (DNS
//! rebinding). Literal addresses are checked before the request; no proxy, no redirects.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::delivery::Failed;
use crate::domain::policy;
use crate::domain::webhook::{EndpointError, EndpointUrl, forbidden};

#[derive(Clone)]
pub struct HookClient {
    http: reqwest::Client,
    allow_private: bool,
}

/// The headers of one signed delivery.
pub struct Signed<'a> {
    pub id: &'a str,
    pub timestamp: i64,
    pub signature: &'a str,
}

impl HookClient {
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .dns_resolver(Arc::new(Guarded { allow_private }))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(policy::WEBHOOK_TIMEOUT_SECS))
            .user_agent(concat!("AppealDesk-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            allow_private,
        })
    }

    /// POSTs one delivery; `Ok` with the status of a 2xx answer.
    pub async fn post(
        &self,
        url: &EndpointUrl,
        signed: &Signed<'_>,
        body: String,
    ) -> Result<i32, Failed> {
        if let Ok(ip) = url.host().parse::<IpAddr>()
            && !self.allow_private
            && forbidden(ip)
        {
            return Err(Failed {
                permanent: false,
                message: format!("refused: {ip} is inside our network"),
                status: None,
            });
        }
        let answer = self
            .http
            .post(url.as_str())
            .header("content-type", "application/json")
            .header("webhook-id", signed.id)
            .header("webhook-timestamp", signed.timestamp.to_string())
            .header("webhook-signature", signed.signature)
            .body(body)
            .send()
            .await
            .map_err(|e| Failed {
                permanent: false,
                message: chain(&e),
                status: None,
            })?;
        let status = answer.status();
        let code = i32::from(status.as_u16());
        if status.is_success() {
            Ok(code)
        } else {
            Err(Failed {
                permanent: false,
                message: format!("HTTP {code}"),
                status: Some(code),
            })
        }
    }
}

/// Whether an endpoint may be saved: its host must resolve, and to no address inside
/// our network (unless `WEBHOOK_ALLOW_PRIVATE`).
pub async fn check_address(url: &EndpointUrl, allow_private: bool) -> Result<(), EndpointError> {
    let addrs: Vec<SocketAddr> = match url.host().parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, url.port())],
        Err(_) => tokio::net::lookup_host((url.host(), url.port()))
            .await
            .map_err(|_| EndpointError::Unresolvable)?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(EndpointError::Unresolvable);
    }
    match addrs.iter().find(|a| forbidden(a.ip())) {
        Some(inside) if !allow_private => Err(EndpointError::PrivateAddress(inside.ip())),
        _ => Ok(()),
    }
}

/// Resolves as the system does, keeping only the addresses we may call.
struct Guarded {
    allow_private: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (kept, refused): (Vec<_>, Vec<_>) = found
                .into_iter()
                .partition(|a| allow_private || !forbidden(a.ip()));
            if kept.is_empty() {
                let refused: Vec<String> = refused.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "refused: {host} resolves to addresses inside our network ({})",
                    refused.join(", ")
                )
                .into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// An error with its causes: reqwest's own message says little ("error sending request").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
