//! TLS to PostgreSQL: how a manager secures its connection to a database
//! on another machine, with libpq's `sslmode` and `sslrootcert` in the
//! store address (`postgres://…?sslmode=verify-full&sslrootcert=/etc/…`).
//!
//! rust-postgres parses neither `sslrootcert` nor the two verifying modes,
//! so they are taken out of the address here and applied with rustls (the
//! ring provider the HTTP clients already use).
//!
//! | `sslmode`     | encrypted | certificate checked                      |
//! |---------------|-----------|------------------------------------------|
//! | `disable`     | no        | —                                        |
//! | `prefer`      | if offered| no                                       |
//! | `require`     | yes       | chain only, when `sslrootcert` is named  |
//! | `verify-ca`   | yes       | chain (`sslrootcert`, else system roots) |
//! | `verify-full` | yes       | chain and host name                      |
//! | *(not set)*   | loopback or Unix socket: `disable`; any other host: `verify-full` |
//!
//! The default differs from libpq's (`prefer`, which a man in the middle
//! defeats): a manager whose database is across a network verifies it
//! unless told otherwise, and a weaker choice is logged when the store
//! opens ([`warn_if_weak`]).

use percent_encoding::percent_decode_str;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

/// libpq's `sslmode` values that rust-postgres and this module implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "disable" => Mode::Disable,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Prefer => "prefer",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }
}

/// Where the certificates a server's chain must end in come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// The machine's store (`/etc/ssl/certs`; `sslrootcert=system`).
    System,
    /// A PEM file of one or more CA certificates.
    File(PathBuf),
}

/// A store address taken apart: what rust-postgres connects to, and how.
#[derive(Debug, Clone)]
pub struct Target {
    pub cfg: postgres::Config,
    pub mode: Mode,
    /// `sslrootcert`, if the address names it.
    pub roots: Option<Roots>,
    /// The mode was not written: chosen from the host.
    pub defaulted: bool,
}

impl Target {
    /// Every host is this machine (a loopback address, `localhost`, or
    /// a Unix socket).
    pub fn is_local(&self) -> bool {
        let hosts = self.cfg.get_hosts().iter().all(|h| match h {
            postgres::config::Host::Unix(_) => true,
            postgres::config::Host::Tcp(name) => name == "localhost" || is_loopback(name),
        });
        hosts && self.cfg.get_hostaddrs().iter().all(|a| a.is_loopback())
    }

    /// What a connection checks of the server's certificate, in words.
    pub fn describe(&self) -> String {
        format!("sslmode={}", self.mode.as_str())
    }
}

fn is_loopback(name: &str) -> bool {
    name.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Take `sslmode` and `sslrootcert` out of a `postgres://` address and
/// parse the rest.
pub fn parse(url: &str) -> Result<Target, String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut mode = None;
    let mut roots = None;
    let mut kept = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
        match key {
            "sslmode" => {
                mode = Some(Mode::parse(&value).ok_or_else(|| {
                    format!(
                        "sslmode={value} không được hỗ trợ (not supported): dùng (use) disable, prefer, require, verify-ca, verify-full"
                    )
                })?);
            }
            "sslrootcert" if value.is_empty() => {
                return Err("sslrootcert trống (empty): tên một tệp PEM hoặc `system` (a PEM file or `system`)".into());
            }
            "sslrootcert" if value == "system" => roots = Some(Roots::System),
            "sslrootcert" => roots = Some(Roots::File(PathBuf::from(value))),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut cfg = rest.parse::<postgres::Config>().map_err(|e| e.to_string())?;
    let mut target = Target {
        cfg: cfg.clone(),
        mode: mode.unwrap_or(Mode::Disable),
        roots,
        defaulted: mode.is_none(),
    };
    if mode.is_none() {
        target.mode = if target.is_local() {
            Mode::Disable
        } else {
            Mode::VerifyFull
        };
    }
    cfg.ssl_mode(match target.mode {
        Mode::Disable => postgres::config::SslMode::Disable,
        Mode::Prefer => postgres::config::SslMode::Prefer,
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => postgres::config::SslMode::Require,
    });
    target.cfg = cfg;
    Ok(target)
}

/// The rustls connector a target needs; `None` for `disable`.
pub fn connector(t: &Target) -> Result<Option<tokio_postgres_rustls::MakeRustlsConnect>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match (t.mode, &t.roots) {
        (Mode::Disable, _) => return Ok(None),
        // libpq: `require` with a root certificate named checks the chain.
        (Mode::Prefer, _) | (Mode::Require, None) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Relaxed { provider, chain: None }))
            .with_no_client_auth(),
        (Mode::Require | Mode::VerifyCa, roots) => {
            let roots = load_roots(roots.as_ref().unwrap_or(&Roots::System))?;
            let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("TLS: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Relaxed {
                    provider,
                    chain: Some(chain),
                }))
                .with_no_client_auth()
        }
        (Mode::VerifyFull, roots) => builder
            .with_root_certificates(load_roots(roots.as_ref().unwrap_or(&Roots::System))?)
            .with_no_client_auth(),
    };
    Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
}

