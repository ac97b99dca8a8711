//! Redshift ignores trailing blanks when it compares VARCHAR values ('x' = 'x '; AWS,
//! "Character types"), and SPEC compares text byte for byte. Every Redshift statement the
//! tool can send is walked through sqlparser's tree: each text column (one the tool's own
//! CREATE TABLEs declare VARCHAR, or a name a query gives such a column or a window or
//! aggregate function over one) that is compared, matched by IN, grouped, ordered (by
//! expression or position), partitioned, made DISTINCT or kept once by a UNION must be
//! guarded (docs/REDSHIFT.md rule 16): `x || CHR(1)`; in a GROUP BY, DISTINCT or UNION
//! list, `x` with `x || CHR(1)` or its byte length beside it; a join's `x = y` with
//! `octet_length(x) = octet_length(y)` beside it, which keeps the join on the columns. Not
//! seen: an ORDER BY over a wildcard's columns (the checks' examples), MIN and MAX (taken
//! here over values already grouped byte for byte).

use std::collections::{BTreeSet, HashSet};
use std::ops::ControlFlow;

use sparkify_load::analytics;
use sparkify_load::db::literal::Literals;
use sparkify_load::db::shard::{ShardRecord, ShardSql};
use sparkify_load::db::TableSet;
use sparkify_load::db::{merge::MergeSql, render, sql, DialectSql, SchemaName};
use sparkify_load::Dialect;
use sqlparser::ast::{
    BinaryOperator, DuplicateTreatment, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    GroupByExpr, OrderByKind, Query, SelectItem, SetExpr, SetQuantifier, Statement, TableFactor,
    Visit, Visitor, WindowType,
};

use super::{copy_load, parse, without_clauses_sqlparser_lacks};

/// Every statement the tool can send to Redshift, by where it comes from.
async fn every_redshift_statement() -> Vec<(String, Statement)> {
    let mut scripts = plans().await;
    scripts.extend(scripts_by_sql());
    let mut statements = Vec::new();
    for (source, script) in scripts {
        for statement in parse(&without_clauses_sqlparser_lacks(&script)) {
            statements.push((source.clone(), statement));
        }
    }
    statements
}

/// The printed plans: copy mode, client mode, client mode through `--sink s3-copy`.
async fn plans() -> Vec<(String, String)> {
    let named = |route: &str, plan: Vec<(String, String)>| {
        plan.into_iter()
            .map(|(step, sql)| (format!("{route}: {step}"), sql))
            .collect::<Vec<_>>()
    };
    let copy = sparkify_load::dry_run(&copy_load().resolve().unwrap()).await;
    let mut scripts = named("copy", copy.unwrap());
    let mut client = super::client_load(&super::common::tiny());
    client.run_id = Some("r1".into());
    let plan = sparkify_load::dry_run(&client.clone().resolve().unwrap()).await;
    scripts.extend(named("client", plan.unwrap()));
    client.s3_copy = Some(sparkify_load::S3CopyRequest {
        staging: "s3://stage-bucket/loads/".into(),
        slices: None,
    });
    client.copy.iam_role_arn = Some("arn:aws:iam::123456789012:role/loader".into());
    client.s3.region = Some("us-west-2".into());
    let plan = sparkify_load::dry_run(&client.resolve().unwrap()).await;
    scripts.extend(named("s3-copy", plan.unwrap()));
    scripts
}

