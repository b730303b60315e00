//! Storage behind a trait, so another embedded store can replace sled.
//!
//! Everything lives in one ordered key space, keys `collection/id…`, and a
//! change of several keys is applied atomically (sled applies a batch on one
//! tree atomically, also across a crash). Changes officers make are flushed
//! to disk before the API answers; frequent board status updates are not.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("lỗi kho dữ liệu (storage error): {0}")]
    Backend(String),
    #[error("dữ liệu hỏng ở khóa {key} (corrupt record): {msg}")]
    Corrupt { key: String, msg: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<crate::journal::JournalError> for StoreError {
    fn from(e: crate::journal::JournalError) -> StoreError {
        StoreError::Backend(e.to_string())
    }
}

/// One change in an atomic batch.
#[derive(Debug, Clone)]
pub enum Op {
    Put(String, Vec<u8>),
    Del(String),
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Put(k, _) | Op::Del(k) => k,
        }
    }
    pub fn put<T: Serialize>(key: impl Into<String>, v: &T) -> Op {
        Op::Put(key.into(), serde_json::to_vec(v).expect("records always serialise"))
    }
    pub fn del(key: impl Into<String>) -> Op {
        Op::Del(key.into())
    }
}

/// What [`Store::each`] calls with a record's key and value.
pub type EachRecord<'a> = &'a mut dyn FnMut(&[u8], &[u8]) -> std::io::Result<()>;

/// An ordered key-value store with atomic batches.
pub trait Store: Send + Sync + 'static {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// All entries whose key starts with `prefix`, in key order.
    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>>;
    /// Apply all of `ops` or none of them.
    fn apply(&self, ops: Vec<Op>) -> Result<()>;
    /// Make everything applied so far durable.
    fn flush(&self) -> Result<()>;
    /// A process-wide unique, increasing number (survives restarts).
    fn next_id(&self) -> Result<u64>;
    /// Up to `limit` entries with `start <= key < end`, in key order or,
    /// with `reverse`, newest (greatest) key first.
    fn range(&self, start: &str, end: &str, limit: usize, reverse: bool) -> Result<Vec<(String, Vec<u8>)>>;
    /// The append-only logs kept beside the keys (proof of play, heartbeat
    /// history); [`Store::flush`] makes their appends durable too.
    fn journal(&self) -> &crate::journal::Journal;
    /// Call `f` with every record in key order, as each is when read:
    /// while writes go on, only a [`crate::freeze::Snapshot`] makes that
    /// one instant. Stops at the first error of `f`.
    fn each(&self, f: EachRecord<'_>) -> Result<()>;
    /// The point-in-time machinery the store and its logs share (backups).
    fn freeze(&self) -> &crate::freeze::Freeze {
        self.journal().freeze()
    }
    /// Ask for the lock `name` that every process sharing this store
    /// respects; None for a store one process opens (sled), where the
    /// process's own lock is all there is. Take the process's own lock of
    /// the same name first ([`exclusive`], [`exclusive_blocking`]).
    fn cluster_lock(&self, _name: &'static str) -> Option<PendingLock> {
        None
    }
    /// Whether other processes (managers) write to this store too.
    fn shared_by_processes(&self) -> bool {
        false
    }
}

/// Wait for a reply sent from another thread. On tokio's multi-thread
/// workers the runtime is told first, so other tasks move elsewhere.
pub fn wait_reply<T>(rx: &std::sync::mpsc::Receiver<T>) -> Option<T> {
    let flavor = tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor());
    if matches!(flavor, Ok(tokio::runtime::RuntimeFlavor::MultiThread)) {
        tokio::task::block_in_place(|| rx.recv().ok())
    } else {
        rx.recv().ok()
    }
}

/// A lock asked of a store that processes share, not yet granted.
#[derive(Debug)]
pub struct PendingLock {
    rx: std::sync::mpsc::Receiver<Result<ClusterLock>>,
}

