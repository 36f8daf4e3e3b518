//! How webhooks go out: one HTTP/1.1 POST over a connection we open ourselves, to an
//! address we checked. It never calls into the network the server sits in: the host's
//! addresses are resolved here, loopback, private, link-local and metadata ones
//! (`domain::webhook::forbidden`) are dropped, and the connection goes to one that was
//! kept, so a name cannot pass the check and then connect elsewhere (DNS rebinding). No
//! proxy, no redirects followed; TLS by rustls with the Mozilla roots.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::delivery::Failed;
use crate::domain::policy;
use crate::domain::webhook::{EndpointError, EndpointUrl, forbidden};

#[derive(Clone)]
pub struct HookClient {
    tls: TlsConnector,
    allow_private: bool,
}

/// The headers of one signed delivery.
pub struct Signed<'a> {
    pub id: &'a str,
    pub timestamp: i64,
    pub signature: &'a str,
}

fn failed(message: impl Into<String>) -> Failed {
    Failed {
        permanent: false,
        message: message.into(),
        status: None,
    }
}

impl HookClient {
    pub fn new(allow_private: bool) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            tls: TlsConnector::from(Arc::new(config)),
            allow_private,
        })
    }

    /// POSTs one delivery within `policy::WEBHOOK_TIMEOUT_SECS`; `Ok` with the status of
    /// a 2xx answer.
    pub async fn post(
        &self,
        url: &EndpointUrl,
        signed: &Signed<'_>,
        body: String,
    ) -> Result<i32, Failed> {
        let timeout = Duration::from_secs(policy::WEBHOOK_TIMEOUT_SECS);
        let status = tokio::time::timeout(timeout, self.exchange(url, signed, body))
            .await
            .map_err(|_| failed(format!("no answer within {timeout:?}")))??;
        if (200..300).contains(&status) {
            Ok(status)
        } else {
            Err(Failed {
                permanent: false,
                message: format!("HTTP {status}"),
                status: Some(status),
            })
        }
    }

    async fn exchange(
        &self,
        url: &EndpointUrl,
        signed: &Signed<'_>,
        body: String,
    ) -> Result<i32, Failed> {
        let addrs = allowed_addresses(url, self.allow_private).await?;
        let mut last = String::new();
        let mut tcp = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last = format!("cannot connect to {addr}: {e}"),
            }
        }
        let tcp = tcp.ok_or_else(|| failed(last))?;
        let request = http::Request::post(url.target())
            .header(http::header::HOST, url.host_header())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("AppealDesk-Webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header("webhook-id", signed.id)
            .header("webhook-timestamp", signed.timestamp.to_string())
            .header("webhook-signature", signed.signature)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Failed {
                permanent: true,
                message: format!("cannot build the request: {e}"),
                status: None,
            })?;
        if url.is_https() {
            let name = ServerName::try_from(url.host().to_owned())
                .map_err(|e| failed(format!("not a TLS server name: {e}")))?;
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| failed(format!("TLS: {e}")))?;
            send(tls, request).await
        } else {
            send(tcp, request).await
        }
    }
}

/// One request on a fresh connection; the answer's status.
async fn send<S>(stream: S, request: http::Request<Full<Bytes>>) -> Result<i32, Failed>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| failed(format!("HTTP: {e}")))?;
    // Drives the connection until the exchange ends (the sender is dropped).
    tokio::spawn(connection);
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| failed(format!("HTTP: {e}")))?;
    Ok(i32::from(answer.status().as_u16()))
}

/// The endpoint's addresses we may call: all of them with `allow_private`, else the
/// public ones; an error saying which were refused when none is left.
async fn allowed_addresses(
    url: &EndpointUrl,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Failed> {
    let found = resolve(url)
        .await
        .map_err(|e| failed(format!("cannot resolve {}: {e}", url.host())))?;
    let (kept, refused): (Vec<_>, Vec<_>) = found
        .into_iter()
        .partition(|a| allow_private || !forbidden(a.ip()));
    if kept.is_empty() {
        let refused: Vec<String> = refused.iter().map(|a| a.ip().to_string()).collect();
        return Err(failed(format!(
            "refused: {} is inside our network ({})",
            url.host(),
            refused.join(", ")
        )));
    }
    Ok(kept)
}

async fn resolve(url: &EndpointUrl) -> std::io::Result<Vec<SocketAddr>> {
    match url.host().parse::<IpAddr>() {
        Ok(ip) => Ok(vec![SocketAddr::new(ip, url.port())]),
        Err(_) => Ok(tokio::net::lookup_host((url.host(), url.port()))
            .await?
            .collect()),
    }
}

/// Whether an endpoint may be saved: its host must resolve, and to no address inside
/// our network (unless `WEBHOOK_ALLOW_PRIVATE`).
pub async fn check_address(url: &EndpointUrl, allow_private: bool) -> Result<(), EndpointError> {
    let addrs = resolve(url)
        .await
        .map_err(|_| EndpointError::Unresolvable)?;
    if addrs.is_empty() {
        return Err(EndpointError::Unresolvable);
    }
    match addrs.iter().find(|a| forbidden(a.ip())) {
        Some(inside) if !allow_private => Err(EndpointError::PrivateAddress(inside.ip())),
        _ => Ok(()),
    }
}
