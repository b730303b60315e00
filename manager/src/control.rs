//! The running manager's local control socket, `DATA/manager.sock`: what
//! a program on the manager's own machine may ask of it without a
//! password — today one thing, a backup (`POST /backups?keep=N`), which
//! `bangtin-manager backup` and the daily `bangtin-manager-backup.timer`
//! ask for.
//!
//! sled lets one process open the store, so a backup must be taken by the
//! running manager; over HTTP that needs an administrator's API token,
//! which a timer would have to keep in a file. The socket needs none: it
//! is HTTP/1.1 over a Unix socket, mode 0600 in the data directory (0750,
//! the manager's user), and every connection's peer is checked by its
//! kernel credentials (`SO_PEERCRED`) — the manager's own user or root,
//! nobody else. A backup asked for here is audited as `local:uid=N`.
//! Nothing on the network can reach it.

use crate::backup::BackupReport;
use crate::error::{ApiResult, AppError, AppJson, AppQuery};
use crate::state::AppState;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::serve::IncomingStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::UnixListener;

/// The socket's name in the data directory.
pub const SOCKET: &str = "manager.sock";

/// Where the manager serving `data_dir` listens.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// Who is at the other end of a connection (from the kernel).
#[derive(Debug, Clone, Copy)]
struct Peer {
    uid: Option<u32>,
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, UnixListener>> for Peer {
    fn connect_info(s: IncomingStream<'_, UnixListener>) -> Self {
        Peer {
            uid: s.io().peer_cred().ok().map(|c| c.uid()),
        }
    }
}

/// The manager's own user or root may ask; anyone else (who could only
/// connect if the socket's mode were loosened) is refused.
fn allowed(peer: Peer) -> Result<u32, AppError> {
    // SAFETY: geteuid only reads the process's credentials.
    #[allow(unsafe_code)]
    let me = unsafe { libc::geteuid() };
    match peer.uid {
        Some(uid) if uid == me || uid == 0 => Ok(uid),
        _ => Err(AppError::forbidden(
            "chỉ người dùng của máy chủ quản lý hoặc root (only the manager's own user or root)",
        )),
    }
}

async fn backup(
    State(s): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    AppQuery(q): AppQuery<crate::api::backup::BackupQuery>,
) -> ApiResult<(StatusCode, AppJson<BackupReport>)> {
    let uid = allowed(peer)?;
    let report = crate::api::backup::run_backup(&s, &format!("local:uid={uid}"), q.keep).await?;
    Ok((StatusCode::CREATED, AppJson(report)))
}

/// Listen on the control socket of `state`'s data directory and serve it
/// in a task of its own. A socket left by a manager that did not stop
/// cleanly is replaced: this process holds the store's lock, so no other
/// manager serves this directory. `None` (and a warning) when the socket
/// cannot be made — the manager serves on; backups then need `--url`
/// and a token.
pub fn listen(state: Arc<AppState>) -> Option<(tokio::task::JoinHandle<()>, PathBuf)> {
    let path = socket_path(&state.cfg.data_dir);
    let bound = (|| {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let l = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(l)
    })();
    let listener = match bound {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(
                "không mở được ổ cắm điều khiển {}: {e}; sao lưu cần --url và mã truy cập \
                 (no control socket: backups need --url and a token)",
                path.display()
            );
            return None;
        }
    };
    let app = Router::new()
        .route("/backups", post(backup))
        .with_state(state)
        .into_make_service_with_connect_info::<Peer>();
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!("ổ cắm điều khiển dừng: {e} (control socket stopped)");
        }
    });
    Some((task, path))
}

/// Why asking the control socket failed before any answer.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    #[error(
        "không có máy chủ quản lý đang chạy ở {0} (no manager is listening there): máy chủ đang dừng thì dùng \
         backup --offline; từ máy khác thì dùng --url và --token-file"
    )]
    NotRunning(String),
    #[error(
        "không được phép mở {0} (permission denied): chạy lệnh với người dùng của máy chủ (sudo -u bangtin-manager) \
         hoặc root"
    )]
    Denied(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("ổ cắm điều khiển {path}: {source} (control socket)")]
    Http {
        path: String,
        #[source]
        source: hyper::Error,
    },
}

/// `POST /backups?keep=` on the control socket at `socket`: the answer's
/// status and body.
pub async fn ask_backup(socket: &Path, keep: Option<u32>) -> Result<(StatusCode, Vec<u8>), AskError> {
    use http_body_util::BodyExt;
    let shown = socket.display().to_string();
    let stream = match tokio::net::UnixStream::connect(socket).await {
        Ok(s) => s,
        Err(e) => {
            return Err(match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => AskError::NotRunning(shown),
                std::io::ErrorKind::PermissionDenied => AskError::Denied(shown),
                _ => AskError::Io { path: shown, source: e },
            });
        }
    };
    let http = |source| AskError::Http {
        path: socket.display().to_string(),
        source,
    };
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .map_err(http)?;
    let conn = tokio::spawn(conn);
    let uri = match keep {
        Some(k) => format!("/backups?keep={k}"),
        None => "/backups".to_string(),
    };
    let req = axum::http::Request::post(uri)
        .header(axum::http::header::HOST, "localhost")
        .body(http_body_util::Empty::<axum::body::Bytes>::new())
        .expect("a valid request");
    let r = send.send_request(req).await.map_err(http)?;
    let status = r.status();
    let body = r.into_body().collect().await.map_err(http)?.to_bytes().to_vec();
    drop(send);
    let _ = conn.await;
    Ok((status, body))
}
