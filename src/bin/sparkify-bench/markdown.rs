//! The bench's results as Markdown: the routes' table and the ratios against the targets.

use std::fmt::Write as _;

use crate::measure::{BenchReport, Measured};

impl BenchReport {
    fn seconds(&self, name_start: &str) -> Option<f64> {
        self.routes
            .iter()
            .find(|r| r.name.starts_with(name_start))
            .map(|r| r.seconds)
    }

    /// The report as Markdown: the table of routes, the ratios against the targets.
    pub(crate) fn markdown(&self) -> String {
        let mut md = String::new();
        let s = &self.spec;
        let _ = writeln!(md, "Data: `gen-fixtures --songs {} --events {} --seed {}`, {:.0} MB of JSON, {} final star-schema rows.", s.songs, s.events, s.seed, self.input_bytes as f64 / 1e6, self.final_rows);
        let _ = writeln!(md, "Machine: {}.", self.machine);
        let _ = writeln!(
            md,
            "Client mode, the classic route and the sink limit: the median of {} rounds taken in turn.\n",
            s.rounds
        );
        let _ = writeln!(
            md,
            "| route | wall time | final rows/s | CPU of its own process | CPU s per million events | MB parsed per CPU-second | peak RSS |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for r in &self.routes {
            let time = if r.extrapolated {
                format!("{:.1} s (extrapolated)", r.seconds)
            } else {
                format!("{:.2} s", r.seconds)
            };
            let rss = r
                .peak_rss_mib
                .map_or("—".to_string(), |m| format!("{m:.0} MiB"));
            let (cpu, per_million, parsed) = self.cpu_columns(r);
            let _ = writeln!(
                md,
                "| {} | {time} | {:.0} | {cpu} | {per_million} | {parsed} | {rss} |",
                r.name,
                self.final_rows as f64 / r.seconds
            );
        }
        self.targets_markdown(&mut md);
        self.matrix_markdown(&mut md);
        md
    }

    /// A route's CPU seconds, per million events, and the input it parsed per CPU-second
    /// (client and copy mode parse the trees in the loader; the other routes leave the
    /// JSON to PostgreSQL).
    fn cpu_columns(&self, route: &Measured) -> (String, String, String) {
        let Some(cpu) = route.cpu_seconds else {
            return ("—".into(), "—".into(), "—".into());
        };
        let per_million = cpu / (self.spec.events as f64 / 1e6);
        let parsed = if route.name.starts_with("client") {
            format!("{:.0}", self.input_bytes as f64 / 1e6 / cpu)
        } else {
            "—".into()
        };
        (format!("{cpu:.2} s"), format!("{per_million:.2}"), parsed)
    }

    /// The targets, each with its measured ratio and whether it was met.
    fn targets_markdown(&self, md: &mut String) {
        let verdict = |ok: bool| if ok { "met" } else { "missed" };
        if self.seconds("classic").is_some() {
            let _ = writeln!(
                md,
                "\nThe classic route's tables hold as many rows as client mode's."
            );
        }
        let _ = writeln!(md, "\n| target | measured | |\n| --- | ---: | --- |");
        if let (Some(client), Some(classic)) = (self.seconds("client"), self.seconds("classic")) {
            let classic = classic / client;
            let _ = writeln!(
                md,
                "| client ≥ 4x faster than the classic route | {classic:.2}x | {} |",
                verdict(classic >= 4.0)
            );
        }
        if let (Some(client), Some(baseline), Some(copy)) = (
            self.seconds("client"),
            self.seconds("row-by-row"),
            self.seconds("copy"),
        ) {
            let baseline = baseline / client;
            let _ = writeln!(
                md,
                "| client ≥ 1,000x faster than row-by-row | {baseline:.0}x | {} |",
                verdict(baseline >= 1000.0)
            );
            let copy = copy / client;
            let _ = writeln!(
                md,
                "| client ≥ 4x faster than copy mode | {copy:.1}x | {} |",
                verdict(copy >= 4.0)
            );
        }
        if let (Some(client), Some(sink)) = (self.seconds("client"), self.seconds("sink")) {
            let sink = client / sink;
            let _ = writeln!(
                md,
                "| client ≤ 1.4x the COPY BINARY sink limit | {sink:.2}x | {} |",
                verdict(sink <= 1.4)
            );
        }
        let loader_cpu = self.routes.iter().find(|r| r.name.starts_with("client"));
        if let Some(cpu) = loader_cpu.and_then(|r| r.cpu_seconds) {
            let per_million = cpu / (self.spec.events as f64 / 1e6);
            let _ = writeln!(
                md,
                "| client mode's CPU ≤ 2.5 core-seconds per million events | {per_million:.2} | {} |",
                verdict(per_million <= 2.5)
            );
        }
        let _ = writeln!(
            md,
            "| parsing ≥ 1.5 GB/s (all cores, in memory) | {:.2} GB/s | {} |",
            self.parse_gb_per_s,
            verdict(self.parse_gb_per_s >= 1.5)
        );
    }

    /// The insert matrix: each client-mode load's wall time, its insert-bound stages, and
    /// its ratio to the sink limit.
    fn matrix_markdown(&self, md: &mut String) {
        let (Some(first), Some(sink)) = (self.matrix.first(), self.seconds("sink")) else {
            return;
        };
        let stage_names: Vec<&str> = first.stages.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(
            md,
            "\n| --insert | connections | in flight | wall time | / sink limit | {} |\n| --- | ---: | ---: | ---: | ---: |{}",
            stage_names.join(" | "),
            " ---: |".repeat(stage_names.len())
        );
        for cell in &self.matrix {
            let stages: Vec<String> = cell
                .stages
                .iter()
                .map(|(_, seconds)| format!("{seconds:.2} s"))
                .collect();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.2} s | {:.2}x | {} |",
                cell.insert,
                cell.connections,
                cell.in_flight,
                cell.seconds,
                cell.seconds / sink,
                stages.join(" | ")
            );
        }
    }
}
