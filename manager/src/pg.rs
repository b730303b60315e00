//! The PostgreSQL store: for managers that outgrow one machine, several of
//! them on one database (issue #16). sled stays the default for one.
//!
//! The same ordered key space as sled, in one table (`kv`, keys compared
//! byte by byte: `COLLATE "C"`), the append-only logs of
//! [`crate::journal`] in another (`journal`), ids from a sequence, and
//! locks every manager on the database respects (advisory locks). Every
//! [`Store::apply`] is one transaction, committed before it returns, so a
//! change one manager was told is saved is what every other reads next.
//!
//! The client is rust-postgres's blocking one, each connection on a
//! thread of its own: the [`Store`] trait is synchronous, and a request
//! handler's call waits on a channel (inside `block_in_place` on tokio's
//! workers), never on a runtime inside the runtime.

use crate::store::{ClusterLock, EachRecord, Op, PendingLock, Result, Store, StoreError, prefix_end, wait_reply};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

/// The schema, one step a version: a database at version `n` has had the
/// first `n` steps. A step is never changed once released; a change is a
/// new step.
const STEPS: &[&str] = &[
    // 1: keys, logs, ids, media.
    r#"
    CREATE TABLE kv (
        key text COLLATE "C" PRIMARY KEY,
        value bytea NOT NULL
    );
    CREATE SEQUENCE bangtin_ids;
    CREATE TABLE journal (
        stream text COLLATE "C" NOT NULL,
        bucket text COLLATE "C" NOT NULL,
        board text COLLATE "C" NOT NULL,
        pos bigint NOT NULL,
        body bytea NOT NULL,
        PRIMARY KEY (stream, bucket, board, pos)
    );
    CREATE INDEX journal_board ON journal (board);
    CREATE TABLE media_blob (
        sha text COLLATE "C" NOT NULL,
        n integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (sha, n)
    );
    CREATE TABLE media_file (
        sha text COLLATE "C" PRIMARY KEY,
        size bigint NOT NULL,
        chunks integer NOT NULL
    );
    "#,
    // 2: request-rate limits every manager counts against (GCRA: each
    // key's theoretical arrival time, seconds since the epoch).
    r#"
    CREATE TABLE rate_limit (
        key text COLLATE "C" PRIMARY KEY,
        tat double precision NOT NULL
    );
    "#,
];

/// The schema version this manager writes.
pub const SCHEMA_VERSION: i32 = STEPS.len() as i32;

/// The advisory lock a manager holds while it checks and migrates the
/// schema, so two starting at once do not both migrate.
const MIGRATE_LOCK: i64 = 0x6261_6e67_0000_0001;

/// Connections the pool opens unless the configuration says otherwise.
pub const DEFAULT_CONNECTIONS: usize = 8;

/// The address without its password, for messages and logs (with the
/// TLS mode a connection uses, which may be the default).
pub fn redact(url: &str) -> String {
    match crate::pgtls::parse(url) {
        Ok(t) => {
            let c = &t.cfg;
            let host = c
                .get_hosts()
                .iter()
                .map(|h| match h {
                    postgres::config::Host::Tcp(s) => s.clone(),
                    postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(",");
            let port = c.get_ports().first().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "postgres://{}@{host}{port}/{}?{}",
                c.get_user().unwrap_or(""),
                c.get_dbname().unwrap_or(""),
                t.describe()
            )
        }
        Err(_) => "postgres://…".to_string(),
    }
}

/// Whether a store address names PostgreSQL.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn connect(url: &str) -> std::result::Result<Client, String> {
    connect_with(url, false)
}

/// `lazy`: commits on this connection do not wait for the disk
/// (`synchronous_commit = off`, set when the session starts). They are
/// seen by every session at once and lost only if the database server
/// itself crashes within a fraction of a second — never half applied —
/// and [`Store::flush`] makes them durable: what sled's writes are until
/// flushed, and how the manager already treats them (whatever it
/// acknowledges as saved, it flushes first). The pool's connections are
/// lazy; locks, the leader and notifications are not.
fn connect_with(url: &str, lazy: bool) -> std::result::Result<Client, String> {
    let target = crate::pgtls::parse(url).map_err(|e| {
        format!(
            "địa chỉ PostgreSQL không hợp lệ (bad PostgreSQL address) {}: {e}",
            redact(url)
        )
    })?;
    let mut cfg = target.cfg.clone();
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(std::time::Duration::from_secs(10));
    }
    cfg.application_name("bangtin-manager");
    if lazy {
        let options = cfg.get_options().map(str::to_string).unwrap_or_default();
        cfg.options(format!("{options} -c synchronous_commit=off").trim_start());
    }
    let connected = match crate::pgtls::connector(&target) {
        Err(e) => {
            return Err(format!(
                "không kết nối được PostgreSQL {} (cannot connect to PostgreSQL): {e}",
                redact(url)
            ));
        }
        Ok(None) => cfg.connect(NoTls),
        Ok(Some(tls)) => cfg.connect(tls),
    }
    // With its causes: "error performing TLS handshake" alone does not
    // say which certificate check failed.
    .map_err(|e| format!("{:#}", anyhow::Error::new(e)));
    connected.map_err(|e| {
        format!(
            "không kết nối được PostgreSQL {} (cannot connect to PostgreSQL): {e}{}",
            redact(url),
            crate::pgtls::hint(&target, &e)
        )
    })
}

