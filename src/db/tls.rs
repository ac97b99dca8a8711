//! TLS for the target connection, with rustls, and libpq's `sslmode` semantics:
//! `disable`; `prefer` and `require` encrypt without checking the certificate;
//! `verify-ca` checks it against the roots; `verify-full` also checks the host name.
//! Roots come from `sslrootcert=FILE` (PEM), else the system's store.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::Error;

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Encrypt (when the mode asks for it) but accept any certificate.
    None,
    /// The chain must lead to a root; with `host_name`, the name must match too.
    Roots {
        root_cert: Option<PathBuf>,
        host_name: bool,
    },
}

/// Takes `sslmode=verify-ca|verify-full` and `sslrootcert=…` out of a connection string
/// (URL or key-value form), which tokio-postgres does not know, leaving `sslmode=require`.
/// Everything else is kept byte for byte, quoted values included.
pub fn split_verification(conninfo: &str) -> (String, Verification) {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: &str| -> bool {
        match (key, value) {
            ("sslmode", "verify-ca" | "verify-full") => {
                mode = Some(value.to_string());
                true
            }
            ("sslrootcert", path) => {
                root_cert = Some(PathBuf::from(path));
                true
            }
            _ => false,
        }
    };
    let rest = match conninfo.split_once('?') {
        Some((base, query)) if conninfo.contains("://") => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|param| {
                    let (key, value) = param.split_once('=').unwrap_or((param, ""));
                    !take(key, value)
                })
                .collect();
            if kept.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        }
        _ if conninfo.contains("://") => conninfo.to_string(),
        _ => {
            let mut rest = conninfo.to_string();
            let taken: Vec<Range<usize>> = key_values(conninfo)
                .into_iter()
                .filter(|(key, value, _)| take(key, value))
                .map(|(_, _, span)| span)
                .collect();
            for span in taken.into_iter().rev() {
                rest.replace_range(span, "");
            }
            rest.trim_end().to_string()
        }
    };
    match mode {
        Some(mode) => {
            let separator = if !rest.contains("://") {
                " "
            } else if rest.contains('?') {
                "&"
            } else {
                "?"
            };
            let verification = Verification::Roots {
                root_cert,
                host_name: mode == "verify-full",
            };
            (format!("{rest}{separator}sslmode=require"), verification)
        }
        None => (rest, Verification::None),
    }
}

/// The `key=value` parameters of a key-value connection string as libpq reads them: the
/// value unquoted (`'…'` with `\\` escapes), and the byte span of the whole parameter.
fn key_values(conninfo: &str) -> Vec<(String, String, Range<usize>)> {
    let bytes = conninfo.as_bytes();
    let mut params = Vec::new();
    let mut at = 0;
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at >= bytes.len() {
            return params;
        }
        let start = at;
        while at < bytes.len() && bytes[at] != b'=' && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let key = conninfo[start..at].to_string();
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at >= bytes.len() || bytes[at] != b'=' {
            // Not a parameter: leave it to tokio-postgres to refuse.
            params.push((key, String::new(), start..at));
            continue;
        }
        at += 1;
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let mut value = Vec::new();
        let quoted = bytes.get(at) == Some(&b'\'');
        if quoted {
            at += 1;
        }
        while at < bytes.len() {
            match bytes[at] {
                b'\\' if at + 1 < bytes.len() => {
                    value.push(bytes[at + 1]);
                    at += 2;
                    continue;
                }
                b'\'' if quoted => {
                    at += 1;
                    break;
                }
                byte if !quoted && byte.is_ascii_whitespace() => break,
                byte => value.push(byte),
            }
            at += 1;
        }
        let value = String::from_utf8_lossy(&value).into_owned();
        params.push((key, value, start..at));
    }
}

/// The connector for a verification policy.
pub fn connector(verification: &Verification) -> Result<MakeRustlsConnect, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?;
    let config = match verification {
        Verification::None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
        Verification::Roots {
            root_cert,
            host_name,
        } => {
            let roots = Arc::new(root_store(root_cert.as_ref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| Error::Config(format!("TLS: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainVerifier {
                    webpki,
                    host_name: *host_name,
                }))
                .with_no_client_auth()
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

fn root_store(root_cert: Option<&PathBuf>) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    Error::Config(format!("cannot read sslrootcert {}: {e}", path.display()))
                })?;
            roots.add_parsable_certificates(certificates);
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    if roots.is_empty() {
        return Err(Error::Config(
            "TLS verification needs root certificates; none were found".into(),
        ));
    }
    Ok(roots)
}

/// `require`: any certificate, but the handshake's signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca` and `verify-full`: webpki's checks, with the host name's optional.
#[derive(Debug)]
struct ChainVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    host_name: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName))
                if !self.host_name =>
            {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_are_taken_out_of_urls_and_key_values() {
        assert_eq!(
            split_verification(
                "postgresql://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x"
            ),
            (
                "postgresql://u@h/db?application_name=x&sslmode=require".to_string(),
                Verification::Roots {
                    root_cert: Some("/ca.pem".into()),
                    host_name: true
                }
            )
        );
        assert_eq!(
            split_verification("postgresql://u@h/db?sslmode=verify-ca"),
            (
                "postgresql://u@h/db?sslmode=require".to_string(),
                Verification::Roots {
                    root_cert: None,
                    host_name: false
                }
            )
        );
        assert_eq!(
            split_verification("host='h' port=5439 sslmode=verify-full"),
            (
                "host='h' port=5439 sslmode=require".to_string(),
                Verification::Roots {
                    root_cert: None,
                    host_name: true
                }
            )
        );
        let plain = "postgresql://u:p@h/db?sslmode=require";
        assert_eq!(
            split_verification(plain),
            (plain.to_string(), Verification::None)
        );
        // Two spaces inside a quoted password, and an escaped quote, are kept as they are.
        let (rest, verification) = split_verification(
            "host='h' password='a  b\\' c' sslmode='verify-ca' sslrootcert='/ca dir/ca.pem'",
        );
        assert_eq!(
            verification,
            Verification::Roots {
                root_cert: Some("/ca dir/ca.pem".into()),
                host_name: false
            }
        );
        let parsed: tokio_postgres::Config = rest.parse().unwrap();
        assert_eq!(parsed.get_password(), Some(&b"a  b' c"[..]));
        assert_eq!(
            parsed.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(
            split_verification("postgresql://u@h/db"),
            ("postgresql://u@h/db".to_string(), Verification::None)
        );
    }
}
