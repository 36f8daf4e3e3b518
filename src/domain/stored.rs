//! Values the database keeps as text: each variant has exactly one stored form, and a
//! stored form that is no variant is an error, never a default. The diesel conversions
//! for every such type live in `db::types`, written once against this trait.

/// A closed set of values stored as text.
pub trait Stored: Copy + std::fmt::Debug + Send + Sync + Sized + 'static {
    /// What the value is, for an error about an unknown stored form.
    const WHAT: &'static str;
    /// Every variant: the stored forms are exactly these variants' `stored()`.
    const ALL: &'static [Self];

    fn stored(self) -> &'static str;

    fn from_stored(stored: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.stored() == stored)
    }

    /// `'a', 'b'`: the list a CHECK constraint names (tests compare it with the migrations).
    fn sql_list() -> String {
        Self::ALL
            .iter()
            .map(|v| format!("'{}'", v.stored()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lang;
    use crate::domain::agent::Role;
    use crate::domain::calendar::DayKind;
    use crate::domain::case_status::CaseStatus;
    use crate::domain::evidence::PacketKind;
    use crate::domain::evidence_file::FileKind;
    use crate::domain::mail_status::MailStatus;
    use crate::domain::timeline::EventKind;

    fn round_trips<T: Stored + PartialEq>() {
        let mut seen = std::collections::HashSet::new();
        for v in T::ALL {
            assert!(
                seen.insert(v.stored()),
                "{} {:?} repeats a stored form",
                T::WHAT,
                v
            );
            assert_eq!(T::from_stored(v.stored()), Some(*v));
        }
        assert_eq!(T::from_stored(""), None);
        assert_eq!(T::from_stored("unknown"), None);
    }

    #[test]
    fn every_stored_type_round_trips_and_refuses_strangers() {
        round_trips::<CaseStatus>();
        round_trips::<PacketKind>();
        round_trips::<Lang>();
        round_trips::<EventKind>();
        round_trips::<Role>();
        round_trips::<DayKind>();
        round_trips::<MailStatus>();
        round_trips::<FileKind>();
    }

    /// The stored forms are data on disk: changing one needs a migration, so each is pinned.
    #[test]
    fn stored_forms_are_pinned() {
        assert_eq!(
            CaseStatus::sql_list(),
            "'submitted', 'in_review', 'awaiting_user', 'approved', 'rejected', 'closed', \
             'withdrawn', 'voided'"
        );
        assert_eq!(
            PacketKind::sql_list(),
            "'red_packet', 'lucky_red_packet', 'transfer'"
        );
        assert_eq!(Lang::sql_list(), "'zh-CN', 'en'");
        assert_eq!(Role::sql_list(), "'agent', 'supervisor'");
        assert_eq!(DayKind::sql_list(), "'day_off', 'working_day'");
        assert_eq!(MailStatus::sql_list(), "'pending', 'sent', 'dead'");
        assert_eq!(FileKind::sql_list(), "'jpeg', 'png', 'webp', 'pdf'");
        assert_eq!(
            EventKind::sql_list(),
            "'filed', 'claimed', 'assigned', 'evidence_requested', 'appellant_replied', \
             'closed_no_response', 'approved', 'rejected', 'carried_out', 'withdrawn', 'voided', \
             'note', 'viewed_evidence', 'mail_resent', 'evidence_added', 'evidence_opened', \
             'evidence_deleted', 'link_reissued'"
        );
    }
}