fn pe(e: postgres::Error) -> StoreError {
    // With its cause: the server's own message (a bare "db error" says
    // nothing).
    StoreError::Backend(format!("PostgreSQL: {:#}", anyhow::Error::new(e)))
}

type Job = Box<dyn FnOnce(std::result::Result<&mut Client, &str>) + Send>;

/// Connections, each on its own thread, taking jobs from one queue.
#[derive(Debug, Clone)]
pub struct Pool {
    tx: Arc<Mutex<mpsc::Sender<Job>>>,
    url: Arc<str>,
}

impl Pool {
    /// Start `size` connection threads; one connects now, so a wrong
    /// address or a database that is down fails here. (Connections are
    /// made on those threads: the client runs a runtime of its own, which
    /// may not start on a thread of another.)
    pub fn open(url: &str, size: usize) -> Result<Pool> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let url: Arc<str> = url.into();
        for i in 0..size.max(1) {
            let rx = rx.clone();
            let url = url.clone();
            let mut client: Option<Client> = None;
            std::thread::Builder::new()
                .name(format!("bangtin-pg-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock().unwrap_or_else(PoisonError::into_inner).recv() {
                            Ok(j) => j,
                            Err(_) => return,
                        };
                        if client.as_ref().is_none_or(Client::is_closed) {
                            client = None;
                            match connect_with(&url, true) {
                                Ok(c) => client = Some(c),
                                Err(e) => {
                                    job(Err(&e));
                                    continue;
                                }
                            }
                        }
                        job(Ok(client.as_mut().expect("connected above")));
                    }
                })
                .map_err(|e| StoreError::Backend(e.to_string()))?;
        }
        let pool = Pool {
            tx: Arc::new(Mutex::new(tx)),
            url,
        };
        pool.run(|_| Ok(()))?;
        Ok(pool)
    }

    /// The address the pool connects to (with its password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Run `f` on a connection and wait for its result.
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> std::result::Result<T, postgres::Error> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |c| {
            let r = match c {
                Ok(c) => f(c).map_err(pe),
                Err(e) => Err(StoreError::Backend(e.to_string())),
            };
            let _ = tx.send(r);
        });
        self.tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job)
            .map_err(|_| StoreError::Backend("PostgreSQL: kết nối đã đóng (pool closed)".into()))?;
        wait_reply(&rx).unwrap_or_else(|| {
            Err(StoreError::Backend(
                "PostgreSQL: kết nối bị ngắt (connection thread gone)".into(),
            ))
        })
    }
}

/// Check the schema and bring it up to [`SCHEMA_VERSION`], under a lock
/// every manager takes for this. A database of a newer manager is refused
/// untouched.
fn migrate(client: &mut Client, url: &str) -> Result<i32> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK])
        .map_err(pe)?;
    let r = (|| -> Result<i32> {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS bangtin_schema (version integer NOT NULL, written_by text NOT NULL)",
            )
            .map_err(pe)?;
        let found: i32 = client
            .query_opt("SELECT version FROM bangtin_schema", &[])
            .map_err(pe)?
            .map_or(0, |r| r.get(0));
        if found > SCHEMA_VERSION {
            return Err(StoreError::Backend(format!(
                "cơ sở dữ liệu {} ở phiên bản lược đồ {found}, mới hơn phiên bản {SCHEMA_VERSION} mà bangtin-manager {} hiểu: \
                 hãy cài bản bangtin-manager mới hơn, không sửa gì trong cơ sở dữ liệu \
                 (the database's schema is newer than this manager)",
                redact(url),
                env!("CARGO_PKG_VERSION")
            )));
        }
        for (i, step) in STEPS.iter().enumerate().skip(found as usize) {
            let v = i as i32 + 1;
            let mut tx = client.transaction().map_err(pe)?;
            tx.batch_execute(step).map_err(pe)?;
            tx.execute("DELETE FROM bangtin_schema", &[]).map_err(pe)?;
            tx.execute(
                "INSERT INTO bangtin_schema (version, written_by) VALUES ($1, $2)",
                &[&v, &concat!("bangtin-manager ", env!("CARGO_PKG_VERSION"))],
            )
            .map_err(pe)?;
            tx.commit().map_err(pe)?;
            tracing::info!("PostgreSQL: lược đồ lên phiên bản {v} (schema migrated to version {v})");
        }
        Ok(found)
    })();
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK]);
    r
}

/// The manager's store in PostgreSQL.
#[derive(Debug)]
pub struct PgStore {
    pool: Pool,
    journal: Arc<crate::journal::Journal>,
    locks: Locks,
}

