//! What went wrong with an S3 request, said as a sentence a user can act on (the endpoint
//! that could not be reached and why, missing credentials, a missing bucket), with the
//! SDK's error kept whole as the cause for `-v`.

use std::error::Error as StdError;
use std::io;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::error::BoxError;

/// A failed request: the sentence, and the SDK's error as its cause.
pub(super) struct Described {
    pub reason: String,
    pub source: BoxError,
}

const REACH_HINT: &str = "check the network, --endpoint-url and --region";

/// Says what an S3 request's failure means. `endpoint` names where requests go.
pub(super) fn describe<E>(err: SdkError<E, HttpResponse>, endpoint: &str) -> Described
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let reason = if chain(&err).any(|e| e.is::<CredentialsError>()) {
        "no AWS credentials were found (environment variables, the AWS profile, the \
         instance role); give some, or --no-sign-request for a public bucket"
            .to_string()
    } else {
        match &err {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let code = err.code().unwrap_or("no error code");
                match (status, err.code()) {
                    (_, Some("NoSuchBucket")) => "the bucket does not exist (NoSuchBucket)".into(),
                    (_, Some("NoSuchKey")) => "the object does not exist (NoSuchKey)".into(),
                    (403, _) => format!(
                        "access denied ({code}, HTTP 403): check the credentials, the bucket's \
                         policy, or --no-sign-request for a public bucket"
                    ),
                    _ => match err.message() {
                        Some(message) => format!("{message} ({code}, HTTP {status})"),
                        None => format!("the S3 endpoint answered {code} (HTTP {status})"),
                    },
                }
            }
            SdkError::TimeoutError(_) => {
                format!("the S3 endpoint {endpoint} did not answer in time; {REACH_HINT}")
            }
            SdkError::DispatchFailure(_) => {
                format!(
                    "cannot reach the S3 endpoint {endpoint}: {}; {REACH_HINT}",
                    why_unreachable(&err)
                )
            }
            SdkError::ResponseError(_) => {
                format!("the answer of the S3 endpoint {endpoint} could not be read")
            }
            _ => format!(
                "the request could not be made: {}",
                aws_sdk_s3::error::DisplayErrorContext(&err)
            ),
        }
    };
    Described {
        reason,
        source: Box::new(err),
    }
}

/// Why a connection failed, from the deepest cause that says.
fn why_unreachable(err: &(dyn StdError + 'static)) -> String {
    // hyper-util's connect error is private; "dns error" is its message for a failed
    // lookup, and the only mark of one.
    if chain(err).any(|e| e.to_string() == "dns error") {
        return "DNS lookup failed".into();
    }
    if let Some(io) = chain(err).find_map(|e| e.downcast_ref::<io::Error>()) {
        return match io.kind() {
            io::ErrorKind::ConnectionRefused => "connection refused".into(),
            io::ErrorKind::TimedOut => "the connection timed out".into(),
            io::ErrorKind::ConnectionReset => "the connection was reset".into(),
            _ => io.to_string(),
        };
    }
    let deepest = chain(err).last().map(ToString::to_string);
    deepest.unwrap_or_else(|| "the connection failed".into())
}

/// An error and its causes, outermost first.
fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e| (*e).source())
}