/// What no plan prints: incremental runs, sharded runs, `report`, `next`, `parity`, the
/// leftovers, `create-tables` and the session's first statements.
fn scripts_by_sql() -> Vec<(String, String)> {
    let redshift = DialectSql::of(Dialect::Redshift);
    let target: SchemaName = "dwh".parse().unwrap();
    let work = TableSet {
        schema: target.clone(),
        prefix: "sparkify_load_run_r1_".into(),
    };
    let merge = MergeSql::new(redshift, &target, &work, "r1");
    let shards = ShardSql::new(redshift, &target, "r1");
    let record = ShardRecord::default();
    let mut scripts: Vec<(String, String)> = [
        ("incremental: work tables", merge.work_tables()),
        ("incremental: found", merge.found()),
        ("incremental: manifest", merge.manifest()),
        ("incremental: expected", merge.expected()),
        ("incremental: loaded meanwhile", merge.loaded_meanwhile()),
        ("incremental: manifest count", merge.manifest_count()),
        ("incremental: prologue", merge.prologue(true, true)),
        ("incremental: merge", merge.merge()),
        ("incremental: move in", merge.move_in(true)),
        ("incremental: nonempty", merge.nonempty()),
        ("shard: registry", shards.registry()),
        ("shard: forget", shards.forget(1)),
        ("shard: drop earlier", shards.drop_earlier(1)),
        (
            "shard: finish",
            shards.finish(1, 2, &record, &Literals::REDSHIFT),
        ),
        ("shard: finished", shards.finished()),
        (
            "shard: gather objects",
            shards.gather_objects(&work, &[0, 1]),
        ),
        ("shard: gather shard", shards.gather_shard(&work, 1)),
        ("shard: discard", shards.discard(&[0, 1])),
        ("shard: spend", shards.spend(&[0, 1])),
        (
            "leftovers",
            render(redshift.leftovers, &[("schema_name", "'dwh'")]),
        ),
        ("create-tables", redshift.star_schema_script(&target)),
        ("session", redshift.session.to_string()),
        ("parity: exact doubles", redshift.exact_floats.to_string()),
    ]
    .into_iter()
    .map(|(source, sql)| (source.to_string(), sql))
    .collect();
    for query in analytics::REPORT_QUERIES
        .into_iter()
        .chain([analytics::NEXT_AFTER_SONG, analytics::SUGGEST_FOR_USER])
    {
        let sql = query.sql(redshift, &target, Some("'SOABC'"));
        scripts.push((format!("analytics: {}", query.name), sql));
    }
    for (table, template) in sql::PARITY {
        let sql = render(template, &[("schema", "\"dwh\"")]);
        scripts.push((format!("parity: {table}"), sql));
    }
    scripts
}

/// The columns the tool's own tables declare as text.
fn text_columns(statements: &[(String, Statement)]) -> HashSet<String> {
    statements
        .iter()
        .filter_map(|(_, statement)| match statement {
            Statement::CreateTable(table) => Some(&table.columns),
            _ => None,
        })
        .flatten()
        .filter(|column| {
            let kind = column.data_type.to_string().to_uppercase();
            kind.contains("CHAR") || kind.contains("TEXT")
        })
        .map(|column| column.name.value.to_lowercase())
        .collect()
}

/// A bare text column (perhaps in parentheses), not an expression over one.
fn bare_text(expr: &Expr, text: &HashSet<String>) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => text
            .contains(&ident.value.to_lowercase())
            .then(|| expr.to_string()),
        Expr::CompoundIdentifier(parts) => {
            let last = parts.last()?.value.to_lowercase();
            text.contains(&last).then(|| expr.to_string())
        }
        Expr::Nested(inner) => bare_text(inner, text),
        _ => None,
    }
}

/// Names a query gives to text: `col AS name`, `lag(col) OVER … AS name`, `max(col) AS name`.
fn text_aliases(statements: &[(String, Statement)], text: &mut HashSet<String>) {
    struct Aliases<'a> {
        text: &'a HashSet<String>,
        found: Vec<String>,
    }
    impl Visitor for Aliases<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            let mut bodies = vec![query.body.as_ref()];
            while let Some(body) = bodies.pop() {
                match body {
                    SetExpr::Select(select) => {
                        for item in &select.projection {
                            if let SelectItem::ExprWithAlias { expr, alias } = item {
                                if passes_text(expr, self.text) {
                                    self.found.push(alias.value.to_lowercase());
                                }
                            }
                        }
                    }
                    SetExpr::SetOperation { left, right, .. } => {
                        bodies.push(left);
                        bodies.push(right);
                    }
                    _ => {}
                }
            }
            ControlFlow::Continue(())
        }
    }
    loop {
        let mut aliases = Aliases {
            text,
            found: Vec::new(),
        };
        for (_, statement) in statements {
            let _ = statement.visit(&mut aliases);
        }
        let before = text.len();
        text.extend(aliases.found);
        if text.len() == before {
            return;
        }
    }
}

/// Whether an expression gives a text column's value through: the column itself, or a
/// window or aggregate function whose first argument is one.
fn passes_text(expr: &Expr, text: &HashSet<String>) -> bool {
    if bare_text(expr, text).is_some() {
        return true;
    }
    let Expr::Function(function) = expr else {
        return false;
    };
    let name = function.name.to_string().to_lowercase();
    let passes = [
        "lag",
        "lead",
        "first_value",
        "last_value",
        "min",
        "max",
        "any_value",
    ];
    if !passes.contains(&name.as_str()) {
        return false;
    }
    match &function.args {
        FunctionArguments::List(list) => match list.args.first() {
            Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))) => {
                bare_text(arg, text).is_some()
            }
            _ => false,
        },
        _ => false,
    }
}