impl PendingLock {
    pub fn new(rx: std::sync::mpsc::Receiver<Result<ClusterLock>>) -> PendingLock {
        PendingLock { rx }
    }

    /// Wait until granted, from a thread that may block.
    pub fn wait_blocking(self) -> Result<ClusterLock> {
        wait_reply(&self.rx).unwrap_or_else(|| Err(StoreError::Backend("luồng khóa đã dừng (lock thread gone)".into())))
    }

    /// Wait until granted, from async code (on the blocking pool). A
    /// lock granted after the caller went away is given back at once.
    pub async fn wait(self) -> Result<ClusterLock> {
        tokio::task::spawn_blocking(move || self.wait_blocking())
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?
    }
}

/// A lock every process sharing the store respects, held until dropped.
pub struct ClusterLock {
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for ClusterLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterLock")
    }
}

impl ClusterLock {
    /// `release` gives the lock back (it must not block).
    pub fn new(release: impl FnOnce() + Send + 'static) -> ClusterLock {
        ClusterLock {
            release: Some(Box::new(release)),
        }
    }
}

impl Drop for ClusterLock {
    fn drop(&mut self) {
        if let Some(r) = self.release.take() {
            r();
        }
    }
}

/// A lock of this process and, where processes share the store, of all of
/// them: what keeps a read-then-write consistent. Released when dropped
/// (the shared lock first).
#[derive(Debug)]
pub struct Exclusive<G> {
    _cluster: Option<ClusterLock>,
    _local: G,
}

/// Take `local`, then the store's lock `name`, from async code.
pub async fn exclusive<'a>(
    store: &dyn Store,
    local: &'a tokio::sync::Mutex<()>,
    name: &'static str,
) -> Result<Exclusive<tokio::sync::MutexGuard<'a, ()>>> {
    let g = local.lock().await;
    let cluster = match store.cluster_lock(name) {
        Some(p) => Some(p.wait().await?),
        None => None,
    };
    Ok(Exclusive {
        _cluster: cluster,
        _local: g,
    })
}

/// Take `local`, then the store's lock `name`, from a thread that may
/// block.
pub fn exclusive_blocking<'a>(
    store: &dyn Store,
    local: &'a Mutex<()>,
    name: &'static str,
) -> Result<Exclusive<std::sync::MutexGuard<'a, ()>>> {
    let g = local.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let cluster = match store.cluster_lock(name) {
        Some(p) => Some(p.wait_blocking()?),
        None => None,
    };
    Ok(Exclusive {
        _cluster: cluster,
        _local: g,
    })
}

/// Typed helpers over any [`Store`].
pub trait StoreExt: Store {
    fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.get(key)? {
            None => Ok(None),
            Some(b) => serde_json::from_slice(&b).map(Some).map_err(|e| StoreError::Corrupt {
                key: key.to_string(),
                msg: e.to_string(),
            }),
        }
    }

    fn scan_json<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>> {
        self.scan(prefix)?
            .into_iter()
            .map(|(k, v)| {
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                    key: k,
                    msg: e.to_string(),
                })
            })
            .collect()
    }

    /// Apply and flush: for changes an officer was told are saved.
    fn commit(&self, ops: Vec<Op>) -> Result<()> {
        self.apply(ops)?;
        self.flush()
    }

    /// Delete every key starting with `prefix`, in batches of a few
    /// thousand (a board's history can be large); not atomic as a whole.
    /// Returns how many keys went.
    fn delete_prefix(&self, prefix: &str) -> Result<usize> {
        self.delete_range(prefix, &prefix_end(prefix))
    }

    /// Delete every key in `start..end`, in batches; not atomic as a whole.
    fn delete_range(&self, start: &str, end: &str) -> Result<usize> {
        let mut n = 0;
        loop {
            let keys = self.range(start, end, 4096, false)?;
            if keys.is_empty() {
                return Ok(n);
            }
            n += keys.len();
            self.apply(keys.into_iter().map(|(k, _)| Op::Del(k)).collect())?;
        }
    }
}

