//! A point-in-time copy of the store and its logs while the manager keeps
//! writing: what a backup reads (see [`crate::backup`]).
//!
//! sled has no snapshots, and a copy taken under a paused write path would
//! hold every request for as long as it takes to read the whole store
//! (seconds for a province's year of records). Instead, writes are held
//! only for the *instant* itself — the time to wait for the writes in
//! flight and mark it — and from then on, until the copy has read past
//! them, each write first keeps what it replaces:
//!
//! - a batch keeps the value every key it changes had at the instant
//!   (none: the key did not exist), once per key;
//! - an append to a log keeps the log's length at the instant, once per
//!   log (a log created since has length 0).
//!
//! The copy reads the live store and logs and takes a kept value or length
//! wherever there is one, so it sees each record exactly as it was at the
//! instant. Removing files (logs, media, screenshots) is held for the
//! whole copy instead: those are rare and never on a board's request path.
//!
//! Every write of keys or logs holds [`Freeze::writing`] while it writes;
//! every removal of a file of the data directory holds
//! [`Freeze::removing`] (blocking threads) or waits with [`Freeze::idle`]
//! and takes [`Freeze::try_removing`] (async code, which must not hold a
//! thread for the length of a copy). Neither may be taken twice by one
//! thread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// The data directory's point-in-time machinery, shared by the store and
/// its logs.
#[derive(Debug)]
pub struct Freeze {
    gate: RwLock<Option<Arc<Frozen>>>,
    removals: RwLock<()>,
    /// Held by the copy in progress: one at a time.
    copying: Mutex<()>,
    /// Whether a copy runs, for async code to wait on.
    busy: tokio::sync::watch::Sender<bool>,
}

impl Default for Freeze {
    fn default() -> Self {
        Freeze {
            gate: RwLock::default(),
            removals: RwLock::default(),
            copying: Mutex::default(),
            busy: tokio::sync::watch::channel(false).0,
        }
    }
}

/// What writes keep while a copy runs.
#[derive(Debug, Default)]
pub struct Frozen {
    /// `None` once the copy has read every key.
    keys: Mutex<Option<Kept>>,
    /// `None` once the copy has read every log.
    logs: Mutex<Option<HashMap<PathBuf, u64>>>,
}

/// Keys changed since the instant, and how far the copy has read.
#[derive(Debug, Default)]
pub struct Kept {
    before: HashMap<Vec<u8>, Before>,
    /// The last key the copy read (keys are read in order).
    read_to: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Before {
    value: Option<Vec<u8>>,
    /// The copy has written this key out already.
    copied: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Kept {
    /// Has `key` changed since the instant (its value then is kept)?
    pub fn has(&self, key: &[u8]) -> bool {
        self.before.contains_key(key)
    }

    /// Before a batch first changes `key` after the instant: keep its
    /// value (`None`: it does not exist).
    pub fn keep(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        if self.before.contains_key(key) {
            return;
        }
        // Read already: the copy wrote the value of the instant (or the
        // key did not exist then and was not written).
        let copied = self.read_to.as_deref().is_some_and(|r| key <= r);
        self.before.insert(key.to_vec(), Before { value, copied });
    }
}

/// Writes held while the instant is marked: taken by [`Freeze::writing`].
pub type Writing<'a> = RwLockReadGuard<'a, Option<Arc<Frozen>>>;

impl Frozen {
    /// The keys a batch must keep, locked for the batch (`None`: the copy
    /// has read every key). Hold the guard until the batch is applied.
    pub fn keys(&self) -> Option<MutexGuard<'_, Option<Kept>>> {
        let g = lock(&self.keys);
        g.is_some().then_some(g)
    }

    /// Before an append to `log`, whose length is `len`: keep the length
    /// of the instant.
    pub fn keep_log(&self, log: &Path, len: u64) {
        if let Some(logs) = lock(&self.logs).as_mut() {
            logs.entry(log.to_path_buf()).or_insert(len);
        }
    }
}

impl Freeze {
    pub fn new() -> Arc<Freeze> {
        Arc::default()
    }