impl PgStore {
    /// Connect, check and migrate the schema. `connections`: the pool's
    /// size (locks take one more each, when first used).
    pub fn open(url: &str, connections: usize) -> Result<PgStore> {
        if let Ok(t) = crate::pgtls::parse(url) {
            crate::pgtls::warn_if_weak(&t, &redact(url));
        }
        let pool = Pool::open(url, connections)?;
        let u = url.to_string();
        pool.run(move |c| Ok(migrate(c, &u)))??;
        Ok(PgStore {
            journal: Arc::new(crate::journal::Journal::with_logs(Box::new(PgLog {
                pool: pool.clone(),
            }))),
            locks: Locks::new(url),
            pool,
        })
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i32> {
        self.pool
            .run(|c| Ok(c.query_one("SELECT version FROM bangtin_schema", &[])?.get(0)))
    }

    /// Whether the key space is empty (a new database).
    pub fn is_empty(&self) -> Result<bool> {
        self.pool
            .run(|c| Ok(c.query_opt("SELECT 1 FROM kv LIMIT 1", &[])?.is_none()))
    }

    /// Store `value` at `key` unless a value is there already; the value
    /// there after (compare-and-set across managers, in one statement).
    pub fn put_if_absent(&self, key: &str, value: Vec<u8>) -> Result<Vec<u8>> {
        let k = key.to_string();
        self.pool.run(move |c| {
            c.execute(
                "INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&k, &value],
            )?;
            Ok(c.query_one("SELECT value FROM kv WHERE key = $1", &[&k])?.get(0))
        })
    }

    /// One request of `key` against a limit of one every `interval_s`
    /// seconds with bursts of `burst`, counted by every manager on the
    /// database (GCRA, one statement, the database's clock): `None` when
    /// allowed, else the seconds until the next would be.
    pub fn rate(&self, key: &str, interval_s: f64, burst: u32) -> Result<Option<f64>> {
        let k = key.to_string();
        let tolerance = interval_s * f64::from(burst.max(1) - 1);
        self.pool.run(move |c| {
            let row = c.query_one(
                "WITH now AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS t), \
                 up AS ( \
                   INSERT INTO rate_limit AS r (key, tat) SELECT $1, t + $2 FROM now \
                   ON CONFLICT (key) DO UPDATE SET tat = greatest(r.tat, (SELECT t FROM now)) + $2 \
                   WHERE greatest(r.tat, (SELECT t FROM now)) - (SELECT t FROM now) <= $3 \
                   RETURNING 1) \
                 SELECT (SELECT count(*) FROM up), \
                        (SELECT r.tat FROM rate_limit r WHERE r.key = $1) - (SELECT t FROM now)",
                &[&k, &interval_s, &tolerance],
            )?;
            let allowed: i64 = row.get(0);
            let ahead: Option<f64> = row.get(1);
            Ok((allowed == 0).then(|| (ahead.unwrap_or(0.0) - tolerance).max(0.0)))
        })
    }

    /// Forget limits idle for an hour (their counts are back to a full burst).
    pub fn shrink_rates(&self) -> Result<u64> {
        self.pool.run(|c| {
            c.execute(
                "DELETE FROM rate_limit WHERE tat < extract(epoch FROM clock_timestamp()) - 3600",
                &[],
            )
        })
    }

    /// Set the id sequence so the next id is at least `next`.
    pub fn raise_ids(&self, next: u64) -> Result<()> {
        let next = i64::try_from(next).map_err(|_| StoreError::Backend("id quá lớn (id too large)".into()))?;
        self.pool.run(move |c| {
            c.execute(
                "SELECT setval('bangtin_ids', greatest($1, (SELECT last_value FROM bangtin_ids)), true)",
                &[&next],
            )?;
            Ok(())
        })
    }
}

/// Bytes of one row of `media_blob`.
pub const BLOB_CHUNK: usize = 1 << 20;

/// Fill `buf` from `r` as far as it goes; the bytes read (fewer only at
/// the end).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn io_err(what: &str, path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Backend(format!("{what} {}: {e}", path.display()))
}