/// Finds each unguarded use of a text column.
struct Unguarded<'a> {
    text: &'a HashSet<String>,
    /// Comparisons whose operands' byte lengths are compared beside them.
    same_length: HashSet<String>,
    found: Vec<String>,
}

/// `x || CHR(1)`, the guarded form of `x`.
fn guarded(expr: &Expr) -> String {
    format!("{expr} || CHR(1)")
}

/// Whether `guard` is `octet_length(x) = octet_length(y)` for `x = y`.
fn compares_lengths(guard: &Expr, left: &Expr, right: &Expr) -> bool {
    guard.to_string().to_lowercase()
        == format!("octet_length({left}) = octet_length({right})").to_lowercase()
}

impl Unguarded<'_> {
    fn check(&mut self, place: &str, expr: &Expr) {
        if let Some(column) = bare_text(expr, self.text) {
            self.found.push(format!("{place} {column}"));
        }
    }

    /// A GROUP BY, DISTINCT or UNION list: a bare text column needs beside it its guarded
    /// form or its byte length.
    fn check_list<'e>(&mut self, place: &str, exprs: impl Iterator<Item = &'e Expr> + Clone) {
        let listed: HashSet<String> = exprs
            .clone()
            .map(|e| e.to_string().to_lowercase())
            .collect();
        for expr in exprs {
            let guards = [guarded(expr), format!("octet_length({expr})")];
            if !guards
                .iter()
                .any(|guard| listed.contains(&guard.to_lowercase()))
            {
                self.check(place, expr);
            }
        }
    }

    /// A query's ORDER BY: each expression, or the projected column a position names.
    fn check_order(&mut self, query: &Query) {
        let Some(order_by) = &query.order_by else {
            return;
        };
        let OrderByKind::Expressions(orders) = &order_by.kind else {
            return;
        };
        for order in orders {
            match (&order.expr, first_select(&query.body)) {
                (Expr::Value(value), Some(projection)) => {
                    let position: usize = value.to_string().parse().unwrap_or(0);
                    if let Some(Some(expr)) = position.checked_sub(1).map(|at| projection.get(at)) {
                        self.check("ORDER BY (position)", expr);
                    }
                }
                (expr, _) => self.check("ORDER BY", expr),
            }
        }
    }

    fn check_body(&mut self, body: &SetExpr) {
        match body {
            SetExpr::Select(select) => {
                if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
                    self.check_list("GROUP BY", exprs.iter());
                }
                if select.distinct.is_some() {
                    let items = select.projection.iter().filter_map(|item| match item {
                        SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                            Some(expr)
                        }
                        _ => None,
                    });
                    self.check_list("SELECT DISTINCT", items);
                }
            }
            SetExpr::SetOperation {
                left,
                right,
                set_quantifier,
                ..
            } => {
                // UNION, EXCEPT and INTERSECT without ALL keep one of equal rows.
                if !matches!(
                    set_quantifier,
                    SetQuantifier::All | SetQuantifier::AllByName
                ) {
                    for side in [left, right] {
                        if let Some(projection) = first_select(side) {
                            self.check_list("UNION", projection.into_iter());
                        }
                    }
                }
                self.check_body(left);
                self.check_body(right);
            }
            _ => {}
        }
    }
}

/// The expressions a query body's first SELECT projects, unless it projects a wildcard.
fn first_select(body: &SetExpr) -> Option<Vec<&Expr>> {
    match body {
        SetExpr::Select(select) => select
            .projection
            .iter()
            .map(|item| match item {
                SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                    Some(expr)
                }
                _ => None,
            })
            .collect(),
        SetExpr::SetOperation { left, .. } => first_select(left),
        SetExpr::Query(query) => first_select(&query.body),
        _ => None,
    }
}

