//! PostgreSQL started for a test: Debian's server (installed by
//! `xtask/setup.sh`), a new cluster in a temporary directory, listening on
//! loopback only, run as the `postgres` user when the tests run as root
//! (the server refuses root). Password authentication (scram) with a
//! random password, as a real deployment has. Killed, by PID, when
//! dropped, and its directory removed.

use super::manager::free_port;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's newest installed server binaries (`/usr/lib/postgresql/N/bin`).
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// `cmd` as the `postgres` user when we are root (setpriv execs: the PID
/// we get is the program's own).
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups", "--"])
            .arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Run `f` on a thread of its own: rust-postgres's blocking client starts
/// a runtime, which it cannot do on a thread of an async test.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
}

/// Test certificates: a CA of the test's own and a server certificate it
/// signed for `names` (host names or IP addresses), PEM.
#[derive(Debug, Clone)]
pub struct TestCerts {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCerts {
    pub fn new(names: &[&str]) -> TestCerts {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        // A name of its own: two test CAs are two issuers.
        let n: u32 = rand::random();
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, format!("Bangtin test CA {n:08x}"));
        let ca = ca.self_signed(&ca_key).expect("CA certificate");
        let key = rcgen::KeyPair::generate().expect("server key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("names");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, names.first().copied().unwrap_or("postgres"));
        let cert = params.signed_by(&key, &ca, &ca_key).expect("server certificate");
        TestCerts {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// TLS for a test's server: its certificate, and whether clients without
/// TLS are refused (every `host` line of `pg_hba.conf` made `hostssl`).
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub certs: TestCerts,
    pub only: bool,
}

/// A running PostgreSQL server of a test.
#[derive(Debug)]
pub struct Postgres {
    server: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    password: String,
    next_db: std::sync::atomic::AtomicU32,
}

impl Postgres {
    /// Create a cluster and start it; panics with the server's log if it
    /// does not come up in 60 s. Without fsync: a test's database dies
    /// with the test.
    pub fn start() -> Postgres {
        Postgres::start_with(false, None)
    }

    /// With TLS on (`ssl = on`, the given certificate).
    pub fn start_tls(tls: ServerTls) -> Postgres {
        Postgres::start_with(false, Some(tls))
    }

    /// As a province runs it: every commit flushed to disk (fsync,
    /// synchronous commit, full pages), for benchmarks whose figures are
    /// compared with sled's, which flushes too.
    pub fn start_durable() -> Postgres {
        Postgres::start_with(true, None)
    }

    fn start_with(durable: bool, tls: Option<ServerTls>) -> Postgres {
        let bin = bin_dir().expect("PostgreSQL's server (Debian package postgresql; xtask/setup.sh installs it)");
        let dir = tempfile::Builder::new()
            .prefix("bangtin-pg-")
            .tempdir()
            .expect("a temporary directory");
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        let password: String = {
            use rand::Rng;
            rand::thread_rng()
                .sample_iter(&rand::distributions::Alphanumeric)
                .take(24)
                .map(char::from)
                .collect()
        };
        std::fs::write(&pwfile, &password).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown postgres {}", dir.path().display());
        }
        let out = as_owner(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut written = vec![dir.path().join("server.log")];
        let mut tls_args = Vec::new();
        if let Some(tls) = &tls {
            use std::os::unix::fs::PermissionsExt;
            let (crt, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
            std::fs::write(&crt, &tls.certs.cert_pem).unwrap();
            std::fs::write(&key, &tls.certs.key_pem).unwrap();
            // The server refuses a key others can read.
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
            written.extend([crt.clone(), key.clone()]);
            tls_args = vec![
                "ssl=on".to_string(),
                format!("ssl_cert_file={}", crt.display()),
                format!("ssl_key_file={}", key.display()),
            ];
            if tls.only {
                let hba = data.join("pg_hba.conf");
                let text = std::fs::read_to_string(&hba).unwrap();
                let only: String = text
                    .lines()
                    .map(|l| match l.strip_prefix("host ") {
                        Some(rest) => format!("hostssl {rest}\n"),
                        None => format!("{l}\n"),
                    })
                    .collect();
                std::fs::write(&hba, only).unwrap();
            }
        }
        if is_root() {
            for f in &written {
                let _ = Command::new("chown").arg("postgres:postgres").arg(f).status();
            }
        }
        // Loopback only, the socket in the test's directory.
        let flush = if durable { "on" } else { "off" };
        let server = as_owner(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
            .arg(dir.path())
            .args(["-c", &format!("fsync={flush}")])
            .args(["-c", &format!("synchronous_commit={flush}")])
            .args(["-c", &format!("full_page_writes={flush}")])
            .args(["-c", "max_connections=300"])
            .args(tls_args.iter().flat_map(|a| ["-c", a.as_str()]))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        let pg = Postgres {
            server,
            dir,
            port,
            password,
            next_db: 0.into(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Up when it answers: a server that takes TLS only refuses
            // this plain connection, with an error of its own.
            let answered = off_runtime(
                || match postgres::Client::connect(&pg.url("postgres"), postgres::NoTls) {
                    Ok(_) => true,
                    Err(e) => e.as_db_error().is_some(),
                },
            );
            if answered {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start: {}",
                std::fs::read_to_string(pg.dir.path().join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        pg
    }

    /// The address of database `db`, as the superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres:{}@127.0.0.1:{}/{db}", self.password, self.port)
    }

    /// A new empty database; its address.
    pub fn new_db(&self) -> String {
        let n = self.next_db.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("bangtin_{n}");
        off_runtime(|| {
            let mut c = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).expect("connect");
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create database");
        });
        self.url(&name)
    }

    /// The server's PID (its backends are its children).
    pub fn pid(&self) -> u32 {
        self.server.id()
    }

    /// The cluster's data directory (to measure its size).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGQUIT: immediate shutdown, the server ends its backends.
        let _ = Command::new("kill")
            .args(["-QUIT", &self.server.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}
