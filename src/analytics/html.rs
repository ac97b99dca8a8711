//! The report as one self-contained HTML page: every answer as a table, and charts (inline
//! SVG) of plays by hour, by weekday, by region, and of paid against free listening.

use std::fmt::Write;

use super::chart;
use super::{Answer, Report};

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:820px;color:#222}\
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}\
p.about{color:#555;font-size:.9em}figure{margin:1em 0}\
table{border-collapse:collapse;font-size:.9em}\
th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}\
td.null{color:#999}";

/// The page for `report`.
pub fn page(report: &Report) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Sparkify listening report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Sparkify listening report</h1>\n<p class=\"about\">From {}.</p>\n",
        escape(&report.source)
    );
    for answer in &report.answers {
        let _ = write!(
            html,
            "<section id=\"{}\">\n<h2>{}</h2>\n<p class=\"about\">{}</p>\n",
            answer.query.name,
            escape(&answer.title),
            escape(&answer.query.description())
        );
        match chart::of_answer(answer) {
            // A chart shows the answer; its numbers are a click away.
            Some(svg) => {
                let _ = write!(
                    html,
                    "<figure class=\"chart\" data-chart=\"{}\">\n{svg}\n</figure>\n\
                     <details><summary>The numbers</summary>\n{}</details>\n",
                    answer.query.name,
                    table(answer)
                );
            }
            None => html.push_str(&table(answer)),
        }
        html.push_str("</section>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn table(answer: &Answer) -> String {
    if answer.rows.is_empty() {
        return "<p>(no rows)</p>\n".to_string();
    }
    let mut html = String::from("<table>\n<tr>");
    for column in &answer.columns {
        let _ = write!(html, "<th>{}</th>", escape(column));
    }
    html.push_str("</tr>\n");
    for row in &answer.rows {
        html.push_str("<tr>");
        for value in row {
            match value {
                Some(value) => {
                    let _ = write!(html, "<td>{}</td>", escape(value));
                }
                None => html.push_str("<td class=\"null\">NULL</td>"),
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n");
    html
}

/// Text as HTML: the data is whatever the logs held, markup included.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_data() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
