//! The back office's API: what a key may do (its scopes), the name a key goes by, and
//! the recovery result it reports for an approved case.

use super::money::Fen;
use super::stored::Stored;
use super::{Lang, Refusal, policy};

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiScope {
    /// List and read cases, download their files.
    CasesRead,
    /// Report the recovery result of an approved case.
    CasesOutcome,
}

impl Stored for ApiScope {
    const WHAT: &'static str = "API scope";
    const ALL: &'static [Self] = &[ApiScope::CasesRead, ApiScope::CasesOutcome];

    fn stored(self) -> &'static str {
        match self {
            ApiScope::CasesRead => "cases:read",
            ApiScope::CasesOutcome => "cases:outcome",
        }
    }
}

/// A key's scopes: a set, never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scopes(Vec<ApiScope>);

impl Scopes {
    /// `cases:read,cases:outcome` (commas or spaces between).
    pub fn parse(raw: &str) -> Result<Self, KeyRefusal> {
        let mut scopes = Vec::new();
        for item in raw
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let scope = ApiScope::from_stored(item).ok_or(KeyRefusal::UnknownScope)?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Self::from_list(scopes)
    }

    pub fn from_list(mut scopes: Vec<ApiScope>) -> Result<Self, KeyRefusal> {
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(KeyRefusal::NoScope);
        }
        Ok(Self(scopes))
    }

    pub fn allows(&self, scope: ApiScope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = ApiScope> + '_ {
        self.0.iter().copied()
    }

    /// The stored form: `cases:read,cases:outcome`.
    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|s| s.stored())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A key's name: what the timeline names as the actor of what the key did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(raw: &str) -> Result<Self, KeyRefusal> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(KeyRefusal::NameEmpty);
        }
        if name.chars().count() > policy::API_KEY_NAME_MAX_CHARS
            || name.chars().any(|c| c.is_control())
        {
            return Err(KeyRefusal::NameTooLong);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRefusal {
    NameEmpty,
    NameTooLong,
    NameTaken,
    NoScope,
    UnknownScope,
    NoSuchKey,
}

impl Refusal for KeyRefusal {
    fn message(&self, lang: Lang) -> String {
        match self {
            KeyRefusal::NameEmpty => lang.t("请为密钥起一个名字。", "Give the key a name."),
            KeyRefusal::NameTooLong => lang.t(
                "名字最多 60 个字符，且不能包含控制字符。",
                "A name has at most 60 characters and no control characters.",
            ),
            KeyRefusal::NameTaken => lang.t(
                "已有同名的密钥，请换一个名字。",
                "A key of this name exists already: choose another name.",
            ),
            KeyRefusal::NoScope => lang.t("请至少选择一个权限范围。", "Choose at least one scope."),
            KeyRefusal::UnknownScope => lang.t(
                "权限范围只能是 cases:read 或 cases:outcome。",
                "A scope is cases:read or cases:outcome.",
            ),
            KeyRefusal::NoSuchKey => lang.t(
                "没有这个名字的有效密钥。",
                "There is no active key of this name.",
            ),
        }
        .to_owned()
    }
}

/// What the back office could do about an approved case's money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryResult {
    Recovered,
    NotRecovered,
}

impl Stored for RecoveryResult {
    const WHAT: &'static str = "recovery result";
    const ALL: &'static [Self] = &[RecoveryResult::Recovered, RecoveryResult::NotRecovered];

    fn stored(self) -> &'static str {
        match self {
            RecoveryResult::Recovered => "recovered",
            RecoveryResult::NotRecovered => "not_recovered",
        }
    }
}

/// A reported recovery result, checked: a recovered amount is positive and at most the
/// case's, texts have their limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryReport {
    pub result: RecoveryResult,
    pub reference: String,
    pub amount: Option<Fen>,
    pub note: String,
}

/// A field of a report, and why it was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportRefusal {
    ResultUnknown,
    ReferenceEmpty,
    ReferenceTooLong,
    AmountMissing,
    AmountNotPositive,
    /// More than the case's own amount.
    AmountAboveCase,
    AmountOnlyWhenRecovered,
    NoteTooLong,
    NoteMissing,
}

impl ReportRefusal {
    /// The body field it concerns.
    pub fn field(self) -> &'static str {
        match self {
            ReportRefusal::ResultUnknown => "result",
            ReportRefusal::ReferenceEmpty | ReportRefusal::ReferenceTooLong => "reference",
            ReportRefusal::AmountMissing
            | ReportRefusal::AmountNotPositive
            | ReportRefusal::AmountAboveCase
            | ReportRefusal::AmountOnlyWhenRecovered => "amount_fen",
            ReportRefusal::NoteTooLong | ReportRefusal::NoteMissing => "note",
        }
    }
}