/// The smallest key greater than every key starting with `prefix` (all our
/// keys are ASCII, so bumping the last byte is enough).
pub fn prefix_end(prefix: &str) -> String {
    let mut b = prefix.as_bytes().to_vec();
    while let Some(last) = b.pop() {
        if last < 0x7f {
            b.push(last + 1);
            return String::from_utf8_lossy(&b).into_owned();
        }
    }
    // Only for an empty (or all-DEL) prefix: past every ASCII key.
    "\u{7f}".to_string()
}

impl<S: Store + ?Sized> StoreExt for S {}

/// Group commit: makes applied changes durable on a thread of its own, so
/// no request handler waits on the disk on an async worker, and one flush
/// covers every change applied before it started — many officers' saves in
/// one `fsync`, not one each.
#[derive(Debug)]
pub struct Flusher {
    tx: Mutex<std::sync::mpsc::Sender<tokio::sync::oneshot::Sender<Result<()>>>>,
}

impl Flusher {
    /// Start the flushing thread. It holds the store only while flushing,
    /// and ends when the `Flusher` is dropped.
    pub fn start(store: &Arc<dyn Store>) -> std::io::Result<Flusher> {
        let (tx, rx) = std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<Result<()>>>();
        let weak: Weak<dyn Store> = Arc::downgrade(store);
        std::thread::Builder::new()
            .name("bangtin-flush".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut waiting = vec![first];
                    waiting.extend(rx.try_iter());
                    let r = match weak.upgrade() {
                        Some(store) => store.flush(),
                        None => Err(StoreError::Backend("kho dữ liệu đã đóng (store closed)".into())),
                    };
                    for w in waiting {
                        let _ = w.send(r.clone());
                    }
                }
            })?;
        Ok(Flusher { tx: Mutex::new(tx) })
    }

    fn ask(&self) -> Result<tokio::sync::oneshot::Receiver<Result<()>>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(tx)
            .map_err(|_| StoreError::Backend("luồng ghi đĩa đã dừng (flush thread gone)".into()))?;
        Ok(rx)
    }

    /// Wait until everything applied so far is on disk.
    pub async fn durable(&self) -> Result<()> {
        self.ask()?
            .await
            .map_err(|_| StoreError::Backend("luồng ghi đĩa đã dừng (flush thread gone)".into()))?
    }

    /// The same, from a thread that may block (never an async worker).
    pub fn durable_blocking(&self) -> Result<()> {
        self.ask()?
            .blocking_recv()
            .map_err(|_| StoreError::Backend("luồng ghi đĩa đã dừng (flush thread gone)".into()))?
    }
}

/// The default store: sled in a directory on local disk.
#[derive(Debug, Clone)]
pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    journal: Arc<crate::journal::Journal>,
    /// Added to sled's id counter: a restored store starts its ids above
    /// every id of its backup ([`ID_FLOOR_KEY`]).
    id_floor: u64,
}

/// The record holding the store's id floor: set by a restore to the
/// backup's next id, since a fresh sled counts its ids from 0 again.
pub const ID_FLOOR_KEY: &str = "meta/id-floor";

