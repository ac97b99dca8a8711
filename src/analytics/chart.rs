//! Bar charts as self-contained SVG, drawn with plotters, for the HTML report.

use plotters::prelude::*;

use super::{Answer, PAID_VS_FREE, PLAYS_BY_HOUR, PLAYS_BY_REGION, PLAYS_BY_WEEKDAY};

/// The report's colours: blue for plays and for paid listening, orange for free.
pub const BLUE: RGBColor = RGBColor(0x4C, 0x78, 0xA8);
pub const ORANGE: RGBColor = RGBColor(0xF5, 0x85, 0x18);

/// Regions charted; the table lists them all.
const CHARTED_REGIONS: usize = 12;
const WIDTH: u32 = 760;
const HEIGHT: u32 = 340;

/// The chart an answer is drawn as, for the four that have one.
pub fn of_answer(answer: &Answer) -> Option<String> {
    let single = |label_column: &str, rows: usize| -> Vec<Bar> {
        (0..rows)
            .map(|row| Bar {
                label: answer.get(row, label_column).unwrap_or("").to_string(),
                value: answer.number(row, "plays"),
                color: BLUE,
            })
            .collect()
    };
    let rows = answer.rows.len();
    let svg = match answer.query.name {
        name if name == PLAYS_BY_HOUR.name => {
            bar_chart(&answer.title, "hour (UTC)", "plays", &single("hour", rows))
        }
        name if name == PLAYS_BY_WEEKDAY.name => {
            let mut bars = single("day_name", rows);
            for bar in &mut bars {
                bar.label.truncate(3);
            }
            bar_chart(&answer.title, "day", "plays", &bars)
        }
        name if name == PLAYS_BY_REGION.name => bar_chart(
            &answer.title,
            "region",
            "plays",
            &single("region", rows.min(CHARTED_REGIONS)),
        ),
        name if name == PAID_VS_FREE.name => {
            let mut bars = Vec::new();
            for (metric, column) in [
                ("plays/user", "plays_per_user"),
                ("plays/session", "plays_per_session"),
            ] {
                for row in 0..rows {
                    let level = answer.get(row, "level").unwrap_or("");
                    bars.push(Bar {
                        label: format!("{metric} {level}"),
                        value: answer.number(row, column),
                        color: if level == "paid" { BLUE } else { ORANGE },
                    });
                }
            }
            // Ratios, not counts: the axis says so.
            bar_chart(
                &answer.title,
                "level",
                "ratio: plays per user, per session",
                &bars,
            )
        }
        _ => return None,
    };
    Some(svg)
}

/// One bar: its label on the x axis, its height and its colour.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub color: RGBColor,
}

/// A vertical bar chart of `bars`, left to right, as an SVG document.
pub fn bar_chart(title: &str, x_desc: &str, y_desc: &str, bars: &[Bar]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, title, x_desc, y_desc, bars).expect("drawing into a string cannot fail");
        root.present()
            .expect("presenting into a string cannot fail");
    }
    svg
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    bars: &[Bar],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let top = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    // Headroom above the tallest bar; an empty chart still gets an axis.
    let y_max = if top > 0.0 { top * 1.1 } else { 1.0 };
    // A segmented range holds its last value as a segment too.
    let last = bars.len().saturating_sub(1) as u32;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d((0..last).into_segmented(), 0.0..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(bars.len())
        .x_label_formatter(&|segment| match segment {
            SegmentValue::CenterOf(i) => bars
                .get(*i as usize)
                .map(|b| b.label.clone())
                .unwrap_or_default(),
            _ => String::new(),
        })
        .y_label_formatter(&|v| format_tick(*v))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, bar)| {
        let i = i as u32;
        let mut rect = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), bar.value),
            ],
            bar.color.filled(),
        );
        rect.set_margin(0, 0, 3, 3);
        rect
    }))?;
    Ok(())
}

/// Axis ticks without a useless fraction: `12`, `2.5`.
fn format_tick(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_each_bar_in_its_colour_with_its_label() {
        let bars: Vec<Bar> = [("free", 2.0, ORANGE), ("paid", 4.0, BLUE)]
            .into_iter()
            .map(|(label, value, color)| Bar {
                label: label.into(),
                value,
                color,
            })
            .collect();
        let svg = bar_chart("Plays per user", "level", "plays", &bars);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Plays per user"));
        assert_eq!(svg.matches("fill=\"#F58518\"").count(), 1, "{svg}");
        assert_eq!(svg.matches("fill=\"#4C78A8\"").count(), 1, "{svg}");
        assert!(
            svg.contains(">\nfree\n<") && svg.contains(">\npaid\n<"),
            "{svg}"
        );
    }

    #[test]
    fn labels_from_the_data_are_escaped() {
        let bars = [Bar {
            label: "<b>R&B</b>".into(),
            value: 1.0,
            color: BLUE,
        }];
        let svg = bar_chart("<title>", "region", "plays", &bars);
        assert!(!svg.contains("<b>") && !svg.contains("<title>"), "{svg}");
        assert!(svg.contains("&lt;b&gt;R&amp;B&lt;/b&gt;"), "{svg}");
    }
}
