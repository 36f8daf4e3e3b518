//! Row ids, one type per table, so a case id is never passed where an agent id belongs.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }
    };
}

id!(
    /// A case's row id (internal; people see the case number).
    CaseId
);
id!(
    /// A customer-service account.
    AgentId
);
id!(
    /// A mail in the outbox.
    OutboxId
);
id!(
    /// A key of the back office's API.
    ApiKeyId
);
id!(
    /// A webhook endpoint (a receiver's URL).
    EndpointId
);
id!(
    /// One event's delivery to one endpoint.
    DeliveryId
);
id!(
    /// A case's version as a page showed it: it grows with every change of the case, so an
    /// action sent from an older page can be told apart.
    CaseVersion
);
id!(
    /// A saved reply.
    SavedReplyId
);
