//! Running checks: each one's query on the target, its outcome against what it expects.

use tokio_postgres::Client;

use super::{Check, Expectation, Outcome, Outcomes, EXAMPLES};
use crate::db::literal::Literals;
use crate::db::sql::checks;
use crate::db::{render, Database, Dialect};
use crate::error::TargetError;

/// Runs the checks over the given connections (the checks are dealt out in turn, and
/// each connection runs its share in order); the outcomes come back in the checks' order.
pub async fn run(
    database: &Database,
    clients: &[&Client],
    checks: &[Check],
) -> Result<Outcomes, TargetError> {
    assert!(!clients.is_empty(), "checks need a connection");
    let shares = clients
        .iter()
        .enumerate()
        .map(|(share, client)| async move {
            let mut outcomes = Vec::new();
            for (index, check) in checks.iter().enumerate().skip(share).step_by(clients.len()) {
                outcomes.push((index, run_one(database, client, check).await?));
            }
            Ok::<_, TargetError>(outcomes)
        });
    let mut outcomes: Vec<(usize, Outcome)> = futures::future::try_join_all(shares)
        .await?
        .into_iter()
        .flatten()
        .collect();
    outcomes.sort_by_key(|(index, _)| *index);
    Ok(Outcomes::of(
        outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
    ))
}

impl Outcome {
    /// What `check` found.
    fn of(check: &Check, passed: bool, found: String, examples: Vec<String>) -> Outcome {
        Outcome {
            name: check.name.clone(),
            severity: check.severity,
            passed,
            found,
            expected: check.expect.to_string(),
            examples,
        }
    }
}

/// Runs one check.
async fn run_one(
    database: &Database,
    client: &Client,
    check: &Check,
) -> Result<Outcome, TargetError> {
    let started = std::time::Instant::now();
    let step = format!("check {}", check.name);
    if enforced(database, client, check).await? {
        let found = "0 rows (the primary key enforces it)".into();
        return Ok(Outcome::of(check, true, found, Vec::new()));
    }
    let outcome = match &check.expect {
        Expectation::NoRows => {
            let query = render(
                checks::VIOLATIONS,
                &[("query", &check.query), ("examples", &EXAMPLES.to_string())],
            );
            let rows = database.text_rows(client, &step, &query).await?;
            let count = rows
                .first()
                .and_then(|row| row.first().cloned().flatten())
                .unwrap_or_else(|| "0".into());
            let examples = rows
                .into_iter()
                .map(|row| row.get(1).cloned().flatten().unwrap_or("NULL".into()))
                .collect::<Vec<_>>();
            Outcome::of(
                check,
                examples.is_empty(),
                format!("{count} rows"),
                examples,
            )
        }
        expect => {
            let rows = database.text_rows(client, &step, &check.query).await?;
            let value = rows.first().and_then(|row| row.first().cloned().flatten());
            let passed = value.as_deref().is_some_and(|v| holds(expect, v));
            let found = value.unwrap_or_else(|| "nothing".into());
            Outcome::of(check, passed, found, Vec::new())
        }
    };
    tracing::debug!(
        check = check.name,
        seconds = started.elapsed().as_secs_f64(),
        "checked"
    );
    Ok(outcome)
}

/// Whether PostgreSQL enforces what a key check looks for: its column is the table's
/// primary key. (Redshift declares keys but does not enforce them.)
async fn enforced(
    database: &Database,
    client: &Client,
    check: &Check,
) -> Result<bool, TargetError> {
    let Some((table, column)) = &check.primary_key else {
        return Ok(false);
    };
    if database.dialect() != Dialect::Postgres {
        return Ok(false);
    }
    let query = render(
        checks::PRIMARY_KEY,
        &[
            ("table_name", &Literals::REDSHIFT.quote(table)),
            ("column_name", &Literals::REDSHIFT.quote(column)),
        ],
    );
    let rows = database
        .text_rows(client, "look for the primary key", &query)
        .await?;
    Ok(rows.first().and_then(|row| row.first().cloned().flatten()) == Some("1".into()))
}

/// Whether a value meets an `equals` or `between` expectation.
fn holds(expect: &Expectation, value: &str) -> bool {
    let number = value.trim().parse::<f64>().ok();
    match expect {
        Expectation::NoRows => unreachable!("a no-rows check has no value"),
        Expectation::Equals(wanted) => match (number, wanted.parse::<f64>().ok()) {
            (Some(found), Some(wanted)) => found == wanted,
            _ => value == wanted,
        },
        Expectation::Between(low, high) => number.is_some_and(|n| *low <= n && n <= *high),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_meet_expectations_as_numbers_or_text() {
        let equals = |v: &str| Expectation::Equals(v.into());
        assert!(holds(&equals("96"), "96") && holds(&equals("1.5"), "1.50"));
        assert!(holds(&equals("paid"), "paid") && !holds(&equals("paid"), "free"));
        assert!(!holds(&equals("96"), "97"));
        let between = Expectation::Between(10.0, 20.0);
        assert!(holds(&between, "10") && holds(&between, "20") && holds(&between, "15.5"));
        assert!(!holds(&between, "9.99") && !holds(&between, "x"));
    }
}
