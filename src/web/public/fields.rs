//! How each piece of evidence is asked for on the form: label, hint, input.

use crate::domain::appeal::{Field, RawAppeal};
use crate::domain::evidence::{Account, PacketKind};
use crate::domain::{Lang, Refusal};
use crate::domain::{claim, policy};

pub enum Input {
    /// `inputmode` brings up the right phone keyboard; `max` bounds what is typed.
    Text {
        inputmode: &'static str,
        autocomplete: &'static str,
        placeholder: &'static str,
        max: usize,
    },
    PacketKind,
    Account,
    /// The claim question: one answer of `ClaimStatus::ALL`.
    Claim,
}

pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: String,
    pub value: String,
    pub error: Option<String>,
    pub input: Input,
}

impl FieldView {
    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.name)
    }

    pub fn error_id(&self) -> String {
        format!("{}-error", self.name)
    }

    /// `aria-describedby`: the error first, so a screen reader says what to fix.
    pub fn described_by(&self) -> String {
        match self.error {
            Some(_) => format!("{} {}", self.error_id(), self.hint_id()),
            None => self.hint_id(),
        }
    }
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub fn claim_choices(lang: Lang, current: &str) -> Vec<Choice> {
    claim::ClaimStatus::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str(),
            label: c.label(lang),
            selected: c.as_str() == current,
        })
        .collect()
}

pub fn packet_kind_choices(lang: Lang, current: &str) -> Vec<Choice> {
    PacketKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str(),
            label: k.label(lang),
            selected: k.as_str() == current,
        })
        .collect()
}

fn text(
    inputmode: &'static str,
    autocomplete: &'static str,
    placeholder: &'static str,
    max: usize,
) -> Input {
    Input::Text {
        inputmode,
        autocomplete,
        placeholder,
        max,
    }
}

/// The form's fields in order, with the user's values and the refusals to show.
pub fn views(
    lang: Lang,
    raw: &RawAppeal,
    error: impl Fn(Field) -> Option<String>,
) -> Vec<FieldView> {
    let t = |zh, en| lang.t(zh, en);
    Field::ALL
        .iter()
        .map(|&field| {
            let (label, hint, input, value) = match field {
                Field::WechatId => (
                    t("你的微信号", "Your WeChat ID"),
                    t("微信 → 我 → 微信号；用作每年申诉次数的依据", "WeChat → Me → WeChat ID; your yearly appeals are counted by it").to_owned(),
                    text("text", "username", "wxid_abc123", 40),
                    &raw.wechat_id,
                ),
                Field::Email => (
                    t("电子邮箱", "Email"),
                    t("案件进展会发到这个邮箱", "We email every step of your case here").to_owned(),
                    text("email", "email", "name@example.com", 254),
                    &raw.email,
                ),
                Field::PacketKind => (
                    t("付款方式", "What you sent"),
                    t("普通红包、拼手气红包或转账", "A red packet, a lucky red packet or a transfer").to_owned(),
                    Input::PacketKind,
                    &raw.packet_kind,
                ),
                Field::Amount => (
                    t("金额（元）", "Amount (yuan)"),
                    match lang {
                        Lang::Zh => format!("单笔须超过 {} 元，例如 520.00", policy::ELIGIBLE_ABOVE),
                        Lang::En => format!("One payment over ¥{}, for example 520.00", policy::ELIGIBLE_ABOVE),
                    },
                    text("decimal", "off", "520.00", 40),
                    &raw.amount,
                ),
                Field::SentAt => (
                    t("付款时间（北京时间，精确到秒）", "When you sent it (China time, to the second)"),
                    t("格式 2026-11-20 14:30:05；账单详情里的支付时间", "Format 2026-11-20 14:30:05, as the bill details show it").to_owned(),
                    text("text", "off", "2026-11-20 14:30:05", 40),
                    &raw.sent_at,
                ),
                Field::TransactionId => (
                    t("交易单号", "Transaction ID"),
                    t("账单详情里的交易单号：19 位数字，以 10 开头", "In the bill details: 19 digits starting with 10").to_owned(),
                    text("numeric", "off", "1000000000000000000", 60),
                    &raw.transaction_id,
                ),
                Field::CounterpartyPhoneSuffix => (
                    t("对方绑定手机号后 4 位", "Last 4 digits of the recipient's phone"),
                    t("对方微信绑定的手机号的最后 4 位", "The phone number bound to the recipient's WeChat").to_owned(),
                    text("numeric", "off", "1234", 8),
                    &raw.counterparty_phone_suffix,
                ),
                Field::CardLast4 => (
                    t("付款银行卡后 4 位", "Last 4 digits of your paying bank card"),
                    t("只填后 4 位，切勿填写完整卡号", "Only the last 4 digits, never the full card number").to_owned(),
                    text("numeric", "off", "5678", 8),
                    &raw.card_last4,
                ),
                Field::ClaimStatus => (
                    t("对方领取了吗？", "Has the recipient claimed it?"),
                    claim::how_to_tell(lang).to_owned(),
                    Input::Claim,
                    &raw.claim_status,
                ),
                Field::Account => (
                    t("事情经过", "What happened"),
                    match lang {
                        Lang::Zh => format!("用你自己的话说明为何误发（{}–{} 字）。请勿填写密码或验证码。", Account::MIN_CHARS, Account::MAX_CHARS),
                        Lang::En => format!("In your own words, how the mistake happened ({}–{} characters). Never include a password or SMS code.", Account::MIN_CHARS, Account::MAX_CHARS),
                    },
                    Input::Account,
                    &raw.account,
                ),
            };
            FieldView {
                name: field.name(),
                label,
                hint,
                value: value.clone(),
                error: error(field),
                input,
            }
        })
        .collect()
}

/// The message of a refusal, for `views`.
/// What to attach, and the limits, next to the file field.
pub fn evidence_hint(lang: Lang) -> String {
    let mb = policy::EVIDENCE_FILE_MAX_BYTES / (1024 * 1024);
    let n = policy::EVIDENCE_FILES_PER_SUBMISSION;
    match lang {
        Lang::Zh => format!(
            "请附上：这笔付款的微信支付账单详情页截图、电子回单（PDF 或截图）、显示误转的聊天截图。JPEG、PNG、WebP 或 PDF，每个最大 {mb} MB，最多 {n} 个。"
        ),
        Lang::En => format!(
            "Attach: the WeChat Pay bill details page of the payment, the e-receipt (PDF or screenshot), the chat showing the mistake. JPEG, PNG, WebP or PDF, up to {mb} MB each, at most {n} files."
        ),
    }
}

pub fn message(refusal: Option<&dyn Refusal>, lang: Lang) -> Option<String> {
    refusal.map(|r| r.message(lang))
}
