//! Server-rendered bar charts: no JavaScript, no library. Every label is escaped, so
//! the markup is safe to embed as it is.

use std::fmt::Write;

pub struct Bar {
    pub label: String,
    pub value: i64,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A vertical bar chart; `title` names it for screen readers.
pub fn bar_chart(title: &str, bars: &[Bar], label_every: usize) -> String {
    const HEIGHT: i64 = 160;
    const BAR: i64 = 12;
    const GAP: i64 = 4;
    const AXIS: i64 = 36;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let width = (bars.len() as i64 * (BAR + GAP)).max(BAR) + 8;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" viewBox="0 0 {width} {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        HEIGHT + AXIS,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let x = 4 + i as i64 * (BAR + GAP);
        let h = bar.value * HEIGHT / max;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{}" width="{BAR}" height="{h}"><title>{}: {}</title></rect>"#,
            HEIGHT - h,
            escape(&bar.label),
            bar.value
        );
        if label_every > 0 && i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{x}" y="{}" font-size="9" transform="rotate(45 {x} {})">{}</text>"#,
                HEIGHT + 10,
                HEIGHT + 10,
                escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_labels_are_escaped() {
        let svg = bar_chart(
            "a <b>",
            &[
                Bar {
                    label: "x&y".into(),
                    value: 2,
                },
                Bar {
                    label: "z".into(),
                    value: 4,
                },
            ],
            1,
        );
        assert!(svg.contains("height=\"80\"") && svg.contains("height=\"160\""));
        assert!(svg.contains("a &lt;b&gt;") && svg.contains("x&amp;y"));
        assert!(!svg.contains("<b>"));
    }
}