fn be(e: sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// sled's page cache unless the configuration says otherwise
/// (`store_cache_mib`). sled's own default is 1 GiB, which a manager
/// reaches by filling it with history it rarely reads again.
pub const DEFAULT_CACHE_MIB: u64 = 64;

/// How long opening a sled directory waits for its lock.
const SLED_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl SledStore {
    pub fn open(dir: &Path) -> Result<SledStore> {
        Self::open_with_cache(dir, DEFAULT_CACHE_MIB)
    }

    /// Open with at most `cache_mib` MiB of cached pages (at least 1),
    /// the logs in `dir/journal`.
    pub fn open_with_cache(dir: &Path, cache_mib: u64) -> Result<SledStore> {
        Self::open_with(dir, &dir.join("journal"), cache_mib)
    }

    /// A manager's data directory: sled in `data/db`, the logs in
    /// `data/journal`.
    pub fn open_data_dir(data: &Path, cache_mib: u64) -> Result<SledStore> {
        Self::open_with(&data.join("db"), &data.join("journal"), cache_mib)
    }

    fn open_with(dir: &Path, journal: &Path, cache_mib: u64) -> Result<SledStore> {
        // sled's lock on its directory outlives a store dropped in this
        // process by a moment (its background writers still hold the
        // file): wait that out before calling the directory taken.
        let deadline = std::time::Instant::now() + SLED_LOCK_WAIT;
        let db = loop {
            match sled::Config::new()
                .path(dir)
                .cache_capacity(cache_mib.max(1) * 1024 * 1024)
                .mode(sled::Mode::HighThroughput)
                .flush_every_ms(Some(500))
                .open()
            {
                Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                    if std::time::Instant::now() >= deadline {
                        return Err(StoreError::Backend(format!(
                            "thư mục dữ liệu {} đang được một tiến trình khác dùng — một máy quản lý khác đang chạy? \
                             (another process holds the data directory: is a manager already running?): {e}",
                            dir.display()
                        )));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other.map_err(be)?,
            }
        };
        let tree = db.open_tree("bangtin").map_err(be)?;
        let journal = Arc::new(crate::journal::Journal::open(journal)?);
        let id_floor = match tree.get(ID_FLOOR_KEY).map_err(be)? {
            None => 0,
            Some(v) => serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt {
                key: ID_FLOOR_KEY.into(),
                msg: e.to_string(),
            })?,
        };
        Ok(SledStore {
            db,
            tree,
            journal,
            id_floor,
        })
    }
}

impl Store for SledStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.tree.get(key).map_err(be)?.map(|v| v.to_vec()))
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.tree
            .scan_prefix(prefix)
            .map(|r| {
                let (k, v) = r.map_err(be)?;
                Ok((String::from_utf8_lossy(&k).into_owned(), v.to_vec()))
            })
            .collect()
    }

    fn apply(&self, ops: Vec<Op>) -> Result<()> {
        // Held until applied: a backup's instant falls before or after the
        // whole batch; while its copy runs, the batch first keeps the
        // values it replaces (crate::freeze).
        let writing = self.journal.freeze().writing();
        let mut keys = writing.as_ref().and_then(|f| f.keys());
        if let Some(kept) = keys.as_mut().and_then(|g| g.as_mut()) {
            for op in &ops {
                let k = op.key().as_bytes();
                if !kept.has(k) {
                    let then = self.tree.get(k).map_err(be)?.map(|v| v.to_vec());
                    kept.keep(k, then);
                }
            }
        }
        let mut batch = sled::Batch::default();
        for op in ops {
            match op {
                Op::Put(k, v) => batch.insert(k.as_bytes(), v),
                Op::Del(k) => batch.remove(k.as_bytes()),
            }
        }
        self.tree.apply_batch(batch).map_err(be)
    }

    fn flush(&self) -> Result<()> {
        self.journal.sync()?;
        self.tree.flush().map_err(be)?;
        Ok(())
    }

    fn journal(&self) -> &crate::journal::Journal {
        &self.journal
    }

    fn next_id(&self) -> Result<u64> {
        Ok(self.id_floor + self.db.generate_id().map_err(be)?)
    }

    fn each(&self, f: EachRecord<'_>) -> Result<()> {
        for r in self.tree.iter() {
            let (k, v) = r.map_err(be)?;
            f(&k, &v).map_err(|e| StoreError::Backend(e.to_string()))?;
        }
        Ok(())
    }

    fn range(&self, start: &str, end: &str, limit: usize, reverse: bool) -> Result<Vec<(String, Vec<u8>)>> {
        if start >= end {
            return Ok(Vec::new());
        }
        let it = self.tree.range(start.as_bytes()..end.as_bytes());
        let conv = |r: sled::Result<(sled::IVec, sled::IVec)>| {
            let (k, v) = r.map_err(be)?;
            Ok((String::from_utf8_lossy(&k).into_owned(), v.to_vec()))
        };
        if reverse {
            it.rev().take(limit).map(conv).collect()
        } else {
            it.take(limit).map(conv).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_in_use_is_named_and_one_just_closed_opens() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store.apply(vec![Op::put("a", &1u32)]).unwrap();
        let e = SledStore::open(dir.path()).map(|_| ()).unwrap_err().to_string();
        assert!(
            e.contains("is a manager already running") && e.contains(&dir.path().display().to_string()),
            "{e}"
        );
        // Closed and opened again at once, many times: never refused.
        drop(store);
        for i in 0..20u32 {
            let s = SledStore::open(dir.path()).unwrap_or_else(|e| panic!("reopen {i}: {e}"));
            s.apply(vec![Op::put("a", &i)]).unwrap();
            s.flush().unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_commit_answers_every_waiter_and_ends_with_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let flusher = Arc::new(Flusher::start(&store).unwrap());
        let mut waits = Vec::new();
        for i in 0..64 {
            store.apply(vec![Op::put(format!("k/{i:02}"), &i)]).unwrap();
            let f = flusher.clone();
            waits.push(tokio::spawn(async move { f.durable().await }));
        }
        for w in waits {
            w.await.unwrap().unwrap();
        }
        let f = flusher.clone();
        tokio::task::spawn_blocking(move || f.durable_blocking())
            .await
            .unwrap()
            .unwrap();
        drop(store);
        // sled releases its files from a thread of its own; the flusher
        // holds no handle, so the directory opens again.
        let mut tries = 0;
        let reopened = loop {
            match SledStore::open(dir.path()) {
                Ok(s) => break s,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(reopened.scan("k/").unwrap().len(), 64);
        let gone = flusher.durable().await.unwrap_err();
        assert!(gone.to_string().contains("store closed"), "{gone}");
    }

    #[test]
    fn batches_are_atomic_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path()).unwrap();
            s.commit(vec![Op::put("a/1", &1u32), Op::put("a/2", &2u32), Op::put("b/1", &"x")])
                .unwrap();
            s.commit(vec![Op::del("a/1"), Op::put("a/3", &3u32)]).unwrap();
        }
        let s = SledStore::open(dir.path()).unwrap();
        let a: Vec<u32> = s.scan_json("a/").unwrap();
        assert_eq!(a, vec![2, 3]);
        assert_eq!(s.get_json::<String>("b/1").unwrap().as_deref(), Some("x"));
        let id1 = s.next_id().unwrap();
        assert!(s.next_id().unwrap() > id1);
    }

    #[test]
    fn ranges_go_both_ways_and_prefixes_delete_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(dir.path()).unwrap();
        let ops = (0..10_000u32).map(|i| Op::put(format!("h/b1/{i:05}"), &i)).collect();
        s.apply(ops).unwrap();
        s.apply(vec![Op::put("h/b10/00000", &0u32), Op::put("h/b2/00000", &0u32)])
            .unwrap();
        let newest = s.range("h/b1/", &prefix_end("h/b1/"), 3, true).unwrap();
        let keys: Vec<&str> = newest.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["h/b1/09999", "h/b1/09998", "h/b1/09997"]);
        let some = s.range("h/b1/00010", "h/b1/00013", 100, false).unwrap();
        assert_eq!(some.len(), 3);
        assert!(s.range("b", "a", 10, false).unwrap().is_empty());
        assert_eq!(s.delete_prefix("h/b1/").unwrap(), 10_000);
        let left: Vec<String> = s.scan("h/").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(left, ["h/b10/00000", "h/b2/00000"], "only that board's keys go");
        assert_eq!(prefix_end("a/"), "a0");
    }
}
