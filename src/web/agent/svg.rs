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

/// A vertical bar chart; `title` names it for screen readers. Few bars are drawn wide
/// with level labels; many are drawn narrow with every `label_every`-th label slanted.
pub fn bar_chart(title: &str, bars: &[Bar], label_every: usize) -> String {
    const HEIGHT: i64 = 160;
    const AXIS: i64 = 36;
    let wide = bars.len() <= 8;
    let (bar, gap) = if wide { (48, 32) } else { (12, 4) };
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let width = (bars.len() as i64 * (bar + gap)).max(bar) + 8;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" viewBox="0 0 {width} {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        HEIGHT + AXIS,
        escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let x = 4 + i as i64 * (bar + gap);
        let h = b.value * HEIGHT / max;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{}" width="{bar}" height="{h}"><title>{}: {}</title></rect>"#,
            HEIGHT - h,
            escape(&b.label),
            b.value
        );
        if wide {
            let _ = write!(
                svg,
                r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{} ({})</text>"#,
                x + bar / 2,
                HEIGHT + 16,
                escape(&b.label),
                b.value
            );
        } else if label_every > 0 && i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{x}" y="{}" font-size="9" transform="rotate(45 {x} {})">{}</text>"#,
                HEIGHT + 10,
                HEIGHT + 10,
                escape(&b.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A horizontal bar chart for a few named bars (statuses): each bar on a row of its own
/// with its label on the line above it, so labels of any length never meet, at any width.
pub fn row_chart(title: &str, bars: &[Bar]) -> String {
    const WIDTH: i64 = 480;
    const ROW: i64 = 44;
    const BAR: i64 = 14;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = (bars.len() as i64 * ROW).max(ROW);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart rows" role="img" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let top = i as i64 * ROW;
        // An empty bar still shows a sliver, so the row reads as a bar of zero.
        let w = (b.value * (WIDTH - 8) / max).max(2);
        let _ = write!(
            svg,
            r#"<text x="4" y="{}" font-size="14">{} ({})</text><rect x="4" y="{}" width="{w}" height="{BAR}"><title>{}: {}</title></rect>"#,
            top + 16,
            escape(&b.label),
            b.value,
            top + 24,
            escape(&b.label),
            b.value
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_put_each_label_on_its_own_line() {
        let bars: Vec<Bar> = ["In review", "Awaiting the appellant", "Submitted"]
            .iter()
            .map(|l| Bar {
                label: (*l).into(),
                value: 0,
            })
            .collect();
        let svg = row_chart("t", &bars);
        let ys: Vec<&str> = svg
            .match_indices("<text x=\"4\" y=\"")
            .map(|(i, m)| &svg[i + m.len()..i + m.len() + 3])
            .collect();
        assert_eq!(ys, ["16\"", "60\"", "104"]);
    }

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
