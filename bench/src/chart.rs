//! A comparison as a picture: a self-contained SVG bar chart, one panel per figure (say
//! throughput and p99 latency), one bar per system, each bar labelled with its value.
//!
//! Hand-written SVG, because a chart of a few bars needs no plotting library: the file opens in
//! any browser and converts with `rsvg-convert`. Pure functions, tested on their text.

use std::fmt::Write;

/// One panel: a figure measured on every system.
#[derive(Debug, Clone)]
pub struct Panel {
    /// E.g. `records/s (higher is better)`.
    pub title: String,
    /// (system, value); a NaN value is drawn as "n/a".
    pub bars: Vec<(String, f64)>,
}

const PANEL_W: f64 = 360.0;
const PANEL_H: f64 = 260.0;
const TOP: f64 = 70.0;
const BOTTOM: f64 = 40.0;
const COLOURS: [&str; 4] = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1"];

/// The SVG document: `title` above, the panels side by side.
pub fn svg(title: &str, subtitle: &str, panels: &[Panel]) -> String {
    // Wide enough for the subtitle too (about 6 px per character at 11 px).
    let width = (PANEL_W * panels.len().max(1) as f64).max(subtitle.chars().count() as f64 * 6.2 + 40.0);
    let panel_w = width / panels.len().max(1) as f64;
    let height = TOP + PANEL_H + BOTTOM;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans, Arial, sans-serif">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{:.0}" y="24" font-size="16" font-weight="bold" text-anchor="middle">{}</text>"#,
        width / 2.0,
        escape(title)
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.0}" y="44" font-size="11" fill="#444" text-anchor="middle">{}</text>"##,
        width / 2.0,
        escape(subtitle)
    );
    for (i, panel) in panels.iter().enumerate() {
        draw_panel(&mut out, panel_w * i as f64, panel_w, panel);
    }
    out.push_str("</svg>\n");
    out
}

fn draw_panel(out: &mut String, x0: f64, panel_w: f64, panel: &Panel) {
    // Room above the tallest bar for its value label, under the panel title.
    let (plot_top, plot_bottom) = (TOP + 36.0, TOP + PANEL_H - 10.0);
    let plot_h = plot_bottom - plot_top;
    let max = panel.bars.iter().map(|&(_, v)| v).filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { plot_h / max } else { 0.0 };
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">{}</text>"#,
        x0 + panel_w / 2.0,
        TOP + 8.0,
        escape(&panel.title)
    );
    let _ = writeln!(
        out,
        r##"<line x1="{:.1}" y1="{plot_bottom:.1}" x2="{:.1}" y2="{plot_bottom:.1}" stroke="#888"/>"##,
        x0 + 20.0,
        x0 + panel_w - 20.0
    );
    let n = panel.bars.len().max(1) as f64;
    let slot = (panel_w - 40.0) / n;
    let bar_w = (slot * 0.6).min(90.0);
    for (j, (name, value)) in panel.bars.iter().enumerate() {
        let cx = x0 + 20.0 + slot * (j as f64 + 0.5);
        let colour = COLOURS[j % COLOURS.len()];
        let (h, label) =
            if value.is_finite() { ((value * scale).max(0.0), format_value(*value)) } else { (0.0, "n/a".into()) };
        let _ = writeln!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{colour}"/>"#,
            cx - bar_w / 2.0,
            plot_bottom - h
        );
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
            plot_bottom - h - 5.0,
            escape(&label)
        );
        let _ = writeln!(
            out,
            r#"<text x="{cx:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
            plot_bottom + 18.0,
            escape(name)
        );
    }
}

/// A value with a sensible number of digits: 1234567 → "1.23M", 1234 → "1234", 1.234 → "1.23".
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Escapes text for SVG content and attributes.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(values: &[f64]) -> Panel {
        Panel {
            title: "records/s (higher is better)".into(),
            bars: values.iter().enumerate().map(|(i, &v)| (format!("sys<{i}>"), v)).collect(),
        }
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let doc = svg("mqtt-p2p & friends", "3 runs", &[panel(&[200.0, 100.0])]);
        assert!(doc.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(doc.trim_end().ends_with("</svg>"));
        let plot_h = PANEL_H - 10.0 - 36.0;
        assert!(doc.contains(&format!(r#"height="{plot_h:.1}""#)), "the largest bar fills the plot");
        assert!(doc.contains(&format!(r#"height="{:.1}""#, plot_h / 2.0)), "half the value, half the height");
        assert!(doc.contains("mqtt-p2p &amp; friends") && doc.contains("sys&lt;1&gt;"), "text is escaped");
        assert_eq!(doc.matches("<rect").count(), 3, "background and two bars");
    }

    #[test]
    fn missing_and_zero_values_draw_no_bar() {
        let doc = svg("t", "s", &[panel(&[f64::NAN, 0.0]), panel(&[1.0])]);
        assert!(doc.contains(">n/a<"));
        assert!(doc.contains(r#"width="720""#), "two panels side by side");
        assert!(!doc.contains("NaN") && !doc.contains("inf"));
    }

    #[test]
    fn values_are_readable() {
        assert_eq!(format_value(1_234_567.0), "1.23M");
        assert_eq!(format_value(98_765.4), "98765");
        assert_eq!(format_value(42.25), "42.2");
        assert_eq!(format_value(1.234), "1.23");
    }
}
