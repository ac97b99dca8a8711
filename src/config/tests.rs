//! Tests of `config`.

use super::*;

fn request(target: Target) -> LoadRequest {
    LoadRequest::new(
        SourceUri::Local("songs".into()),
        SourceUri::Local("logs".into()),
        target,
    )
}

#[test]
fn secrets_never_print() {
    let target = Target::Url(Secret::new("postgresql://u:hunter2@h/db".to_string()));
    assert!(!format!("{:?}", request(target)).contains("hunter2"));
}

#[test]
fn invalid_combinations_are_refused() {
    let mut redshift_on_embedded = request(Target::Embedded("home".into()));
    redshift_on_embedded.dialect = Dialect::Redshift;
    redshift_on_embedded.mode = Mode::Copy;
    redshift_on_embedded.dry_run = true;
    let err = redshift_on_embedded.resolve().unwrap_err().to_string();
    assert!(err.contains("the embedded default is PostgreSQL"), "{err}");

    let mut dry_client = request(Target::Url(Secret::new("postgresql://h/db".into())));
    dry_client.dry_run = true;
    let err = dry_client.resolve().unwrap_err().to_string();
    assert!(
        err.contains("--dry-run is for loads into Redshift"),
        "{err}"
    );

    let mut no_workers = request(Target::Embedded("home".into()));
    no_workers.concurrency = 0;
    assert!(no_workers.resolve().is_err());
}
