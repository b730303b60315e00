//! Snapcast, the loudspeakers' audio server, started for a test: a real
//! `snapserver` and `snapclient` (Debian's packages, installed by
//! `xtask/setup.sh`) on loopback, the client playing into a file that the
//! test reads back.

use super::manager::free_port;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Write a `snapserver` configuration into `dir`: loopback only, PCM from
/// the `audio` port, JSON-RPC on `control`, clients on `stream`, no web
/// server, no logs. Returns its path. (The manager's soak tool uses it too.)
pub fn write_config(dir: &Path, stream: u16, control: u16, audio: u16) -> std::io::Result<PathBuf> {
    let conf = dir.join("snapserver.conf");
    std::fs::write(
        &conf,
        format!(
            "[server]\ndatadir = {d}\n[http]\nenabled = false\n[tcp]\nbind_to_address = 127.0.0.1\nport = {control}\n\
             [stream]\nbind_to_address = 127.0.0.1\nport = {stream}\n\
             source = tcp://127.0.0.1:{audio}?name=bangtin&mode=server\nbuffer = 400\n[logging]\nsink = null\n",
            d = dir.display()
        ),
    )?;
    Ok(conf)
}

/// A Snapcast server on loopback with one client (`--hostID` the name
/// given) playing into a file; both killed, by PID, when dropped.
#[derive(Debug)]
pub struct Snap {
    server: Child,
    client: Child,
    /// JSON-RPC control port and the PCM source port (what a speaker zone
    /// names as `control` and `audio`).
    pub control: u16,
    pub audio: u16,
    out: PathBuf,
}

impl Drop for Snap {
    fn drop(&mut self) {
        for c in [&mut self.client, &mut self.server] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Snap {
    pub fn start(dir: &Path, name: &str) -> Snap {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let (stream, control, audio) = (free_port(), free_port(), free_port());
        let conf = write_config(&dir, stream, control, audio).unwrap();
        let server = Command::new("snapserver")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("snapserver (xtask/setup.sh installs it)");
        let out = dir.join("played.raw");
        let mut snap = Snap {
            server,
            client: Command::new("true").spawn().unwrap(),
            control,
            audio,
            out: out.clone(),
        };
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", control)).is_err() {
            assert!(t.elapsed() < Duration::from_secs(10), "snapserver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        snap.client = Command::new("snapclient")
            .args(["-h", "127.0.0.1", "-p", &stream.to_string(), "--hostID", name])
            .arg("--player")
            .arg(format!("file:filename={}", out.display()))
            .args(["--logsink", "null"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("snapclient");
        while snap
            .clients()
            .iter()
            .all(|c| !c["connected"].as_bool().unwrap_or(false))
        {
            assert!(t.elapsed() < Duration::from_secs(10), "snapclient did not connect");
            std::thread::sleep(Duration::from_millis(50));
        }
        snap
    }

    pub fn rpc(&self, method: &str, params: Value) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.control)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        writeln!(
            s,
            "{}\r",
            json!({"id": 7, "jsonrpc": "2.0", "method": method, "params": params})
        )
        .unwrap();
        let mut r = BufReader::new(s);
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if v["id"] == 7 {
                return v["result"].clone();
            }
        }
    }

    pub fn clients(&self) -> Vec<Value> {
        self.rpc("Server.GetStatus", json!({}))["server"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["clients"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    pub fn volume(&self) -> Value {
        self.clients()[0]["config"]["volume"].clone()
    }

    /// Bytes the client has played so far.
    pub fn played(&self) -> u64 {
        std::fs::metadata(&self.out).map_or(0, |m| m.len())
    }

    /// Loud frames (|sample| > 1000) played after byte `from`.
    pub fn loud_frames(&self, from: u64) -> Vec<usize> {
        let b = std::fs::read(&self.out).unwrap_or_default();
        let from = (from as usize).min(b.len()) & !3;
        b[from..]
            .chunks_exact(4)
            .enumerate()
            .filter(|(_, f)| i16::from_le_bytes([f[0], f[1]]).unsigned_abs() > 1000)
            .map(|(i, _)| i)
            .collect()
    }

    /// Left-channel samples played after byte `from`.
    pub fn left(&self, from: u64) -> Vec<i16> {
        let b = std::fs::read(&self.out).unwrap_or_default();
        let from = (from as usize).min(b.len()) & !3;
        b[from..]
            .chunks_exact(4)
            .map(|f| i16::from_le_bytes([f[0], f[1]]))
            .collect()
    }

    /// Seconds of loud sound played after byte `from`.
    pub fn loud_since(&self, from: u64) -> f64 {
        self.loud_frames(from).len() as f64 / 48_000.0
    }

    /// Seconds from the first to the last loud sound after byte `from`.
    pub fn span_since(&self, from: u64) -> f64 {
        let f = self.loud_frames(from);
        f.last().map_or(0.0, |l| (l - f[0]) as f64 / 48_000.0)
    }
}