/// Files every manager on the database serves: media by their SHA-256,
/// thumbnails (`thumb/<sha>`) and boards' screenshots
/// (`screen/<board>/<file>`), in chunks of [`BLOB_CHUNK`] bytes
/// (`media_blob`). A blob is listed (`media_file`) in the transaction
/// that writes its last chunk, so one half written, by a manager that
/// died meanwhile, is never seen.
impl PgStore {
    /// Store the file at `path` as blob `name`, read a chunk at a time;
    /// nothing is written when the blob is there already (names are
    /// content: the same name is the same bytes). Its size.
    pub fn put_blob(&self, name: &str, path: &Path) -> Result<u64> {
        let (name, path) = (name.to_string(), path.to_path_buf());
        let p2 = path.clone();
        self.pool
            .run(move |c| {
                if let Some(r) = c.query_opt("SELECT size FROM media_file WHERE sha = $1", &[&name])? {
                    return Ok(Ok(r.get::<_, i64>(0) as u64));
                }
                let mut f = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) => return Ok(Err(e)),
                };
                let mut tx = c.transaction()?;
                let mut buf = vec![0u8; BLOB_CHUNK];
                let (mut n, mut size) = (0i32, 0i64);
                loop {
                    let got = match read_full(&mut f, &mut buf) {
                        Ok(g) => g,
                        Err(e) => return Ok(Err(e)),
                    };
                    if got == 0 {
                        break;
                    }
                    // Another manager storing the same blob at once:
                    // this waits for its transaction, then adds nothing.
                    tx.execute(
                        "INSERT INTO media_blob (sha, n, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        &[&name, &n, &&buf[..got]],
                    )?;
                    n += 1;
                    size += got as i64;
                    if got < BLOB_CHUNK {
                        break;
                    }
                }
                tx.execute(
                    "INSERT INTO media_file (sha, size, chunks) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&name, &size, &n],
                )?;
                tx.commit()?;
                Ok(Ok(size as u64))
            })?
            .map_err(|e| io_err("không đọc được (cannot read)", &p2, &e))
    }

    /// Whether blob `name` is stored, whole.
    pub fn has_blob(&self, name: &str) -> Result<bool> {
        let name = name.to_string();
        self.pool.run(move |c| {
            Ok(c.query_opt("SELECT 1 FROM media_file WHERE sha = $1", &[&name])?
                .is_some())
        })
    }

    /// Write blob `name` to `dest` (created or truncated), a chunk at a
    /// time from one snapshot of the database: false, and `dest` left
    /// to the caller to remove, when there is no such blob.
    pub fn fetch_blob(&self, name: &str, dest: &Path) -> Result<bool> {
        let (name, dest) = (name.to_string(), dest.to_path_buf());
        let d2 = dest.clone();
        self.pool
            .run(move |c| {
                // One snapshot: a blob deleted meanwhile is still read whole.
                let mut tx = c
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?;
                let Some(row) = tx.query_opt("SELECT size, chunks FROM media_file WHERE sha = $1", &[&name])? else {
                    return Ok(Ok(false));
                };
                let (size, chunks): (i64, i32) = (row.get(0), row.get(1));
                let mut f = match std::fs::File::create(&dest) {
                    Ok(f) => f,
                    Err(e) => return Ok(Err(e)),
                };
                let mut written = 0i64;
                for n in 0..chunks {
                    let Some(r) =
                        tx.query_opt("SELECT data FROM media_blob WHERE sha = $1 AND n = $2", &[&name, &n])?
                    else {
                        return Ok(Err(std::io::Error::other(format!(
                            "thiếu phần {n} (chunk {n} missing)"
                        ))));
                    };
                    let data: &[u8] = r.get(0);
                    if let Err(e) = f.write_all(data) {
                        return Ok(Err(e));
                    }
                    written += data.len() as i64;
                }
                tx.commit()?;
                if written != size {
                    return Ok(Err(std::io::Error::other(format!(
                        "{written} byte thay vì {size} (size differs)"
                    ))));
                }
                Ok(f.sync_all().map(|()| true))
            })?
            .map_err(|e| io_err("không ghi được (cannot write)", &d2, &e))
    }

    /// Remove blob `name`; one not there is fine.
    pub fn delete_blob(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.pool.run(move |c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM media_file WHERE sha = $1", &[&name])?;
            tx.execute("DELETE FROM media_blob WHERE sha = $1", &[&name])?;
            tx.commit()
        })
    }

    /// Remove every blob whose name starts with `prefix`.
    pub fn delete_blobs(&self, prefix: &str) -> Result<()> {
        let (start, end) = (prefix.to_string(), prefix_end(prefix));
        self.pool.run(move |c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM media_file WHERE sha >= $1 AND sha < $2", &[&start, &end])?;
            tx.execute("DELETE FROM media_blob WHERE sha >= $1 AND sha < $2", &[&start, &end])?;
            tx.commit()
        })
    }

    /// The whole blobs whose names start with `prefix`, with their sizes,
    /// by name.
    pub fn blobs(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let (start, end) = (prefix.to_string(), prefix_end(prefix));
        self.pool.run(move |c| {
            Ok(c.query(
                "SELECT sha, size FROM media_file WHERE sha >= $1 AND sha < $2 ORDER BY sha",
                &[&start, &end],
            )?
            .into_iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
            .collect())
        })
    }
}

fn rows(rs: Vec<postgres::Row>) -> Vec<(String, Vec<u8>)> {
    rs.into_iter().map(|r| (r.get(0), r.get(1))).collect()
}

