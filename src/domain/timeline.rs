//! What a case's timeline records, and how each audience reads it. Both readings are
//! exhaustive matches: a new kind does not compile until agents and appellants each
//! have a way to see it (or, for the appellant, a decision that they do not).

use super::Lang;
use super::case_status::Action;
use super::stored::Stored;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    Filed,
    Claimed,
    Assigned,
    EvidenceRequested,
    AppellantReplied,
    ClosedNoResponse,
    Approved,
    Rejected,
    CarriedOut,
    Withdrawn,
    Voided,
    /// An agent's internal note.
    Note,
    /// An agent opened the case (once per agent and case within `policy::VIEW_RECORD_MINUTES`).
    ViewedCase,
    /// A supervisor sent an undelivered mail again.
    MailResent,
    /// Evidence files came with the filing or a reply (their names in the note).
    EvidenceAdded,
    /// An agent opened a file (once per agent and file within `policy::VIEW_RECORD_MINUTES`).
    EvidenceOpened,
    /// The retention job deleted the case's files (how many in the note).
    EvidenceDeleted,
    /// The appellant asked for their tracking link again: a new one was mailed and the
    /// old one stopped working.
    LinkReissued,
    /// A year of the official calendar was loaded or corrected: the review dates moved
    /// later (old and new dates in the note).
    ReviewDatesMoved,
    /// As above, but a date the appellant had been told moved earlier: said as such.
    ReviewDatesMovedEarlier,
}

/// How the appellant sees an entry on the tracking page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppellantEntry {
    pub what: &'static str,
    /// Whether the entry's text is theirs to read (a request, their reply, a decision's reason).
    pub shows_note: bool,
}

impl From<Action> for EventKind {
    fn from(action: Action) -> Self {
        match action {
            Action::Claim => EventKind::Claimed,
            Action::Assign => EventKind::Assigned,
            Action::RequestEvidence => EventKind::EvidenceRequested,
            Action::AppellantReplied => EventKind::AppellantReplied,
            Action::CloseNoResponse => EventKind::ClosedNoResponse,
            Action::Approve => EventKind::Approved,
            Action::Reject => EventKind::Rejected,
            Action::RecordCarriedOut => EventKind::CarriedOut,
            Action::Withdraw => EventKind::Withdrawn,
            Action::Void => EventKind::Voided,
        }
    }
}

impl EventKind {
    /// Whether the entry records a change of the case (its version grows), rather than
    /// the filing that created it or someone looking at it.
    pub fn changes_case(self) -> bool {
        !Self::CHANGE_NOTHING.contains(&self)
    }

    /// The entries that record no change of the case (the filing itself, someone looking).
    pub const CHANGE_NOTHING: [EventKind; 3] = [
        EventKind::Filed,
        EventKind::ViewedCase,
        EventKind::EvidenceOpened,
    ];