    /// Held by every write of keys or logs while it writes; `Some` while
    /// a copy runs (then keep what the write replaces first).
    pub fn writing(&self) -> Writing<'_> {
        self.gate.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Held by every removal of a file of the data directory while it
    /// removes; waits while a copy runs.
    pub fn removing(&self) -> RwLockReadGuard<'_, ()> {
        self.removals.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`Freeze::removing`] if no copy runs or is starting; never waits.
    pub fn try_removing(&self) -> Option<RwLockReadGuard<'_, ()>> {
        match self.removals.try_read() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// Until no copy runs (one may begin right after: then
    /// [`Freeze::try_removing`] fails and the caller waits again).
    pub async fn idle(&self) {
        let mut rx = self.busy.subscribe();
        let _ = rx.wait_for(|busy| !*busy).await;
    }

    /// Mark the instant: wait for removals in progress, then hold writes
    /// while the ones in flight end, run `at_instant` (keep it short: it
    /// runs with writes held) and start keeping. Removals wait until the
    /// snapshot is dropped. `None` while another copy runs.
    pub fn begin<T>(&self, at_instant: impl FnOnce() -> T) -> Option<(Snapshot<'_>, T)> {
        let one = match self.copying.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        let removals = self.removals.write().unwrap_or_else(PoisonError::into_inner);
        self.busy.send_replace(true);
        let started = Instant::now();
        let frozen = Arc::new(Frozen {
            keys: Mutex::new(Some(Kept::default())),
            logs: Mutex::new(Some(HashMap::new())),
        });
        let t = {
            let mut gate = self.gate.write().unwrap_or_else(PoisonError::into_inner);
            *gate = Some(frozen.clone());
            at_instant()
        };
        let held = started.elapsed();
        Some((
            Snapshot {
                freeze: self,
                frozen,
                held,
                _removals: removals,
                _one: one,
            },
            t,
        ))
    }
}

/// A copy in progress: read the keys, then the logs; dropping it ends the
/// copy (writes stop keeping, removals go on).
#[derive(Debug)]
pub struct Snapshot<'a> {
    freeze: &'a Freeze,
    frozen: Arc<Frozen>,
    /// How long writes were held to mark the instant.
    pub held: Duration,
    _removals: RwLockWriteGuard<'a, ()>,
    _one: MutexGuard<'a, ()>,
}

