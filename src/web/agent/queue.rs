//! `GET /agent/cases` (the queue) and `GET /agent/cases.csv` (the same, exported).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::SignedIn;
use super::layout::{ConsolePage, Me};
use crate::domain::calendar::Arrangements;
use crate::domain::case_status::CaseStatus;
use crate::domain::claim::ClaimStatus;
use crate::domain::evidence::PacketKind;
use crate::domain::money::Fen;
use crate::domain::normalize::ascii_fold;
use crate::domain::queue::{Assignee, Cursor, Filter, Search, Statuses};
use crate::domain::stored::Stored;
use crate::domain::{Lang, Refusal, cst};
use crate::web::AppState;
use crate::web::errors::AppResult;
use crate::web::i18n::UiLang;
use crate::web::page::{self, Chrome};
use crate::workflows::queue::{self, FilterProblem, PAGE_SIZE, QueueItem};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct QueueQuery {
    status: String,
    assignee: String,
    overdue: String,
    kind: String,
    /// The appellant's answer to the claim question.
    claim: String,
    from: String,
    to: String,
    q: String,
    /// "1": same WeChat ID, different emails or addresses.
    contested: String,
    after: String,
}

/// The filter the query asks for, and a message for each part that could not be read.
struct Parsed {
    filter: Filter,
    after: Option<Cursor>,
    problems: Vec<(&'static str, FilterProblem)>,
}

fn parse(query: &QueueQuery, who: &SignedIn, today: NaiveDate) -> Parsed {
    let mut problems = Vec::new();
    let statuses = match query.status.as_str() {
        "" | "open" => Statuses::Open,
        "all" => Statuses::All,
        other => match CaseStatus::from_stored(other) {
            Some(s) => Statuses::One(s),
            None => {
                problems.push(("status", FilterProblem::UnknownStatus));
                Statuses::Open
            }
        },
    };
    let assignee = match query.assignee.as_str() {
        "" | "any" => Assignee::Anyone,
        "mine" => Assignee::Agent(who.agent.id),
        "unassigned" => Assignee::Unassigned,
        id => match id.parse() {
            Ok(id) => Assignee::Agent(id),
            Err(_) => {
                problems.push(("assignee", FilterProblem::UnknownAssignee));
                Assignee::Anyone
            }
        },
    };
    let mut date = |name: &'static str, raw: &str| -> Option<NaiveDate> {
        if raw.trim().is_empty() {
            return None;
        }
        let parsed = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok();
        if parsed.is_none() {
            problems.push((name, FilterProblem::BadDate));
        }
        parsed
    };
    let filed_from = date("from", &query.from);
    let filed_to = date("to", &query.to);
    let packet_kind = PacketKind::parse(&query.kind).ok();
    let claim = ClaimStatus::parse(&query.claim).ok();
    let search = Some(query.q.trim()).filter(|q| !q.is_empty()).map(|q| {
        // Case numbers, IDs and WeChat IDs have no blanks and no control characters.
        let folded: String = ascii_fold(q)
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        Search {
            case_number: folded.to_uppercase(),
            transaction_id: folded.clone(),
            wechat_id: folded.to_lowercase(),
        }
    });
    let after = query.after.split_once('.').and_then(|(d, id)| {
        Some(Cursor {
            deadline: NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?,
            id: id.parse().ok()?,
        })
    });
    Parsed {
        filter: Filter {
            statuses,
            assignee,
            overdue_before: (query.overdue == "1").then_some(today),
            packet_kind,
            filed_from,
            filed_to,
            search,
            contested: query.contested == "1",
            claim,
        },
        after,
        problems,
    }
}

struct Row {
    case_number: String,
    /// Sent back by the bulk form (`page.{number}`).
    version: i64,
    status: &'static str,
    amount: Fen,
    kind: &'static str,
    days_left: i64,
    deadline: String,
    provisional: Option<&'static str>,
    assignee: String,
    files: i64,
}

impl Row {
    fn new(item: &QueueItem, lang: Lang, arrangements: &Arrangements) -> Self {
        let r = &item.row;
        Self {
            case_number: r.case_number.clone(),
            version: r.version,
            status: r.status.staff_label(lang),
            amount: Fen::new(r.amount_fen),
            kind: r.packet_kind.label(lang),
            days_left: item.working_days_left,
            deadline: r.review_deadline.format("%Y-%m-%d").to_string(),
            provisional: arrangements.note(lang, r.review_deadline),
            assignee: r.assignee.clone().unwrap_or_default(),
            files: item.evidence_files,
        }
    }
}

struct Choice {
    value: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "agent/queue.html")]
