//! Console users: accounts made directly, signed in through the real form.

use appealdesk::domain::agent::Role;
use reqwest::StatusCode;

use super::{TestApp, attr, client};

/// A signed-in console user: its own browser (cookie jar) and its CSRF token.
pub struct Console {
    pub client: reqwest::Client,
    pub csrf: String,
    pub address: String,
}

impl TestApp {
    pub fn create_agent(&self, email: &str, role: Role) {
        let mut conn = self.conn();
        appealdesk::workflows::agents::create_agent(
            &mut conn,
            email,
            email,
            role,
            PASSWORD,
            self.clock.now(),
        )
        .expect("create agent");
    }

    /// Signs in through the real form, as a browser would.
    pub async fn sign_in(&self, email: &str) -> Console {
        let console = Console {
            client: client(),
            csrf: String::new(),
            address: self.address.clone(),
        };
        let response = console.sign_in_with(email, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {email}"
        );
        console.after_sign_in().await
    }

    pub fn console(&self) -> Console {
        Console {
            client: client(),
            csrf: String::new(),
            address: self.address.clone(),
        }
    }

    /// A console user whose browser connects from another loopback address.
    pub fn console_from(&self, ip: &str) -> Console {
        Console {
            client: super::client_from(ip),
            csrf: String::new(),
            address: self.address.clone(),
        }
    }
}

pub const PASSWORD: &str = "correct horse battery";

impl Console {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn sign_in_with(&self, email: &str, password: &str) -> reqwest::Response {
        self.sign_in_forwarded(email, password, None).await
    }

    /// Signs in as a browser behind a proxy that says it forwards for `forwarded_for`.
    pub async fn sign_in_forwarded(
        &self,
        email: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let html = self
            .client
            .get(self.url("/agent/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = attr(&html, "name=\"csrf_token\" value=\"").expect("login form token");
        let mut request = self.client.post(self.url("/agent/login")).form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
        ]);
        if let Some(client) = forwarded_for {
            request = request.header("x-forwarded-for", client);
        }
        request.send().await.unwrap()
    }

    /// Reads the session's CSRF token off the console's layout.
    pub async fn after_sign_in(mut self) -> Console {
        let html = self.get_html("/agent/cases").await;
        self.csrf = attr(&html, "name=\"csrf_token\" value=\"").expect("console CSRF token");
        self
    }

    /// A GET as a browser following one of the console's own links sends it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_from(path, "same-origin").await
    }

    /// A GET whose `Sec-Fetch-Site` says where the navigation came from.
    pub async fn get_from(&self, path: &str, site: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("sec-fetch-site", site)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// POSTs a console form with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &self.csrf));
        self.client
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn act(&self, case: &str, action: &str, fields: &[(&str, &str)]) -> StatusCode {
        self.post(&format!("/agent/cases/{case}/{action}"), fields)
            .await
            .status()
    }
}

/// The status of a case, as its console page shows it.
pub async fn status_of(console: &Console, case: &str) -> String {
    let html = console.get_html(&format!("/agent/cases/{case}")).await;
    attr(&html, "data-status=\"").expect("status")
}
