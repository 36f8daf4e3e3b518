//! The queue export's CSV body (what a spreadsheet program opens without asking questions),
//! and the query string that carries the queue's filter to the export and the next page.

use csv::{Terminator, WriterBuilder};

/// A byte-order mark first, so spreadsheet programs read Chinese as UTF-8.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// `header` then `rows`, CRLF line ends, quoted where needed, formulas defused.
pub fn csv_body<R, C>(header: &[&str], rows: R) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator,
    R::Item: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut writer = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .from_writer(BOM.to_vec());
    writer.write_record(header.iter().map(|cell| defuse(cell)))?;
    for row in rows {
        writer.write_record(row.into_iter().map(|cell| defuse(cell.as_ref())))?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// A cell a spreadsheet would run as a formula (OWASP's list: `= + - @`, tab, CR) gets a
/// leading apostrophe; numbers such as `-3` (working days left when overdue) stay numbers.
fn defuse(value: &str) -> String {
    let formula =
        value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.trim().parse::<f64>().is_err();
    if formula {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// `k=v&...` for the pairs whose value is not empty (an empty filter is no filter).
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let pairs: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    // Pairs of strings always serialize; an unfiltered link is the harmless fallback.
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(rows: &[&[&str]]) -> String {
        let bytes = csv_body(&["case number", "assignee"], rows.iter().map(|r| r.iter()))
            .expect("writes to memory");
        String::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn export_starts_with_a_byte_order_mark_and_ends_lines_with_crlf() {
        let text = body(&[&["AD-1", "a@example.com"], &["AD-2", ""]]);
        assert_eq!(
            text,
            "\u{feff}case number,assignee\r\nAD-1,a@example.com\r\nAD-2,\r\n"
        );
    }

    #[test]
    fn export_quotes_cells_with_commas_quotes_and_line_breaks() {
        let text = body(&[&["a,b", "say \"hi\""], &["two\nlines", "plain"]]);
        assert_eq!(
            text,
            "\u{feff}case number,assignee\r\n\"a,b\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",plain\r\n"
        );
    }

    #[test]
    fn export_defuses_formulas_but_keeps_negative_numbers() {
        let text = body(&[
            &["=HYPERLINK(\"x\")", "+1+1"],
            &["-2+3", "@SUM(A1)"],
            &["-3", "+4.5"],
            &["a=b", "1-2"],
            &["\t=1+1", "\r@x"],
        ]);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"x\"\")\",'+1+1");
        assert_eq!(lines[2], "'-2+3,'@SUM(A1)");
        assert_eq!(lines[3], "-3,+4.5");
        assert_eq!(lines[4], "a=b,1-2");
        assert_eq!(lines[5], "'\t=1+1,\"'\r@x\"");
    }

    #[test]
    fn filter_query_skips_empty_values_and_round_trips_any_search() {
        let q = "a b&c=d+e%f/?#案件";
        let query = query_string([("status", "all"), ("kind", ""), ("q", q)]);
        assert!(!query.contains("kind"), "{query}");
        // The search's own `&`, blank, `#` and `?` are escaped: one separator, nothing that ends the URL.
        assert_eq!(query.matches('&').count(), 1, "{query}");
        assert!(!query.contains([' ', '#', '?']), "{query}");
        let decoded: Vec<(String, String)> = serde_urlencoded::from_str(&query).expect("decodes");
        assert_eq!(
            decoded,
            vec![("status".into(), "all".into()), ("q".into(), q.into())]
        );
        assert_eq!(query_string([("q", "")]), "");
    }
}