fn load_roots(roots: &Roots) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(
                    "không thấy chứng chỉ gốc nào của hệ thống (no system root certificates; install ca-certificates or name sslrootcert=FILE)"
                        .into(),
                );
            }
        }
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("không đọc được sslrootcert {} (cannot read): {e}", path.display()))?;
            for c in certs {
                store
                    .add(c)
                    .map_err(|e| format!("sslrootcert {}: chứng chỉ hỏng (bad certificate): {e}", path.display()))?;
            }
            if store.is_empty() {
                return Err(format!(
                    "sslrootcert {}: không có chứng chỉ PEM nào (no PEM certificate in it)",
                    path.display()
                ));
            }
        }
    }
    Ok(store)
}

/// What to add to a failed connection's message: how to trust the
/// server, when its certificate was what failed.
pub fn hint(t: &Target, error: &str) -> String {
    if t.mode < Mode::Require || !(error.contains("certificate") || error.contains("TLS")) {
        return String::new();
    }
    let default = if t.defaulted {
        " — máy chủ không ở máy này nên mặc định là sslmode=verify-full (a database on another machine is verified by default)"
    } else {
        ""
    };
    format!(
        "{default}; chứng chỉ của PostgreSQL không được tin: ghi CA của nó bằng sslrootcert=TỆP, hoặc sslmode=disable chỉ trong mạng riêng (the server's certificate is not trusted: name its CA with sslrootcert=FILE, or sslmode=disable on a private network only)"
    )
}

/// Log, once when a store opens, a connection that is not protected
/// against a man in the middle.
pub fn warn_if_weak(t: &Target, shown: &str) {
    if t.is_local() {
        return;
    }
    match (t.mode, &t.roots) {
        (Mode::Disable, _) => tracing::warn!(
            "PostgreSQL {shown}: kết nối không mã hóa qua mạng (unencrypted connection across a network; sslmode=disable)"
        ),
        (Mode::Prefer, _) | (Mode::Require, None) => tracing::warn!(
            "PostgreSQL {shown}: không kiểm tra chứng chỉ máy chủ (server certificate not checked; sslmode={}): dùng verify-full",
            t.mode.as_str()
        ),
        _ => {}
    }
}

/// The checks rustls' own verifier cannot be told to skip. Without
/// `chain` (`prefer`, `require` without a root certificate): encrypted
/// against eavesdroppers, whoever presents a certificate accepted —
/// libpq's meaning of these modes. With it (`verify-ca`, `require` with a
/// root): the chain must end in a trusted root, the name in the
/// certificate is not compared with the host (webpki checks the chain
/// first, so a name mismatch means the chain passed). The handshake's
/// signatures are checked either way.
#[derive(Debug)]
struct Relaxed {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_defaults_by_host_and_the_tls_options_are_taken_out() {
        let t = parse("postgres://u:p@127.0.0.1:5432/db").unwrap();
        assert_eq!((t.mode, t.defaulted), (Mode::Disable, true));
        let t = parse("postgres://u:p@[::1]:5432/db").unwrap();
        assert_eq!(t.mode, Mode::Disable);
        let t = parse("postgres://u:p@localhost/db").unwrap();
        assert_eq!(t.mode, Mode::Disable);
        // Any other host: verified unless told otherwise.
        let t = parse("postgres://u:p@db.tinh.example:5432/db").unwrap();
        assert_eq!((t.mode, t.defaulted), (Mode::VerifyFull, true));
        assert_eq!(t.cfg.get_ssl_mode(), postgres::config::SslMode::Require);
        let t = parse("postgres://u:p@10.0.0.5/db?sslmode=disable&connect_timeout=3").unwrap();
        assert_eq!((t.mode, t.defaulted), (Mode::Disable, false));
        assert_eq!(t.cfg.get_connect_timeout(), Some(&std::time::Duration::from_secs(3)));
        let t =
            parse("postgres://u:p@10.0.0.5/db?sslrootcert=%2Fetc%2Fbangtin%2Fca%20pg.pem&sslmode=verify-ca").unwrap();
        assert_eq!(t.mode, Mode::VerifyCa);
        assert_eq!(t.roots, Some(Roots::File("/etc/bangtin/ca pg.pem".into())));
        let t = parse("postgres://u:p@10.0.0.5/db?sslmode=require&sslrootcert=system").unwrap();
        assert_eq!((t.mode, t.roots), (Mode::Require, Some(Roots::System)));
    }

    #[test]
    fn a_bad_tls_option_is_named() {
        let e = parse("postgres://u:p@10.0.0.5/db?sslmode=allow").unwrap_err();
        assert!(e.contains("sslmode=allow") && e.contains("verify-full"), "{e}");
        let e = parse("postgres://u:p@10.0.0.5/db?sslrootcert=").unwrap_err();
        assert!(e.contains("sslrootcert"), "{e}");
        let t = parse("postgres://u:p@10.0.0.5/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").unwrap();
        let e = connector(&t).map(|_| ()).unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "không phải chứng chỉ\n").unwrap();
        let t = parse(&format!(
            "postgres://u:p@10.0.0.5/db?sslmode=verify-ca&sslrootcert={}",
            empty.display()
        ))
        .unwrap();
        let e = connector(&t).map(|_| ()).unwrap_err();
        assert!(e.contains("empty.pem") && e.contains("no PEM certificate"), "{e}");
    }
}