impl Visitor for Unguarded<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.check_order(query);
        self.check_body(&query.body);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                for (comparison, guard) in [(left, right), (right, left)] {
                    if let Expr::BinaryOp {
                        left: a,
                        op: BinaryOperator::Eq,
                        right: b,
                    } = comparison.as_ref()
                    {
                        if compares_lengths(guard, a, b) {
                            self.same_length.insert(comparison.to_string());
                        }
                    }
                }
            }
            Expr::BinaryOp { left, op, right }
                if !self.same_length.contains(&expr.to_string())
                    && matches!(
                        op,
                        BinaryOperator::Eq
                            | BinaryOperator::NotEq
                            | BinaryOperator::Lt
                            | BinaryOperator::LtEq
                            | BinaryOperator::Gt
                            | BinaryOperator::GtEq
                    ) =>
            {
                self.check(&format!("{op}"), left);
                self.check(&format!("{op}"), right);
            }
            Expr::In { expr, .. } => self.check("IN", expr),
            Expr::Function(function) => {
                if let Some(WindowType::WindowSpec(spec)) = &function.over {
                    for expr in &spec.partition_by {
                        self.check("PARTITION BY", expr);
                    }
                    for order in &spec.order_by {
                        self.check("OVER (ORDER BY", &order.expr);
                    }
                }
                if let FunctionArguments::List(list) = &function.args {
                    if list.duplicate_treatment == Some(DuplicateTreatment::Distinct) {
                        for arg in &list.args {
                            if let FunctionArg::Unnamed(FunctionArgExpr::Expr(arg)) = arg {
                                self.check("DISTINCT", arg);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// AWS's UPDATE page: "You can't give the table an alias here", and a target column is
/// never qualified (`UPDATE tab SET tab.col = 1 is invalid`).
#[tokio::test]
async fn no_redshift_update_aliases_its_target() {
    let statements = every_redshift_statement().await;
    let mut updates = 0;
    for (source, statement) in &statements {
        if let Statement::Update(update) = statement {
            updates += 1;
            let TableFactor::Table { alias, .. } = &update.table.relation else {
                panic!("{source}: {statement}");
            };
            assert!(alias.is_none(), "{source}: {statement}");
            for assignment in &update.assignments {
                let target = assignment.target.to_string();
                assert!(!target.contains('.'), "{source}: SET {target}");
            }
        }
    }
    assert!(updates >= 1, "the merge's re-match is an UPDATE");
}

#[tokio::test]
async fn every_text_redshift_compares_groups_or_orders_is_guarded() {
    let statements = every_redshift_statement().await;
    let mut text = text_columns(&statements);
    for column in [
        "song_id",
        "title",
        "artist_id",
        "level",
        "page",
        "key",
        "run_id",
    ] {
        assert!(text.contains(column), "{column} is text: {text:?}");
    }
    text_aliases(&statements, &mut text);
    let mut unguarded = BTreeSet::new();
    for (source, statement) in &statements {
        let mut walker = Unguarded {
            text: &text,
            same_length: HashSet::new(),
            found: Vec::new(),
        };
        let _ = statement.visit(&mut walker);
        unguarded.extend(
            walker
                .found
                .into_iter()
                .map(|use_| format!("{source}: {use_}")),
        );
    }
    assert!(
        unguarded.is_empty(),
        "text compared, grouped or ordered as Redshift would ignoring trailing blanks:\n{}",
        unguarded.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// The walker finds each form it looks for, and passes each guard.
#[test]
fn the_walker_finds_each_unguarded_form_and_passes_each_guard() {
    let text: HashSet<String> = ["title".to_string()].into();
    let found = |sql: &str| {
        let mut walker = Unguarded {
            text: &text,
            same_length: HashSet::new(),
            found: Vec::new(),
        };
        for statement in parse(sql) {
            let _ = statement.visit(&mut walker);
        }
        walker.found
    };
    for unguarded in [
        "SELECT 1 FROM s WHERE title = 'x'",
        "SELECT 1 FROM s JOIN p ON s.title = p.title",
        "SELECT 1 FROM s WHERE title IN ('x')",
        "SELECT title FROM s GROUP BY title",
        "SELECT DISTINCT title FROM s",
        "SELECT count(DISTINCT title) FROM s",
        "SELECT title FROM s ORDER BY title",
        "SELECT title FROM s ORDER BY 1",
        "SELECT row_number() OVER (PARTITION BY title) FROM s",
        "SELECT title FROM s UNION SELECT title FROM p",
    ] {
        assert!(!found(unguarded).is_empty(), "{unguarded}");
    }
    for guarded in [
        "SELECT 1 FROM s WHERE title || CHR(1) = 'x' || CHR(1)",
        "SELECT 1 FROM s JOIN p ON s.title = p.title AND octet_length(s.title) = octet_length(p.title)",
        "SELECT title FROM s GROUP BY title, title || CHR(1)",
        "SELECT DISTINCT title, title || CHR(1) AS k FROM s",
        "SELECT title FROM s ORDER BY title || CHR(1)",
        "SELECT title FROM s UNION ALL SELECT title FROM p",
        "SELECT title, octet_length(title) FROM s UNION SELECT title, octet_length(title) FROM p",
    ] {
        assert_eq!(found(guarded), Vec::<String>::new(), "{guarded}");
    }
}
