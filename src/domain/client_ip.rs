//! The address a filing came from, as supervisors see it next to the case. Stored as
//! the canonical text of a parsed address, so two spellings of one address compare equal.

use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientIp(IpAddr);

impl ClientIp {
    /// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`, how a dual-stack socket
    /// reports IPv4 peers) is kept as the IPv4 address it is.
    pub fn new(addr: IpAddr) -> Self {
        Self(addr.to_canonical())
    }

    pub fn parse(stored: &str) -> Option<Self> {
        stored.parse().ok().map(Self::new)
    }

    pub fn addr(self) -> IpAddr {
        self.0
    }

    /// The stored form: `std`'s canonical text of the address.
    pub fn text(self) -> String {
        self.0.to_string()
    }
}

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_address_are_one_value() {
        let a = ClientIp::parse("2001:db8:0:0:0:0:0:1").expect("ipv6");
        let b = ClientIp::parse("2001:db8::1").expect("ipv6");
        assert_eq!(a, b);
        assert_eq!(a.text(), "2001:db8::1");
        let mapped = ClientIp::parse("::ffff:203.0.113.9").expect("mapped");
        assert_eq!(mapped.text(), "203.0.113.9");
        assert_eq!(ClientIp::parse("not an address"), None);
        assert_eq!(ClientIp::parse("203.0.113.9:443"), None);
    }
}