impl Store for PgStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = key.to_string();
        self.pool.run(move |c| {
            Ok(c.query_opt("SELECT value FROM kv WHERE key = $1", &[&key])?
                .map(|r| r.get(0)))
        })
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let (start, end) = (prefix.to_string(), prefix_end(prefix));
        self.pool.run(move |c| {
            Ok(rows(c.query(
                "SELECT key, value FROM kv WHERE key >= $1 AND key < $2 ORDER BY key",
                &[&start, &end],
            )?))
        })
    }

    fn apply(&self, ops: Vec<Op>) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        // The last change of each key is what the batch leaves.
        let mut last: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Put(k, v) => last.insert(k, Some(v)),
                Op::Del(k) => last.insert(k, None),
            };
        }
        let (mut put_k, mut put_v, mut del) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in last {
            match v {
                Some(v) => {
                    put_k.push(k);
                    put_v.push(v);
                }
                None => del.push(k),
            }
        }
        self.pool.run(move |c| {
            let mut tx = c.transaction()?;
            if !del.is_empty() {
                tx.execute("DELETE FROM kv WHERE key = ANY($1)", &[&del])?;
            }
            if !put_k.is_empty() {
                tx.execute(
                    "INSERT INTO kv (key, value) SELECT * FROM unnest($1::text[], $2::bytea[]) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&put_k, &put_v],
                )?;
            }
            tx.commit()
        })
    }

    fn flush(&self) -> Result<()> {
        // Every apply and append is committed (seen by every manager) before
        // it returns, without waiting for the disk (`connect_with`); a
        // commit that waits writes the log up to itself, which holds them
        // all, whichever connection made them.
        self.pool
            .run(|c| c.batch_execute("BEGIN; SET LOCAL synchronous_commit = on; SELECT txid_current(); COMMIT"))
    }

    fn next_id(&self) -> Result<u64> {
        self.pool.run(|c| {
            let v: i64 = c.query_one("SELECT nextval('bangtin_ids')", &[])?.get(0);
            Ok(v as u64)
        })
    }

    fn range(&self, start: &str, end: &str, limit: usize, reverse: bool) -> Result<Vec<(String, Vec<u8>)>> {
        if start >= end || limit == 0 {
            return Ok(Vec::new());
        }
        let (start, end, limit) = (start.to_string(), end.to_string(), limit.min(i64::MAX as usize) as i64);
        let sql = if reverse {
            "SELECT key, value FROM kv WHERE key >= $1 AND key < $2 ORDER BY key DESC LIMIT $3"
        } else {
            "SELECT key, value FROM kv WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3"
        };
        self.pool.run(move |c| Ok(rows(c.query(sql, &[&start, &end, &limit])?)))
    }

    fn journal(&self) -> &crate::journal::Journal {
        &self.journal
    }

    fn each(&self, f: EachRecord<'_>) -> Result<()> {
        let mut after: Option<String> = None;
        loop {
            let from = after.clone();
            let page = self.pool.run(move |c| {
                Ok(rows(match &from {
                    None => c.query("SELECT key, value FROM kv ORDER BY key LIMIT 1000", &[])?,
                    Some(k) => c.query("SELECT key, value FROM kv WHERE key > $1 ORDER BY key LIMIT 1000", &[k])?,
                }))
            })?;
            let Some((k, _)) = page.last() else {
                return Ok(());
            };
            after = Some(k.clone());
            for (k, v) in &page {
                f(k.as_bytes(), v).map_err(|e| StoreError::Backend(e.to_string()))?;
            }
        }
    }

    fn cluster_lock(&self, name: &'static str) -> Option<PendingLock> {
        Some(self.locks.lock(name))
    }

    fn shared_by_processes(&self) -> bool {
        true
    }
}

/// The logs of [`crate::journal`] in the `journal` table: a log is the
/// rows of one (stream, bucket, board), numbered 1, 2, … in the order
/// their appends committed, and a read's position is the last number read.
#[derive(Debug)]
pub struct PgLog {
    pool: Pool,
}

/// Every distinct value of a key column, walking the primary key's index
/// one value at a time (PostgreSQL 15 has no skip scan; `DISTINCT` would
/// read every row of a province's logs).
const BUCKETS: &str = "WITH RECURSIVE b AS (
        (SELECT bucket FROM journal WHERE stream = $1 ORDER BY bucket LIMIT 1)
        UNION ALL
        SELECT (SELECT bucket FROM journal WHERE stream = $1 AND bucket > b.bucket ORDER BY bucket LIMIT 1)
        FROM b WHERE b.bucket IS NOT NULL)
    SELECT bucket FROM b WHERE bucket IS NOT NULL";
const BOARDS: &str = "WITH RECURSIVE b AS (
        (SELECT board FROM journal WHERE stream = $1 AND bucket = $2 ORDER BY board LIMIT 1)
        UNION ALL
        SELECT (SELECT board FROM journal WHERE stream = $1 AND bucket = $2 AND board > b.board ORDER BY board LIMIT 1)
        FROM b WHERE b.board IS NOT NULL)
    SELECT board FROM b WHERE board IS NOT NULL";

