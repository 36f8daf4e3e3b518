use chrono::NaiveDate;

use super::*;

fn receipt(lang: Lang) -> Receipt {
    let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).expect("date");
    Receipt {
        lang,
        case_number: "AD20260930-7KQ2XM".into(),
        packet_kind: "转账",
        amount: "520.00".into(),
        sent_at: "2026-09-30 09:00:00".into(),
        review_target: MailDate::new(lang, day(10)),
        review_deadline: MailDate::new(lang, day(15)),
        target_days: 3,
        deadline_days: 7,
        files: vec!["bill.png".into()],
        tracking_url: "http://127.0.0.1:8080/track/abc\"<x>".into(),
    }
}

#[test]
fn the_chinese_receipt_has_number_dates_link_and_the_never_ask_line() {
    let mail = receipt(Lang::Zh).render().unwrap();
    assert_eq!(
        one_line(&mail.subject),
        "申诉已提交：案件 AD20260930-7KQ2XM"
    );
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("AD20260930-7KQ2XM"));
        assert!(part.contains("2026年10月10日（星期六）"), "{part}");
        assert!(part.contains("2026年10月15日（星期四）"));
        assert!(part.contains("从不索取你的支付密码或短信验证码"));
    }
    assert!(mail.text.contains("http://127.0.0.1:8080/track/abc\"<x>"));
    assert!(mail.text.starts_with("你好："), "{:?}", &mail.text[..20]);
    assert!(mail.html.contains("<html lang=\"zh-CN\">"));
}

#[test]
fn the_english_receipt_is_all_english() {
    let mail = receipt(Lang::En).render().unwrap();
    assert_eq!(
        one_line(&mail.subject),
        "Appeal filed: case AD20260930-7KQ2XM"
    );
    assert!(mail.text.contains("Saturday 10 October 2026"));
    assert!(mail.text.contains("Thursday 15 October 2026"));
    assert!(
        mail.text.contains(
            "AppealDesk never asks for your payment password or an SMS verification code"
        )
    );
    assert!(!mail.text.contains("你好"));
    assert!(mail.html.contains("<html lang=\"en\">"));
}

#[test]
fn html_escapes_values_and_loads_nothing_remote() {
    let mail = receipt(Lang::En).render().unwrap();
    assert!(!mail.html.contains("abc\"<x>"), "values are escaped");
    let lower = mail.html.to_lowercase();
    for remote in ["<img", "<script", "<link", "url(", "src="] {
        assert!(!lower.contains(remote), "{remote}");
    }
}

#[test]
fn a_subject_is_always_one_line() {
    assert_eq!(
        one_line("Case 1\r\nBcc: victim@example.com\u{0}\t x"),
        "Case 1 Bcc: victim@example.com x"
    );
    assert_eq!(one_line("\n  申诉已提交 \n"), "申诉已提交");
}
