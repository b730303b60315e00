//! systemd's service notifications (`sd_notify`), for the kiosk unit's
//! `Type=notify` and `WatchdogSec=` (issue #15): `READY=1` once the first
//! frame is on screen, then `WATCHDOG=1` from the render loop at half the
//! watchdog's period. A hung GPU or a frozen loop stops the pings and
//! systemd restarts the board.
//!
//! The protocol is one datagram of `KEY=value` lines to the socket named
//! by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace);
//! `$WATCHDOG_USEC` gives the period. Under cage the player is not the
//! unit's main process, so `$WATCHDOG_PID` names cage: pings are sent when
//! it names this process or its parent (the unit sets `NotifyAccess=all`).
//! Without `$NOTIFY_SOCKET` (a terminal, tests, another supervisor)
//! nothing is sent.

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};

/// Where the service manager listens, and how often it wants pings.
#[derive(Debug, Default)]
pub struct Notify {
    to: Option<(UnixDatagram, SocketAddr)>,
    /// Half the watchdog period: a ping every `every` keeps it fed.
    every: Option<Duration>,
    last: Option<Instant>,
    ready: bool,
}

impl Notify {
    /// From the environment systemd gives the service.
    pub fn from_env() -> Notify {
        let Some(socket) = std::env::var_os("NOTIFY_SOCKET").filter(|s| !s.is_empty()) else {
            return Notify::default();
        };
        let ours = |pid: u32| pid == std::process::id() || pid == std::os::unix::process::parent_id();
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|u| u.parse::<u64>().ok())
            .filter(|u| *u > 0)
            .filter(|_| {
                std::env::var("WATCHDOG_PID")
                    .ok()
                    .and_then(|p| p.parse::<u32>().ok())
                    .is_none_or(ours)
            })
            .map(Duration::from_micros);
        Notify::new(&socket.to_string_lossy(), watchdog)
    }

    /// To `socket` (a path or `@abstract`), with a watchdog of `period`.
    pub fn new(socket: &str, period: Option<Duration>) -> Notify {
        let addr = match socket.strip_prefix('@') {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name.as_bytes())
            }
            None => SocketAddr::from_pathname(socket),
        };
        let to = match (UnixDatagram::unbound(), addr) {
            (Ok(s), Ok(a)) => Some((s, a)),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!("không dùng được NOTIFY_SOCKET {socket}: {e} (cannot notify systemd)");
                None
            }
        };
        Notify {
            to,
            every: period.map(|p| p / 2),
            last: None,
            ready: false,
        }
    }

    fn send(&self, msg: &str) {
        if let Some((s, a)) = &self.to
            && let Err(e) = s.send_to_addr(msg.as_bytes(), a)
        {
            tracing::debug!("không gửi được tới systemd: {e} (sd_notify failed)");
        }
    }

    /// The first frame is on screen: the service is up. Once.
    pub fn ready(&mut self) {
        if !self.ready {
            self.ready = true;
            self.send("READY=1\nSTATUS=đang chiếu (showing)\n");
            self.last = Some(Instant::now());
        }
    }

    /// The loop is alive: ping if one is due. Returns when the next is due
    /// (the loop must wake by then even when nothing on screen changes).
    pub fn alive(&mut self) -> Option<Instant> {
        let every = self.every.filter(|_| self.ready && self.to.is_some())?;
        let now = Instant::now();
        if self.last.is_none_or(|l| now >= l + every) {
            self.send("WATCHDOG=1\n");
            self.last = Some(now);
        }
        self.last.map(|l| l + every)
    }

    /// Shutting down on purpose (a restart or a stop), so that systemd
    /// does not take the end of the pings for a hang.
    pub fn stopping(&self) {
        self.send("STOPPING=1\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recv(s: &UnixDatagram) -> Option<String> {
        let mut b = [0u8; 256];
        s.recv(&mut b)
            .ok()
            .map(|n| String::from_utf8_lossy(&b[..n]).into_owned())
    }

    #[test]
    fn ready_once_then_pings_at_half_the_period() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut n = Notify::new(path.to_str().unwrap(), Some(Duration::from_millis(400)));
        // Nothing before the first frame: the watchdog is not fed by a
        // program that never shows anything.
        assert_eq!(n.alive(), None);
        n.ready();
        n.ready();
        assert!(recv(&sock).unwrap().starts_with("READY=1\n"));
        // Within half the period of READY: no ping yet, but a time to wake.
        let due = n.alive().expect("a watchdog period");
        assert!(due > Instant::now() && due <= Instant::now() + Duration::from_millis(200));
        assert_eq!(recv(&sock), None);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        n.alive();
        assert_eq!(recv(&sock).as_deref(), Some("WATCHDOG=1\n"));
        n.alive();
        assert_eq!(recv(&sock), None, "one ping per half period");
        n.stopping();
        assert_eq!(recv(&sock).as_deref(), Some("STOPPING=1\n"));
    }

    #[test]
    fn abstract_sockets_and_no_watchdog() {
        let name = format!("bangtin-notify-test-{}", std::process::id());
        let addr = {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name.as_bytes()).unwrap()
        };
        let sock = UnixDatagram::bind_addr(&addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut n = Notify::new(&format!("@{name}"), None);
        n.ready();
        assert!(recv(&sock).unwrap().starts_with("READY=1\n"));
        assert_eq!(n.alive(), None, "no WATCHDOG_USEC: no pings, no wake-ups");
        // Not under systemd: nothing at all.
        let mut quiet = Notify::default();
        quiet.ready();
        assert_eq!(quiet.alive(), None);
    }
}
