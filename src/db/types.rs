//! The one place where stored values become types: every closed set of text values
//! (`domain::stored::Stored`) and every id newtype is converted here, for both backends.
//! An unknown stored value is a deserialization error naming the value: loud, never a
//! silent default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::Sqlite;

use crate::domain::Lang;
use crate::domain::agent::Role;
use crate::domain::api::{RecoveryResult, Scopes};
use crate::domain::calendar::DayKind;
use crate::domain::case_status::CaseStatus;
use crate::domain::claim::ClaimStatus;
use crate::domain::client_ip::ClientIp;
use crate::domain::evidence::PacketKind;
use crate::domain::evidence_file::FileKind;
use crate::domain::guidance::Reason;
use crate::domain::ids::{
    AgentId, ApiKeyId, CaseId, DeliveryId, EndpointId, OutboxId, SavedReplyId,
};
use crate::domain::mail_status::MailStatus;
use crate::domain::saved_reply::ReplyUse;
use crate::domain::second_factor::SecurityEventKind;
use crate::domain::stored::Stored;
use crate::domain::timeline::EventKind;
use crate::domain::webhook::{DeliveryStatus, WebhookEvent};
use crate::storage::MultiBackend;

/// Reads a stored form, refusing anything that is not one of `T`'s.
pub fn decode<T: Stored>(stored: &str) -> deserialize::Result<T> {
    T::from_stored(stored)
        .ok_or_else(|| format!("unknown {} {stored:?} in the database", T::WHAT).into())
}

macro_rules! sql_value {
    ($sql:ident => $($t:ty),+ $(,)?) => {$(
        impl AsExpression<$sql> for $t {
            type Expression = Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl AsExpression<Nullable<$sql>> for $t {
            type Expression = Bound<Nullable<$sql>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> AsExpression<$sql> for &'a $t {
            type Expression = Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a> AsExpression<Nullable<$sql>> for &'a $t {
            type Expression = Bound<Nullable<$sql>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<DB: Backend> ToSql<Nullable<$sql>, DB> for $t
        where
            $t: ToSql<$sql, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <$t as ToSql<$sql, DB>>::to_sql(self, out)
            }
        }
        impl ToSql<$sql, MultiBackend> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value(($sql, self));
                Ok(IsNull::No)
            }
        }
        impl<DB> Queryable<$sql, DB> for $t
        where
            DB: Backend,
            $t: FromSql<$sql, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

macro_rules! stored_text {
    ($($t:ty),+ $(,)?) => {
        sql_value!(Text => $($t),+);
        $(
        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.stored(), &mut out.reborrow())
            }
        }
        impl ToSql<Text, Sqlite> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.stored());
                Ok(IsNull::No)
            }
        }
        impl<DB> FromSql<Text, DB> for $t
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                decode(&String::from_sql(bytes)?)
            }
        }
        )+
    };
}

macro_rules! id_bigint {
    ($($t:ident),+ $(,)?) => {
        sql_value!(BigInt => $($t),+);
        $(
        impl ToSql<BigInt, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <i64 as ToSql<BigInt, Pg>>::to_sql(&self.get(), &mut out.reborrow())
            }
        }
        impl ToSql<BigInt, Sqlite> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.get());
                Ok(IsNull::No)
            }
        }
        impl<DB> FromSql<BigInt, DB> for $t
        where
            DB: Backend,
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map($t::new)
            }
        }
        )+
    };
}

stored_text!(
    CaseStatus,
    PacketKind,
    Lang,
    EventKind,
    Role,
    DayKind,
    MailStatus,
    FileKind,
    RecoveryResult,
    ClaimStatus,
    Reason,
    WebhookEvent,
    DeliveryStatus,
    SecurityEventKind,
    ReplyUse,
);
id_bigint!(
    CaseId,
    AgentId,
    OutboxId,
    ApiKeyId,
    EndpointId,
    DeliveryId,
    SavedReplyId
);

// An address as the canonical text of the parsed address; anything else stored is an error.
sql_value!(Text => ClientIp);
impl ToSql<Text, Pg> for ClientIp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        use std::io::Write;
        out.write_all(self.text().as_bytes())?;
        Ok(IsNull::No)
    }
}
impl ToSql<Text, Sqlite> for ClientIp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.text());
        Ok(IsNull::No)
    }
}
impl<DB> FromSql<Text, DB> for ClientIp
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let stored = String::from_sql(bytes)?;
        ClientIp::parse(&stored)
            .ok_or_else(|| format!("unknown client address {stored:?} in the database").into())
    }
}

// A key's scopes as their stored list; a stored scope that is none of ours is an error.
sql_value!(Text => Scopes);
impl ToSql<Text, Pg> for Scopes {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        use std::io::Write;
        out.write_all(self.stored().as_bytes())?;
        Ok(IsNull::No)
    }
}
impl ToSql<Text, Sqlite> for Scopes {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.stored());
        Ok(IsNull::No)
    }
}
impl<DB> FromSql<Text, DB> for Scopes
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let stored = String::from_sql(bytes)?;
        let scopes = stored
            .split(',')
            .map(decode::<crate::domain::api::ApiScope>)
            .collect::<deserialize::Result<Vec<_>>>()?;
        Scopes::from_list(scopes).map_err(|_| "an API key without scopes in the database".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constraints in the migrations list exactly the enums' stored forms.
    #[test]
    fn the_migrations_constrain_columns_to_the_enums_values() {
        let migrations = [
            include_str!("../../migrations/sqlite/2026-11-28-000001_foundation/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-28-000002_agent_console/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-28-000003_outbox/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-28-000005_typed_values/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-28-000006_evidence_files/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-28-000007_abuse/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-28-000008_daily_counts/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-28-000009_review_dates_moved/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000001_foundation/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000002_agent_console/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000003_outbox/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000005_typed_values/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000006_evidence_files/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000007_abuse/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000008_daily_counts/up.sql"),
            include_str!("../../migrations/postgres/2026-11-28-000009_review_dates_moved/up.sql"),
            include_str!("../../migrations/sqlite/2026-12-03-000012_webhooks/up.sql"),
            include_str!("../../migrations/postgres/2026-12-03-000012_webhooks/up.sql"),
            include_str!("../../migrations/sqlite/2026-12-03-000016_team_console/up.sql"),
            include_str!("../../migrations/postgres/2026-12-03-000016_team_console/up.sql"),
        ]
        .concat();
        for list in [
            CaseStatus::sql_list(),
            PacketKind::sql_list(),
            Lang::sql_list(),
            EventKind::sql_list(),
            Role::sql_list(),
            DayKind::sql_list(),
            MailStatus::sql_list(),
            FileKind::sql_list(),
            WebhookEvent::sql_list(),
            DeliveryStatus::sql_list(),
            ReplyUse::sql_list(),
        ] {
            let constrained = format!("IN ({list})");
            assert!(
                migrations.matches(&constrained).count() >= 2,
                "both backends constrain a column to {list}"
            );
        }
    }

    #[test]
    fn an_unknown_stored_value_names_what_and_which() {
        let error = decode::<CaseStatus>("archived").expect_err("not a status");
        assert_eq!(
            error.to_string(),
            "unknown case status \"archived\" in the database"
        );
    }
}
