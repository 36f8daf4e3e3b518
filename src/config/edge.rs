//! Settings of the web edge: which proxies may name the client, how much each client
//! address may ask, and how long a request body may take to arrive.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use ipnet::IpNet;

use crate::domain::policy;
use crate::domain::throttle::{Door, RateLimit};

#[derive(Clone, Debug)]
pub struct EdgeSettings {
    /// `TRUSTED_PROXIES`: whose `X-Forwarded-For` is believed. Default: nobody's.
    pub trusted_proxies: TrustedProxies,
    /// `RATE_LIMIT_*`: per client address, at each door that writes or mails.
    pub rate_limits: RateLimits,
    /// A request body must have arrived within this (`policy::BODY_TIMEOUT_SECS`).
    pub body_timeout: Duration,
}

impl Default for EdgeSettings {
    fn default() -> Self {
        Self {
            trusted_proxies: TrustedProxies::default(),
            rate_limits: RateLimits::default(),
            body_timeout: Duration::from_secs(policy::BODY_TIMEOUT_SECS),
        }
    }
}

impl EdgeSettings {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let trusted_proxies = match var("TRUSTED_PROXIES") {
            Some(list) => TrustedProxies::parse(&list).context("reading TRUSTED_PROXIES")?,
            None => TrustedProxies::default(),
        };
        // `BODY_TIMEOUT_SECS` lowers the stall limit (tests of stalled uploads).
        let body_timeout = match var("BODY_TIMEOUT_SECS") {
            Some(secs) => Duration::from_secs(
                secs.trim()
                    .parse()
                    .context("BODY_TIMEOUT_SECS must be a number of seconds")?,
            ),
            None => Duration::from_secs(policy::BODY_TIMEOUT_SECS),
        };
        Ok(Self {
            trusted_proxies,
            rate_limits: RateLimits::from_env(var)?,
            body_timeout,
        })
    }
}

/// Addresses and networks of the proxies in front of us (a load balancer, nginx).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// `10.0.0.0/8, 192.168.1.7, ::1`: addresses or CIDR networks, comma-separated.
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => IpNet::from(item.parse::<IpAddr>().with_context(|| {
                    format!("{item:?} is neither an IP address nor a network like 10.0.0.0/8")
                })?),
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is the IPv4 one.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The limit at each door.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub filings: RateLimit,
    pub appellant: RateLimit,
    pub recovery: RateLimit,
    pub sign_in: RateLimit,
    /// Per API key, not per address (`RATE_LIMIT_API_KEY_*`).
    pub api_key: RateLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            filings: policy::RATE_LIMIT_FILINGS,
            appellant: policy::RATE_LIMIT_APPELLANT,
            recovery: policy::RATE_LIMIT_RECOVERY,
            sign_in: policy::RATE_LIMIT_SIGN_IN,
            api_key: policy::RATE_LIMIT_API_KEY,
        }
    }
}

impl RateLimits {
    /// The environment variables' stem for each door: `RATE_LIMIT_FILINGS_BURST`, ...
    pub fn env_stem(door: Door) -> &'static str {
        match door {
            Door::Filing => "RATE_LIMIT_FILINGS",
            Door::Appellant => "RATE_LIMIT_REPLIES",
            Door::Recovery => "RATE_LIMIT_RECOVERY",
            Door::SignIn => "RATE_LIMIT_SIGN_IN",
        }
    }

    pub fn get(&self, door: Door) -> RateLimit {
        match door {
            Door::Filing => self.filings,
            Door::Appellant => self.appellant,
            Door::Recovery => self.recovery,
            Door::SignIn => self.sign_in,
        }
    }

    pub fn set(&mut self, door: Door, limit: RateLimit) {
        match door {
            Door::Filing => self.filings = limit,
            Door::Appellant => self.appellant = limit,
            Door::Recovery => self.recovery = limit,
            Door::SignIn => self.sign_in = limit,
        }
    }

    /// Every door at `limit` (tests: a fuzzer must not meet the limits everywhere).
    pub fn all(limit: RateLimit) -> Self {
        Self {
            filings: limit,
            appellant: limit,
            recovery: limit,
            sign_in: limit,
            api_key: limit,
        }
    }

    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut limits = Self::default();
        for door in Door::ALL {
            let stem = Self::env_stem(door);
            let mut limit = limits.get(door);
            if let Some(n) = var(&format!("{stem}_BURST")) {
                limit.burst = count(&format!("{stem}_BURST"), &n)?;
            }
            if let Some(n) = var(&format!("{stem}_PER_HOUR")) {
                limit.per_hour = count(&format!("{stem}_PER_HOUR"), &n)?;
            }
            limits.set(door, limit);
        }
        let stem = "RATE_LIMIT_API_KEY";
        if let Some(n) = var(&format!("{stem}_BURST")) {
            limits.api_key.burst = count(&format!("{stem}_BURST"), &n)?;
        }
        if let Some(n) = var(&format!("{stem}_PER_HOUR")) {
            limits.api_key.per_hour = count(&format!("{stem}_PER_HOUR"), &n)?;
        }
        Ok(limits)
    }
}

/// A whole number from 1 to a million.
fn count(name: &str, raw: &str) -> anyhow::Result<u32> {
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => bail!("{name} must be a whole number from 1 to 1000000, not {raw:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_take_addresses_and_networks() {
        let trusted = TrustedProxies::parse(" 10.0.0.0/8, 192.168.1.7 ,::1,fd00::/8 ").unwrap();
        for ip in [
            "10.1.2.3",
            "192.168.1.7",
            "::1",
            "fd12::1",
            "::ffff:10.9.9.9",
        ] {
            assert!(trusted.contains(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["11.0.0.1", "192.168.1.8", "::2", "127.0.0.1"] {
            assert!(!trusted.contains(ip.parse().unwrap()), "{ip}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let err = TrustedProxies::parse("10.0.0.0/8, nginx").unwrap_err();
        assert!(format!("{err:#}").contains("nginx"));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn rate_limits_come_from_the_environment_or_policy() {
        let env = |name: &str| match name {
            "RATE_LIMIT_FILINGS_PER_HOUR" => Some("100".to_owned()),
            "RATE_LIMIT_SIGN_IN_BURST" => Some("5".to_owned()),
            _ => None,
        };
        let limits = RateLimits::from_env(env).unwrap();
        assert_eq!(limits.filings.per_hour, 100);
        assert_eq!(limits.filings.burst, policy::RATE_LIMIT_FILINGS.burst);
        assert_eq!(limits.sign_in.burst, 5);
        assert_eq!(limits.recovery, policy::RATE_LIMIT_RECOVERY);
        for bad in ["0", "-1", "many", "1000001"] {
            let env = |name: &str| (name == "RATE_LIMIT_REPLIES_BURST").then(|| bad.to_owned());
            let err = RateLimits::from_env(env).unwrap_err().to_string();
            assert!(err.contains("RATE_LIMIT_REPLIES_BURST"), "{bad}: {err}");
        }
    }
}
