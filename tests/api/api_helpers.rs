//! The back office's side of the API: keys made with the real CLI, calls with a bearer
//! key and no cookies, answers read as JSON.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

/// `appealdesk api-key create` against the app's database: the key it prints once.
pub fn cli_key(app: &TestApp, name: &str, scope: &str) -> String {
    let out = cli(
        app,
        &["api-key", "create", "--name", name, "--scope", scope],
    );
    assert!(
        out.status.success(),
        "api-key create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_appealdesk"))
        .args(args)
        .env("DATABASE_URL", app.database.env_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run appealdesk")
}

/// A back office: its own HTTP client without a cookie jar, and a key.
pub struct BackOffice {
    pub client: reqwest::Client,
    pub address: String,
    pub key: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.bytes[..self.bytes.len().min(500)])
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// An RFC 9457 problem with this status: its JSON.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "a problem, not a page"
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        for member in ["type", "title", "detail"] {
            assert!(p[member].is_string(), "{member} in {p}");
        }
        p
    }
}

impl BackOffice {
    pub fn new(app: &TestApp, key: &str) -> Self {
        Self {
            client: crate::helpers::http()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            address: app.address.clone(),
            key: key.to_owned(),
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let r = request.send().await.expect("API call");
        Answer {
            status: r.status(),
            headers: r.headers().clone(),
            bytes: r.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let request = self
            .client
            .get(format!("{}{path}", self.address))
            .bearer_auth(&self.key);
        self.send(request).await
    }

    pub async fn post(&self, path: &str, idempotency_key: &str, body: &str) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(&self.key)
            .header("idempotency-key", idempotency_key)
            .header("content-type", "application/json")
            .body(body.to_owned());
        self.send(request).await
    }

    /// Reports a result for the case.
    pub async fn outcome(&self, case: &str, idempotency_key: &str, body: &str) -> Answer {
        self.post(
            &format!("/api/v1/cases/{case}/outcome"),
            idempotency_key,
            body,
        )
        .await
    }
}
