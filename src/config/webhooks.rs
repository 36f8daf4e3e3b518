//! Webhook settings: whether this process delivers them, how it paces itself, and whether
//! endpoints inside our own network are allowed (tests, never production).

use std::time::Duration;

use anyhow::bail;

#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// `WEBHOOK_ALLOW_PRIVATE=1`: endpoints on loopback, private and link-local addresses
    /// are accepted (tests run their receivers on loopback). Off by default.
    pub allow_private: bool,
    /// `WEBHOOK_WORKER=off` when no worker should run in this process.
    pub run_worker: bool,
    /// `WEBHOOK_POLL_SECS`: how often an idle worker looks for due deliveries.
    pub poll_interval: Duration,
    pub lease: Duration,
    pub batch: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            run_worker: true,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(crate::domain::policy::WEBHOOK_LEASE_SECS),
            batch: 10,
        }
    }
}

impl WebhookSettings {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut hooks = Self::default();
        let flag = |name: &str, raw: String| -> anyhow::Result<bool> {
            match raw.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => Ok(true),
                "off" | "false" | "0" => Ok(false),
                _ => bail!("{name} must be on (1) or off (0)"),
            }
        };
        if let Some(raw) = var("WEBHOOK_ALLOW_PRIVATE") {
            hooks.allow_private = flag("WEBHOOK_ALLOW_PRIVATE", raw)?;
        }
        if let Some(raw) = var("WEBHOOK_WORKER") {
            hooks.run_worker = flag("WEBHOOK_WORKER", raw)?;
        }
        if let Some(raw) = var("WEBHOOK_POLL_SECS") {
            hooks.poll_interval = raw
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("WEBHOOK_POLL_SECS must be a positive number of seconds")
                })?;
        }
        Ok(hooks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(vars: &[(&str, &str)]) -> anyhow::Result<WebhookSettings> {
        WebhookSettings::from_env(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn private_endpoints_are_refused_unless_allowed_and_bad_values_are_named() {
        let hooks = from(&[]).unwrap();
        assert!(!hooks.allow_private);
        assert!(hooks.run_worker);
        assert!(
            from(&[("WEBHOOK_ALLOW_PRIVATE", "1")])
                .unwrap()
                .allow_private
        );
        assert!(!from(&[("WEBHOOK_WORKER", "off")]).unwrap().run_worker);
        for (name, bad) in [
            ("WEBHOOK_ALLOW_PRIVATE", "yes please"),
            ("WEBHOOK_WORKER", "maybe"),
            ("WEBHOOK_POLL_SECS", "-1"),
        ] {
            let err = format!("{:#}", from(&[(name, bad)]).unwrap_err());
            assert!(err.contains(name), "{name}: {err}");
        }
    }
}