fn je(e: StoreError) -> crate::journal::JournalError {
    crate::journal::JournalError {
        path: "postgres:journal".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

impl crate::journal::Logs for PgLog {
    fn append(&self, stream: &str, bucket: &str, board: &str, records: &[Vec<u8>]) -> crate::journal::Result<()> {
        let (s, bu, bo, recs) = (
            stream.to_string(),
            bucket.to_string(),
            board.to_string(),
            records.to_vec(),
        );
        self.pool
            .run(move |c| {
                let mut tx = c.transaction()?;
                // One append to a log at a time, across managers: numbers
                // follow the order of commits, so a reader that has read
                // up to n never misses a record numbered below n later.
                let lock = format!("{s}/{bu}/{bo}");
                tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&lock])?;
                let last: i64 = tx
                    .query_one(
                        "SELECT coalesce(max(pos), 0) FROM journal WHERE stream = $1 AND bucket = $2 AND board = $3",
                        &[&s, &bu, &bo],
                    )?
                    .get(0);
                tx.execute(
                    "INSERT INTO journal (stream, bucket, board, pos, body) \
                     SELECT $1, $2, $3, $4 + n, body FROM unnest($5::bytea[]) WITH ORDINALITY AS t(body, n)",
                    &[&s, &bu, &bo, &last, &recs],
                )?;
                tx.commit()
            })
            .map_err(je)
    }

    fn read(
        &self,
        stream: &str,
        bucket: &str,
        board: &str,
        from: u64,
    ) -> crate::journal::Result<crate::journal::Records> {
        let (s, bu, bo, f) = (stream.to_string(), bucket.to_string(), board.to_string(), from as i64);
        let got: Vec<(i64, Vec<u8>)> = self
            .pool
            .run(move |c| {
                Ok(c.query(
                    "SELECT pos, body FROM journal WHERE stream = $1 AND bucket = $2 AND board = $3 AND pos > $4 ORDER BY pos",
                    &[&s, &bu, &bo, &f],
                )?
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect())
            })
            .map_err(je)?;
        let end = got.last().map_or(from, |(p, _)| *p as u64);
        Ok(crate::journal::Records {
            records: got.into_iter().map(|(_, b)| b).collect(),
            end,
        })
    }

    fn buckets(&self, stream: &str) -> crate::journal::Result<Vec<String>> {
        let s = stream.to_string();
        self.pool
            .run(move |c| Ok(c.query(BUCKETS, &[&s])?.into_iter().map(|r| r.get(0)).collect()))
            .map_err(je)
    }

    fn boards(&self, stream: &str, bucket: &str) -> crate::journal::Result<Vec<String>> {
        let (s, b) = (stream.to_string(), bucket.to_string());
        self.pool
            .run(move |c| Ok(c.query(BOARDS, &[&s, &b])?.into_iter().map(|r| r.get(0)).collect()))
            .map_err(je)
    }

    fn remove(&self, stream: &str, bucket: &str, board: &str) -> crate::journal::Result<()> {
        let (s, bu, bo) = (stream.to_string(), bucket.to_string(), board.to_string());
        self.pool
            .run(move |c| {
                c.execute(
                    "DELETE FROM journal WHERE stream = $1 AND bucket = $2 AND board = $3",
                    &[&s, &bu, &bo],
                )?;
                Ok(())
            })
            .map_err(je)
    }

    fn drop_bucket(&self, stream: &str, bucket: &str) -> crate::journal::Result<()> {
        let (s, bu) = (stream.to_string(), bucket.to_string());
        self.pool
            .run(move |c| {
                c.execute("DELETE FROM journal WHERE stream = $1 AND bucket = $2", &[&s, &bu])?;
                Ok(())
            })
            .map_err(je)
    }

    fn forget(&self, board: &str) -> crate::journal::Result<()> {
        let b = board.to_string();
        self.pool
            .run(move |c| {
                c.execute("DELETE FROM journal WHERE board = $1", &[&b])?;
                Ok(())
            })
            .map_err(je)
    }

    /// Bytes the logs' table and its index take.
    fn size(&self) -> u64 {
        self.pool
            .run(|c| {
                let v: i64 = c.query_one("SELECT pg_total_relation_size('journal')", &[])?.get(0);
                Ok(v.max(0) as u64)
            })
            .unwrap_or(0)
    }
}

#[derive(Debug)]
enum Msg {
    Lock(i64, mpsc::SyncSender<Result<ClusterLock>>),
    Unlock(i64),
}

/// Locks shared by every manager on the database: PostgreSQL's
/// session-level advisory locks, one connection (and thread) per lock
/// name. A process takes its own lock of the same name first, so one
/// connection a name is enough and a waiting manager holds no more.
/// If that connection breaks, PostgreSQL ends its session and releases
/// the lock: a manager killed while holding one never blocks the others.
#[derive(Debug)]
struct Locks {
    url: Arc<str>,
    threads: Mutex<HashMap<&'static str, mpsc::Sender<Msg>>>,
}