impl Snapshot<'_> {
    /// One record read from the live store, in key order: what to copy
    /// for it — its value at the instant, or nothing (created since).
    pub fn record<'v>(&self, key: &[u8], live: &'v [u8]) -> Option<std::borrow::Cow<'v, [u8]>> {
        let mut g = lock(&self.frozen.keys);
        let kept = g.as_mut().expect("keys are read before keys_done");
        kept.read_to = Some(key.to_vec());
        match kept.before.get_mut(key) {
            Some(b) => {
                b.copied = true;
                b.value.clone().map(std::borrow::Cow::Owned)
            }
            None => Some(std::borrow::Cow::Borrowed(live)),
        }
    }

    /// Every key has been read: the records of the instant deleted since
    /// (the copy did not meet them), in key order. Writes stop keeping keys.
    pub fn keys_done(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let kept = lock(&self.frozen.keys).take().unwrap_or_default();
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = kept
            .before
            .into_iter()
            .filter(|(_, b)| !b.copied)
            .filter_map(|(k, b)| b.value.map(|v| (k, v)))
            .collect();
        out.sort();
        out
    }

    /// How much of `log` to copy, after reading `read` bytes of it: its
    /// length at the instant if it has been appended to since. Read the
    /// log before asking: an append keeps the length before it writes.
    pub fn log_len(&self, log: &Path, read: u64) -> u64 {
        match lock(&self.frozen.logs).as_ref().and_then(|l| l.get(log)) {
            Some(then) => read.min(*then),
            None => read,
        }
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        let mut gate = self.freeze.gate.write().unwrap_or_else(PoisonError::into_inner);
        *gate = None;
        // Fields drop after this: the removals lock is still held, so
        // whoever wakes on `busy` retries until it is free.
        self.freeze.busy.send_replace(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A store as a map, written the way `SledStore::apply` writes.
    #[derive(Default)]
    struct Map {
        freeze: Freeze,
        data: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
    }

    impl Map {
        fn apply(&self, ops: &[(&str, Option<&str>)]) {
            let gate = self.freeze.writing();
            let mut keys = gate.as_ref().and_then(|f| f.keys());
            if let Some(kept) = keys.as_mut().and_then(|g| g.as_mut()) {
                for (k, _) in ops {
                    if !kept.has(k.as_bytes()) {
                        let then = lock(&self.data).get(k.as_bytes()).cloned();
                        kept.keep(k.as_bytes(), then);
                    }
                }
            }
            let mut d = lock(&self.data);
            for (k, v) in ops {
                match v {
                    Some(v) => d.insert(k.as_bytes().to_vec(), v.as_bytes().to_vec()),
                    None => d.remove(k.as_bytes()),
                };
            }
        }

        /// The record after `after` (a live iterator's next step).
        fn next_after(&self, after: Option<&[u8]>) -> Option<(Vec<u8>, Vec<u8>)> {
            let d = lock(&self.data);
            match after {
                None => d.iter().next(),
                Some(a) => d
                    .range::<[u8], _>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                    .next(),
            }
            .map(|(k, v)| (k.clone(), v.clone()))
        }
    }

    fn s(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    /// Writes between the copy's steps — before, at and after the key the
    /// copy has reached; inserts, changes, deletes — never show in it: it
    /// holds exactly the records of the instant.
    #[test]
    fn the_copy_holds_the_instant_whatever_is_written_while_it_reads() {
        let m = Map::default();
        m.apply(&[
            ("a", Some("a0")),
            ("c", Some("c0")),
            ("e", Some("e0")),
            ("g", Some("g0")),
        ]);
        let (snap, ()) = m.freeze.begin(|| ()).unwrap();
        let mut copy = BTreeMap::new();
        let mut at: Option<Vec<u8>> = None;
        let mut step = 0;
        while let Some((k, v)) = m.next_after(at.as_deref()) {
            if let Some(v) = snap.record(&k, &v) {
                copy.insert(s(&k), s(&v));
            }
            at = Some(k);
            match step {
                // Behind the copy: a change and a delete of keys read, a new key.
                0 => m.apply(&[("a", Some("a1")), ("b", Some("b1"))]),
                // Ahead: a change, a delete, a new key, a delete of a new key.
                1 => m.apply(&[("e", Some("e1")), ("g", None), ("f", Some("f1"))]),
                2 => m.apply(&[("f", None), ("a", None), ("h", Some("h1"))]),
                _ => m.apply(&[("e", None)]),
            }
            step += 1;
        }
        for (k, v) in snap.keys_done() {
            copy.insert(s(&k), s(&v));
        }
        let want: BTreeMap<String, String> = [("a", "a0"), ("c", "c0"), ("e", "e0"), ("g", "g0")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(copy, want);
        m.apply(&[("z", Some("z1"))]);
        drop(snap);
        assert!(m.freeze.writing().is_none(), "writes stop keeping once the copy ends");
    }

    #[test]
    fn logs_are_copied_as_long_as_they_were_at_the_instant() {
        let f = Freeze::default();
        let (snap, ()) = f.begin(|| ()).unwrap();
        assert!(f.begin(|| ()).is_none(), "one copy at a time");
        {
            let gate = f.writing();
            let frozen = gate.as_ref().unwrap();
            frozen.keep_log(Path::new("play/b1"), 120);
            frozen.keep_log(Path::new("play/b1"), 180);
            frozen.keep_log(Path::new("play/new"), 0);
        }
        assert_eq!(
            snap.log_len(Path::new("play/b1"), 240),
            120,
            "the first append keeps it"
        );
        assert_eq!(snap.log_len(Path::new("play/new"), 60), 0, "created since");
        assert_eq!(snap.log_len(Path::new("beats/b1"), 90), 90, "not appended to since");
        assert!(snap.held < Duration::from_secs(1));
    }

    /// Removals wait for the copy; writes only for the instant.
    #[test]
    fn removals_wait_for_the_whole_copy() {
        let f = Arc::new(Freeze::default());
        let (snap, ()) = f.begin(|| ()).unwrap();
        let f2 = f.clone();
        let removed = std::thread::spawn(move || {
            let _r = f2.removing();
            Instant::now()
        });
        std::thread::sleep(Duration::from_millis(100));
        assert!(f.writing().is_some(), "writes go on during the copy");
        assert!(f.try_removing().is_none(), "async code is sent back to wait");
        let f3 = f.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let waited = std::thread::spawn(move || {
            rt.block_on(f3.idle());
            Instant::now()
        });
        std::thread::sleep(Duration::from_millis(50));
        let ended = Instant::now();
        drop(snap);
        assert!(removed.join().unwrap() >= ended);
        assert!(waited.join().unwrap() >= ended);
        assert!(f.try_removing().is_some());
    }
}
