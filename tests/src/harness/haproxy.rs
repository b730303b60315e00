//! haproxy (Debian's `haproxy`; `xtask/setup.sh` installs it) on loopback
//! in front of several managers, as a province would run them: round robin,
//! a health check on `GET /api/v1/health`, and a request whose connection
//! to a manager fails is sent to another. Started by the test, stopped (by
//! PID) when dropped.

use super::manager::free_port;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Haproxy {
    child: Child,
    _dir: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`: where boards, officers and sources connect.
    pub url: String,
}

/// The configuration for `backends` (`http://127.0.0.1:PORT` each), the
/// balancer listening on `port`. Documented in docs/cluster.md.
pub fn config(port: u16, backends: &[String]) -> String {
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, url)| {
            let addr = url.trim_start_matches("http://").trim_end_matches('/');
            // Checked every second: down after 3 failures (a manager busy
            // with a province's emergency may take a moment to answer), up
            // after 2 successes. A manager that is gone refuses connections,
            // and those requests go to another at once (`retry-on`).
            format!("    server m{i} {addr} check inter 1s fall 3 rise 2\n")
        })
        .collect();
    format!(
        "global\n\
         \x20   maxconn {}\n\
         defaults\n\
         \x20   mode http\n\
         \x20   option forwardfor\n\
         \x20   # Pushes are small events on a long response: send each at once\n\
         \x20   # (without it the kernel may hold one back for 200 ms).\n\
         \x20   option http-no-delay\n\
         \x20   timeout connect 1s\n\
         \x20   timeout client 120s\n\
         \x20   timeout server 120s\n\
         \x20   # Boards' event streams are long-lived responses.\n\
         \x20   timeout tunnel 1h\n\
         \x20   timeout check 2s\n\
         \x20   # A request whose connection to a manager failed never reached\n\
         \x20   # it: send it to another. Nothing else is retried, so a publish\n\
         \x20   # is never applied twice.\n\
         \x20   retries 3\n\
         \x20   retry-on conn-failure\n\
         \x20   option redispatch 1\n\
         frontend boards\n\
         \x20   bind 127.0.0.1:{port}\n\
         \x20   default_backend managers\n\
         backend managers\n\
         \x20   balance roundrobin\n\
         \x20   option httpchk GET /api/v1/health\n\
         \x20   http-check expect status 200\n\
         {servers}",
        maxconn()
    )
}

/// Connections haproxy may hold: two descriptors each (client and
/// manager), within this machine's limit on open files.
fn maxconn() -> u64 {
    let hard = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(4).and_then(|v| v.parse::<u64>().ok()))
        })
        .unwrap_or(4096);
    (hard.saturating_sub(100) / 2).clamp(256, 20_000)
}

impl Haproxy {
    /// Start haproxy in front of `backends`; panics with its output if it
    /// does not listen within 10 s.
    pub fn start(backends: &[String]) -> Haproxy {
        let dir = tempfile::Builder::new()
            .prefix("bangtin-haproxy-")
            .tempdir()
            .expect("a temporary directory");
        let port = free_port();
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(&cfg, config(port, backends)).unwrap();
        let log = dir.path().join("haproxy.log");
        let mut child = Command::new(bin())
            // -db: in the foreground, so the test owns its PID.
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("haproxy.err")).unwrap())
            .spawn()
            .expect("start haproxy (Debian package haproxy; xtask/setup.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("haproxy ended ({status}): {}", read(&dir.path().join("haproxy.err")));
            }
            assert!(
                Instant::now() < deadline,
                "haproxy did not listen: {}",
                read(&dir.path().join("haproxy.err"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Haproxy {
            child,
            _dir: dir,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// haproxy from PATH, or Debian's /usr/sbin (not on a user's PATH).
fn bin() -> std::path::PathBuf {
    let sbin = Path::new("/usr/sbin/haproxy");
    if sbin.exists() {
        sbin.to_path_buf()
    } else {
        "haproxy".into()
    }
}

fn read(p: &Path) -> String {
    let mut s = String::new();
    let _ = std::fs::File::open(p).and_then(|mut f| f.read_to_string(&mut s));
    s
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