/// A lock name's 64-bit key: FNV-1a of `bangtin:` and the name.
fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"bangtin:".iter().chain(name.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

impl Locks {
    fn new(url: &str) -> Locks {
        Locks {
            url: url.into(),
            threads: Mutex::default(),
        }
    }

    fn lock(&self, name: &'static str) -> PendingLock {
        let (tx, rx) = mpsc::sync_channel(1);
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = threads
            .entry(name)
            .or_insert_with(|| spawn_lock_thread(name, self.url.clone()));
        if sender.send(Msg::Lock(lock_key(name), tx.clone())).is_err() {
            // The thread ended (it never does but by a panic): start again.
            let fresh = spawn_lock_thread(name, self.url.clone());
            let _ = fresh.send(Msg::Lock(lock_key(name), tx));
            *sender = fresh;
        }
        PendingLock::new(rx)
    }
}

fn spawn_lock_thread(name: &'static str, url: Arc<str>) -> mpsc::Sender<Msg> {
    let (tx, rx) = mpsc::channel::<Msg>();
    let me = tx.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("bangtin-lock-{name}"))
        .spawn(move || {
            let mut client: Option<Client> = None;
            while let Ok(msg) = rx.recv() {
                match msg {
                    Msg::Lock(key, reply) => {
                        if client.as_ref().is_none_or(Client::is_closed) {
                            client = match connect(&url) {
                                Ok(c) => Some(c),
                                Err(e) => {
                                    let _ = reply.send(Err(StoreError::Backend(e)));
                                    continue;
                                }
                            };
                        }
                        let c = client.as_mut().expect("connected above");
                        match c.execute("SELECT pg_advisory_lock($1)", &[&key]) {
                            Ok(_) => {
                                let me = me.clone();
                                // Dropped unread when nobody waits any more
                                // (the request went away): given back at once.
                                let _ = reply.send(Ok(ClusterLock::new(move || {
                                    let _ = me.send(Msg::Unlock(key));
                                })));
                            }
                            Err(e) => {
                                let _ = reply.send(Err(pe(e)));
                            }
                        }
                    }
                    Msg::Unlock(key) => {
                        if let Some(c) = client.as_mut() {
                            match c.query_one("SELECT pg_advisory_unlock($1)", &[&key]) {
                                Ok(r) if r.get::<_, bool>(0) => {}
                                Ok(_) => tracing::warn!(
                                    "khóa {name} đã mất trước khi trả (lock {name} was lost: its session ended)"
                                ),
                                Err(e) => tracing::warn!("trả khóa {name} (unlocking {name}): {e}"),
                            }
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("không tạo được luồng khóa {name}: {e}");
    }
    tx
}

/// The advisory lock the manager running the cluster's background work
/// holds (loudspeakers, officers' alerts, feeds, reports): one manager at
/// a time, and another within seconds when it dies.
const LEADER_LOCK: i64 = 0x6261_6e67_0000_0002;

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The channel managers tell each other on (pushes to boards' streams).
pub const CHANNEL: &str = "bangtin_push";

/// Longest NOTIFY payload sent (PostgreSQL's limit is 8000 bytes).
const MAX_PAYLOAD: usize = 7_000;

/// A manager among others on one database: whether it leads, and the
/// messages it sends and receives.
#[derive(Debug)]
pub struct Cluster {
    leader: tokio::sync::watch::Receiver<bool>,
    relay: mpsc::Sender<String>,
    /// Set when dropped: the threads end (their connections close, and
    /// with the leader's, its lock).
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// This manager's id in messages (its own come back to it).
    pub me: String,
}

impl Cluster {
    /// Start the threads: one trying to lead, one sending messages, one
    /// listening and calling `heard` with each message of another manager.
    pub fn start(url: &str, heard: impl Fn(&str) + Send + 'static) -> Cluster {
        use rand::Rng;
        let me = format!("{:016x}", rand::thread_rng().r#gen::<u64>());
        let (lead_tx, leader) = tokio::sync::watch::channel(false);
        let u: Arc<str> = url.into();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = {
            let stop = stop.clone();
            move || stop.load(std::sync::atomic::Ordering::SeqCst)
        };
        let (stopped1, stopped3) = (stopped.clone(), stopped);
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(f) {
                tracing::error!("không tạo được luồng {name}: {e}");
            }
        };
        let url1 = u.clone();
        spawn(
            "bangtin-leader",
            Box::new(move || {
                let mut client: Option<Client> = None;
                loop {
                    if stopped1() {
                        return;
                    }
                    let leading = *lead_tx.borrow();
                    let ok = (|| -> std::result::Result<bool, String> {
                        if client.as_ref().is_none_or(Client::is_closed) {
                            client = Some(connect(&url1)?);
                        }
                        let c = client.as_mut().expect("connected above");
                        if leading {
                            // Still the same session, so still holding it.
                            c.simple_query("SELECT 1").map_err(|e| e.to_string())?;
                            Ok(true)
                        } else {
                            let r = c
                                .query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK])
                                .map_err(|e| e.to_string())?;
                            Ok(r.get(0))
                        }
                    })();
                    let now = match ok {
                        Ok(v) => v,
                        Err(e) => {
                            if leading {
                                tracing::warn!(
                                    "mất kết nối khi đang điều phối cụm (lost the leader's connection): {e}"
                                );
                            }
                            client = None;
                            false
                        }
                    };
                    if now != leading {
                        tracing::info!(
                            "{} (this manager {} the cluster's background work)",
                            if now {
                                "máy này điều phối công việc nền của cụm"
                            } else {
                                "máy này thôi điều phối"
                            },
                            if now { "now runs" } else { "no longer runs" }
                        );
                        lead_tx.send_replace(now);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(if now { 1000 } else { 500 }));
                }
            }),
        );
        let (relay_tx, relay_rx) = mpsc::channel::<String>();
        let url2 = u.clone();
        spawn(
            "bangtin-notify",
            Box::new(move || {
                let mut client: Option<Client> = None;
                while let Ok(first) = relay_rx.recv() {
                    // What waits goes in as few notifications as fit.
                    let mut pending = vec![first];
                    pending.extend(relay_rx.try_iter());
                    let mut batches: Vec<String> = Vec::new();
                    let mut cur = String::new();
                    for m in pending {
                        if !cur.is_empty() && cur.len() + m.len() + 1 > MAX_PAYLOAD {
                            batches.push(std::mem::take(&mut cur));
                        }
                        if !cur.is_empty() {
                            cur.push('\n');
                        }
                        cur.push_str(&m);
                    }
                    batches.push(cur);
                    for attempt in 0..2 {
                        if client.as_ref().is_none_or(Client::is_closed) {
                            client = connect(&url2).ok();
                        }
                        let Some(c) = client.as_mut() else { continue };
                        let sent = (|| -> std::result::Result<(), postgres::Error> {
                            let mut tx = c.transaction()?;
                            for b in &batches {
                                tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, b])?;
                            }
                            tx.commit()
                        })();
                        match sent {
                            Ok(()) => break,
                            Err(e) => {
                                client = None;
                                if attempt == 1 {
                                    tracing::warn!(
                                        "không báo được các máy quản lý khác (cannot notify the other managers): {e}; \
                                         bảng tin nhận ở nhịp sau (boards learn at their next heartbeat)"
                                    );
                                }
                            }
                        }
                    }
                }
            }),
        );
        let url3 = u;
        spawn(
            "bangtin-listen",
            Box::new(move || {
                while !stopped3() {
                    let mut c = match connect(&url3) {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::warn!("{e}");
                            std::thread::sleep(std::time::Duration::from_secs(1));
                            continue;
                        }
                    };
                    if let Err(e) = c.batch_execute(&format!("LISTEN {CHANNEL}")) {
                        tracing::warn!("LISTEN {CHANNEL}: {e}");
                        continue;
                    }
                    loop {
                        // Until a quiet half second or the session's end.
                        let r = {
                            let mut n = c.notifications();
                            let mut it = n.timeout_iter(std::time::Duration::from_millis(500));
                            loop {
                                match it.next() {
                                    Ok(Some(note)) => {
                                        for line in note.payload().split('\n') {
                                            heard(line);
                                        }
                                    }
                                    Ok(None) => break Ok(()),
                                    Err(e) => break Err(e),
                                }
                            }
                        };
                        if stopped3() {
                            return;
                        }
                        if let Err(e) = r {
                            tracing::warn!("nghe {CHANNEL} (listening): {e}");
                            break;
                        }
                        if c.is_closed() {
                            break;
                        }
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }),
        );
        Cluster {
            leader,
            relay: relay_tx,
            stop,
            me,
        }
    }

    /// Whether this manager runs the cluster's background work, and its
    /// changes.
    pub fn leader(&self) -> tokio::sync::watch::Receiver<bool> {
        self.leader.clone()
    }

    /// Send `message` (one line, no newline) to every manager, this one
    /// included.
    pub fn tell(&self, message: String) {
        let _ = self.relay.send(message);
    }

    /// [`Cluster::tell`], as a function to hand over.
    pub fn teller(&self) -> impl Fn(String) + Send + Sync + 'static {
        let tx = self.relay.clone();
        move |m| {
            let _ = tx.send(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_their_password_in_messages() {
        assert_eq!(
            redact("postgres://bangtin:s3cret@127.0.0.1:5433/bangtin"),
            "postgres://bangtin@127.0.0.1:5433/bangtin?sslmode=disable"
        );
        assert!(!redact("postgresql://a:pw@h/db").contains("pw"));
        assert_eq!(
            redact("postgres://a:pw@db.tinh.example/db?sslrootcert=/etc/ca.pem"),
            "postgres://a@db.tinh.example:5432/db?sslmode=verify-full"
        );
        let Err(e) = connect("postgres://u:hunter2@127.0.0.1:1/db") else {
            panic!("nothing listens on port 1");
        };
        assert!(e.contains("cannot connect to PostgreSQL"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        assert!(is_postgres("postgresql://x") && !is_postgres("/var/lib/bangtin"));
    }

    #[test]
    fn lock_names_get_distinct_keys() {
        let names = [
            "writes", "ingest", "feeds", "playlog", "screens", "nonces", "refresh", "fold",
        ];
        let keys: std::collections::HashSet<i64> = names.iter().map(|n| lock_key(n)).collect();
        assert_eq!(keys.len(), names.len());
        assert!(!keys.contains(&MIGRATE_LOCK));
    }
}