struct QueuePage {
    chrome: Chrome,
    me: Me,
    query: QueueQuery,
    rows: Vec<Row>,
    next_url: Option<String>,
    export_url: String,
    problems: Vec<(&'static str, String)>,
    statuses: Vec<Choice>,
    /// The active agents, for the bulk assign form: id and name.
    agents: Vec<(String, String)>,
    kinds: Vec<Choice>,
    claims: Vec<Choice>,
}

impl QueuePage {
    fn problem(&self, name: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.as_str())
    }
}

fn encode(query: &QueueQuery) -> String {
    let pairs = [
        ("status", &query.status),
        ("assignee", &query.assignee),
        ("overdue", &query.overdue),
        ("kind", &query.kind),
        ("claim", &query.claim),
        ("from", &query.from),
        ("to", &query.to),
        ("q", &query.q),
        ("contested", &query.contested),
        ("after", &query.after),
    ];
    super::export::query_string(pairs.map(|(k, v)| (k, v.as_str())))
}

pub async fn home(_signed_in: SignedIn) -> HttpResponse {
    page::see_other("/agent/cases")
}

pub async fn show(
    state: web::Data<AppState>,
    console: ConsolePage,
    query: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let (lang, who) = (console.lang, &console.who);
    let query = query.into_inner();
    let now = state.clock.now();
    let parsed = parse(&query, who, cst::local_date(now));
    let (filter, after) = (parsed.filter.clone(), parsed.after);
    let page = state
        .store
        .read(move |conn| queue::page(conn, &filter, after, PAGE_SIZE, now))
        .await??;
    let next_url = page.next.map(|c| {
        let mut q = query.clone();
        q.after = format!("{}.{}", c.deadline.format("%Y-%m-%d"), c.id);
        format!("/agent/cases?{}", encode(&q))
    });
    let mut export = query.clone();
    export.after.clear();
    let view = QueuePage {
        chrome: console.chrome,
        me: console.me,
        rows: page
            .items
            .iter()
            .map(|i| Row::new(i, lang, &page.arrangements))
            .collect(),
        next_url,
        agents: page
            .agents
            .iter()
            .map(|a| (a.id.to_string(), a.name.clone()))
            .collect(),
        export_url: format!("/agent/cases.csv?{}", encode(&export)),
        problems: parsed
            .problems
            .iter()
            .map(|(field, problem)| (*field, problem.message(lang)))
            .collect(),
        statuses: CaseStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: s.staff_label(lang),
            })
            .collect(),
        claims: ClaimStatus::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str(),
                label: c.said(true, lang),
            })
            .collect(),
        kinds: PacketKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str(),
                label: k.label(lang),
            })
            .collect(),
        query,
    };
    page::render(StatusCode::OK, &view)
}

/// The filtered queue as CSV, with a byte-order mark so spreadsheet programs read
/// Chinese correctly.
pub async fn export(
    state: web::Data<AppState>,
    who: SignedIn,
    UiLang(lang): UiLang,
    query: web::Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let parsed = parse(&query, &who, cst::local_date(now));
    let filter = parsed.filter;
    let page = state
        .store
        .run(move |session| {
            queue::page(
                session.conn(),
                &filter,
                None,
                crate::domain::policy::EXPORT_MAX_ROWS,
                now,
            )
        })
        .await??;
    let columns: Vec<&str> = lang
        .t(
            "案件编号,状态,付款方式,金额(元),提交日期,目标日期,最迟日期,日期说明,剩余工作日,处理人,交易单号,微信号,申诉人称款项,证据文件数",
            "case number,status,kind,amount (yuan),filed on,target,deadline,dates,working days left,assignee,transaction id,wechat id,appellant says,evidence files",
        )
        .split(',')
        .collect();
    let rows = page.items.iter().map(|item| {
        let r = &item.row;
        [
            r.case_number.clone(),
            r.status.staff_label(lang).to_owned(),
            r.packet_kind.label(lang).to_owned(),
            format!("{}.{:02}", r.amount_fen / 100, r.amount_fen % 100),
            r.filed_on.to_string(),
            r.review_target.to_string(),
            r.review_deadline.to_string(),
            // A provisional target or deadline says so in its own column.
            [r.review_target, r.review_deadline]
                .iter()
                .find_map(|d| page.arrangements.note(lang, *d))
                .unwrap_or_default()
                .to_owned(),
            item.working_days_left.to_string(),
            r.assignee.clone().unwrap_or_default(),
            r.transaction_id.clone(),
            r.wechat_id.clone(),
            r.claim_said(lang).to_owned(),
            item.evidence_files.to_string(),
        ]
    });
    let csv = super::export::csv_body(&columns, rows).map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"cases.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv))
}
