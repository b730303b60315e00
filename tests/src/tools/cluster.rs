//! Managers on one PostgreSQL database (issue #16), as child processes:
//! the first data directory holds the show-signing key, the others get a
//! copy of it (docs/cluster.md), and with more than one manager haproxy
//! on loopback spreads boards, officers and sources over them. Used by the
//! failover test and by `bangtin-load fleet|fanout --postgres --managers N`.

use super::manager::Server;
use crate::harness::haproxy::Haproxy;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The store a load tool runs against: sled in the data directory, or a
/// PostgreSQL database shared by `managers` managers.
#[derive(Debug, Clone, Default)]
pub struct StoreChoice {
    /// `postgres://…`; `None`: sled.
    pub url: Option<String>,
    /// How many managers serve it (2 or more: behind haproxy).
    pub managers: u16,
}

#[derive(Debug)]
pub struct Managers {
    /// `None` once killed.
    pub servers: Vec<Option<Server>>,
    pub dirs: Vec<PathBuf>,
    pub balancer: Option<Haproxy>,
}

impl Managers {
    /// Start `n` managers from `exe` on the database `url` (`None`: one
    /// manager on sled over `first`). `first` is the data directory the
    /// database was filled through (it holds the signing key); the other
    /// managers get `first.<i>` with a copy of the key.
    pub fn start(exe: &Path, url: Option<&str>, first: &Path, n: u16, env: &[(&str, String)]) -> Result<Managers> {
        let n = n.max(1);
        anyhow::ensure!(url.is_some() || n == 1, "several managers need a PostgreSQL store");
        let mut dirs = vec![first.to_path_buf()];
        for i in 1..n {
            let d = PathBuf::from(format!("{}.{i}", first.display()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d)?;
            let key = "show-signing.key";
            std::fs::copy(first.join(key), d.join(key)).with_context(|| format!("copy {key}"))?;
            dirs.push(d);
        }
        let mut env: Vec<(&str, String)> = env.to_vec();
        if let Some(u) = url {
            env.push(("BANGTIN_STORE", u.to_string()));
        }
        let servers = dirs
            .iter()
            .map(|d| Server::start(exe, d, &env).map(Some))
            .collect::<Result<Vec<_>>>()?;
        let balancer = (n > 1).then(|| {
            let urls: Vec<String> = servers.iter().flatten().map(|s| s.url.clone()).collect();
            Haproxy::start(&urls)
        });
        let m = Managers {
            servers,
            dirs,
            balancer,
        };
        m.wait_healthy(Duration::from_secs(30))?;
        Ok(m)
    }

    /// Where clients connect: the balancer, or the only manager.
    pub fn url(&self) -> String {
        match &self.balancer {
            Some(b) => b.url.clone(),
            None => self
                .servers
                .iter()
                .flatten()
                .next()
                .map(|s| s.url.clone())
                .unwrap_or_default(),
        }
    }

    /// The managers still running: their PIDs.
    pub fn pids(&self) -> Vec<u32> {
        self.servers.iter().flatten().map(Server::pid).collect()
    }

    /// `kill -9` manager `i`: no goodbye to its boards, its database
    /// sessions end when the server notices the closed sockets.
    pub fn kill9(&mut self, i: usize) {
        if let Some(s) = self.servers.get_mut(i).and_then(Option::take) {
            drop(s); // Server's Drop is SIGKILL, then wait.
        }
    }

    /// Every running manager answers its health check, and the balancer
    /// (if any) passes requests.
    pub fn wait_healthy(&self, within: Duration) -> Result<()> {
        let until = std::time::Instant::now() + within;
        let mut urls: Vec<String> = self.servers.iter().flatten().map(|s| s.url.clone()).collect();
        urls.push(self.url());
        for u in urls {
            loop {
                let ok = healthy(&u);
                if ok {
                    break;
                }
                anyhow::ensure!(
                    std::time::Instant::now() < until,
                    "{u}/api/v1/health không trả lời (no answer)"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }

    /// Stop every manager gracefully, then the balancer.
    pub fn stop(mut self, wait: Duration) -> Result<()> {
        for s in self.servers.iter_mut().filter_map(Option::take) {
            s.stop(wait)?;
        }
        for d in self.dirs.iter().skip(1) {
            let _ = std::fs::remove_dir_all(d);
        }
        Ok(())
    }
}

/// `GET url/api/v1/health` answered 200. On a thread and runtime of its
/// own: callers may or may not be inside one.
fn healthy(url: &str) -> bool {
    let url = format!("{url}/api/v1/health");
    std::thread::scope(|s| {
        s.spawn(|| {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return false;
            };
            rt.block_on(async {
                let c = reqwest::Client::builder().timeout(Duration::from_secs(2)).build();
                match c {
                    Ok(c) => c.get(&url).send().await.is_ok_and(|r| r.status().is_success()),
                    Err(_) => false,
                }
            })
        })
        .join()
        .unwrap_or(false)
    })
}