impl Refusal for ReportRefusal {
    fn message(&self, lang: Lang) -> String {
        match self {
            ReportRefusal::ResultUnknown => lang.t(
                "result 只能是 recovered 或 not_recovered。",
                "result is recovered or not_recovered.",
            ),
            ReportRefusal::ReferenceEmpty => lang.t(
                "请填写退款或追回的业务参考号。",
                "Give the back office's reference for the recovery.",
            ),
            ReportRefusal::ReferenceTooLong => lang.t(
                "参考号最多 100 个字符，且不能包含控制字符。",
                "A reference has at most 100 characters and no control characters.",
            ),
            ReportRefusal::AmountMissing => lang.t(
                "追回成功时请填写追回的金额（分）。",
                "Give the amount recovered, in fen, when the money was recovered.",
            ),
            ReportRefusal::AmountNotPositive => lang.t(
                "追回的金额必须大于 0。",
                "The amount recovered is more than 0.",
            ),
            ReportRefusal::AmountAboveCase => lang.t(
                "追回的金额不能超过案件的金额。",
                "The amount recovered is at most the case's amount.",
            ),
            ReportRefusal::AmountOnlyWhenRecovered => lang.t(
                "未追回时不要填写金额。",
                "Give no amount when the money was not recovered.",
            ),
            ReportRefusal::NoteTooLong => lang.t(
                "备注最多 2000 个字符。",
                "A note has at most 2000 characters.",
            ),
            ReportRefusal::NoteMissing => lang.t(
                "未追回时请在备注中说明原因（会发给申诉人）。",
                "Say why in the note when the money could not be recovered (the appellant reads it).",
            ),
        }
        .to_owned()
    }
}

impl RecoveryReport {
    /// Every refusal at once, one per field at most. `case_amount`: the case's amount,
    /// which a recovery cannot pass.
    pub fn parse(
        result: &str,
        reference: &str,
        amount_fen: Option<i64>,
        note: &str,
        case_amount: Fen,
    ) -> Result<Self, Vec<ReportRefusal>> {
        let mut refused = Vec::new();
        let result = RecoveryResult::from_stored(result);
        if result.is_none() {
            refused.push(ReportRefusal::ResultUnknown);
        }
        let reference = reference.trim();
        if reference.is_empty() {
            refused.push(ReportRefusal::ReferenceEmpty);
        } else if reference.chars().count() > policy::API_REFERENCE_MAX_CHARS
            || reference.chars().any(char::is_control)
        {
            refused.push(ReportRefusal::ReferenceTooLong);
        }
        let note = note.trim();
        if note.chars().count() > policy::API_NOTE_MAX_CHARS {
            refused.push(ReportRefusal::NoteTooLong);
        }
        let amount = match (result, amount_fen) {
            (Some(RecoveryResult::Recovered), None) => {
                refused.push(ReportRefusal::AmountMissing);
                None
            }
            (Some(RecoveryResult::Recovered), Some(n)) if n <= 0 => {
                refused.push(ReportRefusal::AmountNotPositive);
                None
            }
            (Some(RecoveryResult::Recovered), Some(n)) if n > case_amount.get() => {
                refused.push(ReportRefusal::AmountAboveCase);
                None
            }
            (Some(RecoveryResult::NotRecovered), Some(_)) => {
                refused.push(ReportRefusal::AmountOnlyWhenRecovered);
                None
            }
            (_, n) => n.map(Fen::new),
        };
        if result == Some(RecoveryResult::NotRecovered) && note.is_empty() {
            refused.push(ReportRefusal::NoteMissing);
        }
        match result {
            Some(result) if refused.is_empty() => Ok(Self {
                result,
                reference: reference.to_owned(),
                amount,
                note: note.to_owned(),
            }),
            _ => Err(refused),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_as_a_set_and_refuse_strangers() {
        let s = Scopes::parse("cases:outcome, cases:read,cases:read").unwrap();
        assert_eq!(s.stored(), "cases:read,cases:outcome");
        assert!(s.allows(ApiScope::CasesRead));
        assert_eq!(Scopes::parse(""), Err(KeyRefusal::NoScope));
        assert_eq!(Scopes::parse("cases:write"), Err(KeyRefusal::UnknownScope));
    }

    #[test]
    fn a_report_names_each_field_it_refuses() {
        let case = Fen::new(10_000);
        let ok = RecoveryReport::parse("recovered", " R-1 ", Some(10_000), "", case).unwrap();
        assert_eq!((ok.reference.as_str(), ok.amount), ("R-1", Some(case)));
        let refused = RecoveryReport::parse("recovered", "", Some(10_001), "", case).unwrap_err();
        assert_eq!(
            refused,
            [
                ReportRefusal::ReferenceEmpty,
                ReportRefusal::AmountAboveCase
            ]
        );
        let refused = RecoveryReport::parse("not_recovered", "R", Some(5), "", case).unwrap_err();
        assert_eq!(
            refused,
            [
                ReportRefusal::AmountOnlyWhenRecovered,
                ReportRefusal::NoteMissing
            ]
        );
        assert_eq!(
            RecoveryReport::parse("maybe", "R", None, "", case).unwrap_err(),
            [ReportRefusal::ResultUnknown]
        );
        for r in refused {
            assert!(!r.message(Lang::Zh).is_empty() && !r.message(Lang::En).is_empty());
        }
    }
}