    /// The agents' audit trail shows everything.
    pub fn for_agent(self, lang: Lang) -> &'static str {
        match self {
            EventKind::Filed => lang.t("提交申诉", "Filed"),
            EventKind::Claimed => lang.t("认领案件", "Claimed the case"),
            EventKind::Assigned => lang.t("分派案件", "Assigned the case"),
            EventKind::EvidenceRequested => lang.t("要求补充材料", "Asked for more evidence"),
            EventKind::AppellantReplied => lang.t("申诉人已回复", "The appellant replied"),
            EventKind::ClosedNoResponse => lang.t("因未回复而结案", "Closed: no response"),
            EventKind::Approved => lang.t("通过申诉", "Approved"),
            EventKind::Rejected => lang.t("驳回申诉", "Rejected"),
            EventKind::CarriedOut => lang.t("已执行决定并结案", "Decision carried out; closed"),
            EventKind::Withdrawn => lang.t("申诉人撤回", "Withdrawn by the appellant"),
            EventKind::Voided => lang.t("作废", "Voided"),
            EventKind::Note => lang.t("内部备注", "Internal note"),
            EventKind::ViewedCase => lang.t("查看证据", "Viewed the evidence"),
            EventKind::MailResent => lang.t("重新发送邮件", "Sent a mail again"),
            EventKind::EvidenceAdded => lang.t("添加了证据文件", "Added evidence files"),
            EventKind::EvidenceOpened => lang.t("打开了证据文件", "Opened an evidence file"),
            EventKind::EvidenceDeleted => lang.t(
                "证据文件已过保存期限并删除",
                "Evidence files deleted after the retention period",
            ),
            EventKind::LinkReissued => lang.t(
                "向申诉人的邮箱发送了新的跟踪链接（旧链接失效）",
                "A new tracking link was mailed to the appellant (the old one stopped working)",
            ),
            EventKind::ReviewDatesMoved => lang.t(
                "按官方放假安排重新计算了处理日期（推后）",
                "Review dates recomputed with the official holiday arrangement (later)",
            ),
            EventKind::ReviewDatesMovedEarlier => lang.t(
                "按官方放假安排重新计算了处理日期：日期提前",
                "Review dates recomputed with the official holiday arrangement: moved earlier",
            ),
        }
    }

    /// The appellant sees what happened to their appeal, never internal notes, views,
    /// mail handling or who works on it.
    pub fn for_appellant(self, lang: Lang) -> Option<AppellantEntry> {
        let (what, shows_note) = match self {
            EventKind::Filed => (
                lang.t(
                    "申诉已提交，等待客服受理",
                    "Appeal filed; waiting for customer service",
                ),
                false,
            ),
            EventKind::Claimed => (
                lang.t("客服已开始审核", "Customer service started the review"),
                false,
            ),
            EventKind::EvidenceRequested => (
                lang.t(
                    "客服请你补充材料",
                    "Customer service asked you for more evidence",
                ),
                true,
            ),
            EventKind::AppellantReplied => (lang.t("你已回复", "You replied"), true),
            EventKind::Approved => (lang.t("申诉已通过", "Appeal approved"), true),
            EventKind::Rejected => (lang.t("申诉未通过", "Appeal rejected"), true),
            EventKind::CarriedOut => (
                lang.t(
                    "决定已执行，案件已结案",
                    "The decision was carried out; case closed",
                ),
                false,
            ),
            EventKind::ClosedNoResponse => (
                lang.t("因未在期限内回复，案件已结案", "Closed: no reply in time"),
                false,
            ),
            EventKind::Withdrawn => (lang.t("你已撤回申诉", "You withdrew the appeal"), false),
            EventKind::Voided => (lang.t("申诉已被作废", "The appeal was voided"), false),
            EventKind::EvidenceAdded => (lang.t("已收到证据文件", "Evidence files received"), true),
            EventKind::EvidenceDeleted => (
                lang.t(
                    "证据文件已过保存期限并删除",
                    "Evidence files deleted after the retention period",
                ),
                true,
            ),
            EventKind::LinkReissued => (
                lang.t(
                    "新的跟踪链接已发送到你的邮箱，旧链接已失效",
                    "A new tracking link was sent to your email; the old one no longer works",
                ),
                false,
            ),
            EventKind::ReviewDatesMoved => (
                lang.t(
                    "官方放假安排公布后，处理日期已重新计算（推后）",
                    "The official holiday arrangement was published: your review dates were recomputed (later)",
                ),
                true,
            ),
            EventKind::ReviewDatesMovedEarlier => (
                lang.t(
                    "官方放假安排公布后，处理日期已重新计算：日期提前",
                    "The official holiday arrangement was published: your review dates were recomputed and moved earlier",
                ),
                true,
            ),
            EventKind::Assigned
            | EventKind::Note
            | EventKind::ViewedCase
            | EventKind::MailResent
            | EventKind::EvidenceOpened => {
                return None;
            }
        };
        Some(AppellantEntry { what, shows_note })
    }
}

impl Stored for EventKind {
    const WHAT: &'static str = "event kind";
    const ALL: &'static [Self] = &[
        EventKind::Filed,
        EventKind::Claimed,
        EventKind::Assigned,
        EventKind::EvidenceRequested,
        EventKind::AppellantReplied,
        EventKind::ClosedNoResponse,
        EventKind::Approved,
        EventKind::Rejected,
        EventKind::CarriedOut,
        EventKind::Withdrawn,
        EventKind::Voided,
        EventKind::Note,
        EventKind::ViewedCase,
        EventKind::MailResent,
        EventKind::EvidenceAdded,
        EventKind::EvidenceOpened,
        EventKind::EvidenceDeleted,
        EventKind::LinkReissued,
        EventKind::ReviewDatesMoved,
        EventKind::ReviewDatesMovedEarlier,
    ];

    fn stored(self) -> &'static str {
        match self {
            EventKind::Filed => "filed",
            EventKind::Claimed => "claimed",
            EventKind::Assigned => "assigned",
            EventKind::EvidenceRequested => "evidence_requested",
            EventKind::AppellantReplied => "appellant_replied",
            EventKind::ClosedNoResponse => "closed_no_response",
            EventKind::Approved => "approved",
            EventKind::Rejected => "rejected",
            EventKind::CarriedOut => "carried_out",
            EventKind::Withdrawn => "withdrawn",
            EventKind::Voided => "voided",
            EventKind::Note => "note",
            EventKind::ViewedCase => "viewed_evidence",
            EventKind::MailResent => "mail_resent",
            EventKind::EvidenceAdded => "evidence_added",
            EventKind::EvidenceOpened => "evidence_opened",
            EventKind::EvidenceDeleted => "evidence_deleted",
            EventKind::LinkReissued => "link_reissued",
            EventKind::ReviewDatesMoved => "review_dates_moved",
            EventKind::ReviewDatesMovedEarlier => "review_dates_moved_earlier",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_recorded_under_its_own_kind() {
        let kinds: std::collections::HashSet<_> =
            Action::ALL.iter().map(|a| EventKind::from(*a)).collect();
        assert_eq!(kinds.len(), Action::ALL.len());
    }

    #[test]
    fn appellants_never_see_internal_entries() {
        for kind in [
            EventKind::Note,
            EventKind::ViewedCase,
            EventKind::MailResent,
            EventKind::Assigned,
        ] {
            assert_eq!(kind.for_appellant(Lang::Zh), None);
        }
        for kind in EventKind::ALL {
            assert!(!kind.for_agent(Lang::Zh).is_empty() && !kind.for_agent(Lang::En).is_empty());
        }
        let decided = EventKind::Rejected.for_appellant(Lang::En);
        assert_eq!(decided.map(|e| e.shows_note), Some(true));
    }
}
