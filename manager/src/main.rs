//! `bangtin-manager`: serve the API, or set up accounts offline.
//!
//! Exit status: 0 ok, 2 bad input, 1 other failure.

use anyhow::{Context, Result};
use bangtin_manager::accounts::{AccountError, NewUser, create_unit, create_user};
use bangtin_manager::model::{Role, Unit, User, UserView};
use bangtin_manager::store::StoreExt;
use bangtin_manager::{AppState, Config};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "bangtin-manager",
    version,
    about = "Máy chủ quản lý bảng tin Bangtin — Bangtin manager"
)]
struct Cli {
    /// Tệp cấu hình TOML (config file)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Thư mục dữ liệu (data directory; overrides the config)
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Kho dữ liệu PostgreSQL nhiều máy quản lý dùng chung, thay sled
    /// trong thư mục dữ liệu; nên đặt trong tệp cấu hình hay biến
    /// BANGTIN_STORE để mật khẩu không hiện trong danh sách tiến trình;
    /// máy chủ ở máy khác được kết nối qua TLS và kiểm tra chứng chỉ
    /// (?sslrootcert=TỆP, sslmode=…) (a PostgreSQL store several managers
    /// share, instead of sled; a remote one over verified TLS; overrides
    /// the config)
    #[arg(long, global = true, value_name = "postgres://…")]
    store: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Chạy máy chủ (serve the API)
    Serve {
        /// Địa chỉ lắng nghe, ví dụ 127.0.0.1:8080 (listen address)
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Quản trị ngoại tuyến, khi máy chủ đang dừng (offline administration)
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// Kiểm tra tệp bố cục như bảng tin sẽ kiểm tra (validate layouts as boards do)
    CheckLayout {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Sao lưu nhất quán do máy chủ đang chạy tạo, vào backup_dir trên
    /// máy chủ; rồi xóa các bản cũ quá backup_keep. Mặc định hỏi qua ổ cắm
    /// điều khiển DATA/manager.sock (người dùng của máy chủ hoặc root,
    /// không cần mật khẩu); có --url hoặc mã truy cập thì qua API
    /// (consistent backup taken by the running server, then old ones
    /// beyond backup_keep removed; over the local control socket, or the
    /// API with --url/a token)
    Backup {
        /// Địa chỉ máy chủ, hỏi qua API với mã truy cập (manager URL: ask
        /// the API with a token instead of the control socket)
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Tệp chứa mã truy cập API của quản trị viên, hoặc biến
        /// BANGTIN_TOKEN; dùng API thay ổ cắm điều khiển (file holding an
        /// administrator's API token; asks the API)
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Máy chủ đang dừng: tự mở thư mục dữ liệu và sao lưu vào
        /// backup_dir (the server is stopped: back up the data directory itself)
        #[arg(long, conflicts_with_all = ["url", "token_file"])]
        offline: bool,
        /// Giữ N bản sao lưu gần nhất của máy chủ này, kể cả bản mới; 0 giữ
        /// tất cả (keep the N newest backups, this one counted; 0 keeps
        /// all; default backup_keep of the config, 7)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=1000))]
        keep: Option<u32>,
        /// Máy chủ chưa chạy: chờ tối đa chừng ấy giây (khi khởi động máy,
        /// khi nâng cấp) (no manager listening yet: wait up to this many
        /// seconds for it, e.g. at boot or during an upgrade)
        #[arg(long, value_name = "SECONDS", default_value_t = 0, conflicts_with_all = ["url", "token_file", "offline"])]
        wait: u64,
    },
    /// Chuyển thư mục dữ liệu sled (máy quản lý đã dừng) sang một cơ sở
    /// dữ liệu PostgreSQL mới, trống, rồi đếm hai bên (copy a stopped sled
    /// manager's data directory into a new, empty PostgreSQL database, then
    /// count both sides)
    Migrate {
        /// Thư mục dữ liệu sled (the sled data directory)
        #[arg(long, value_name = "DATA_DIR")]
        from: PathBuf,
        /// Cơ sở dữ liệu đích; mặc định `store` của cấu hình hay biến
        /// BANGTIN_STORE, để mật khẩu không hiện trong danh sách tiến trình
        /// (the target database; default the config's store)
        #[arg(long, value_name = "postgres://…")]
        to: Option<String>,
    },
    /// Khôi phục bản sao lưu vào thư mục dữ liệu mới hoặc trống (--data)
    /// (restore a backup into a new or empty data directory)
    Restore {
        /// Thư mục bản sao lưu (the backup's directory)
        #[arg(long, value_name = "BACKUP")]
        from: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum AdminCmd {
    /// Tạo đơn vị hành chính theo mã chính thức (register a unit)
    CreateUnit {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent: Option<String>,
        #[arg(long, default_value = "Asia/Ho_Chi_Minh")]
        timezone: String,
    },
    /// Tạo tài khoản; mật khẩu đọc từ dòng đầu của stdin (password from stdin)
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["admin", "editor", "viewer"])]
        role: String,
        /// Mã đơn vị (lặp lại được) (unit codes, repeatable)
        #[arg(long = "unit")]
        units: Vec<String>,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Liệt kê tài khoản (list accounts)
    ListUsers,
}

/// Fix glibc's mmap threshold at 256 KiB (as the player does, see
/// `bangtin_player::tune_allocator`): sled's log buffers and large request
/// bodies then always come from `mmap` and go back to the system when
/// freed. With glibc's moving threshold they land in the heap of the
/// thread that flushes the store (`store::Flusher`) and the holes stay: a
/// fleet of 20,000 simulated boards held the manager at 285 MiB RSS instead
/// of 157 MiB (`bangtin-load fleet --boards 20000 --seconds 40`,
/// 2026-12-07).
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets glibc's malloc parameters; called first
    // thing in `main`, before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    // BANGTIN_LOG_FORMAT=json: one JSON object a line, with the request's
    // span (request_id, method, route, board or officer) in every line —
    // for journald and log collectors; otherwise text.
    let json = std::env::var("BANGTIN_LOG_FORMAT").is_ok_and(|v| v.trim() == "json");
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        fmt.json().with_current_span(true).with_span_list(false).init();
    } else {
        fmt.init();
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lỗi (error): {e:#}");
            ExitCode::from(1)
        }
    }
}

fn config(cli: &Cli) -> Result<Config> {
    let mut c = Config::load(cli.config.as_deref())?;
    if let Some(d) = &cli.data {
        c.data_dir = d.clone();
    }
    if let Some(s) = &cli.store {
        c.store = Some(s.clone());
        c.check_store()?;
    }
    Ok(c)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.cmd {
        Cmd::Serve { listen } => {
            let mut cfg = config(&cli)?;
            if let Some(l) = listen {
                cfg.listen = *l;
            }
            serve(cfg)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Admin { cmd } => admin(config(&cli)?, cmd),
        Cmd::Backup {
            url,
            token_file,
            offline,
            keep,
            wait,
        } => {
            let cfg = config(&cli)?;
            let token_env = std::env::var("BANGTIN_TOKEN").is_ok_and(|t| !t.trim().is_empty());
            if *offline {
                backup_offline(cfg, *keep)
            } else if url.is_some() || token_file.is_some() || token_env {
                backup_online(&cfg, url.as_deref(), token_file.as_deref(), *keep)
            } else {
                backup_local(&cfg, *keep, std::time::Duration::from_secs(*wait))
            }
        }
        Cmd::Restore { from } => restore(&config(&cli)?, from),
        Cmd::Migrate { from, to } => {
            let to = match to {
                Some(t) => t.clone(),
                None => match config(&cli)?.store {
                    Some(t) => t,
                    None => {
                        eprintln!(
                            "lỗi (error): cần --to postgres://… hoặc store trong cấu hình (BANGTIN_STORE) (the target database is missing)"
                        );
                        return Ok(ExitCode::from(2));
                    }
                },
            };
            migrate(from, &to)
        }
        Cmd::CheckLayout { files } => {
            let mut bad = false;
            for f in files {
                match bangtin_layouts::load_layout(f) {
                    Ok(l) => println!("{}: hợp lệ, {} vùng (valid)", f.display(), l.zones.len()),
                    Err(e) => {
                        eprintln!("{e}");
                        bad = true;
                    }
                }
            }
            Ok(if bad { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
    }
}

fn serve(cfg: Config) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let served = rt.block_on(async move {
        let listen = cfg.listen;
        // Listening for SIGTERM and SIGINT before anything opens: a stop
        // that comes while the store opens or right after the address is
        // printed still ends gracefully (the store flushed), not by the
        // signal's default action.
        #[cfg(unix)]
        let mut signals = {
            use tokio::signal::unix::{SignalKind, signal};
            (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?)
        };
        let state = Arc::new(tokio::task::block_in_place(|| AppState::open(cfg))?);
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("không mở được cổng {listen} (cannot listen)"))?;
        let addr = listener.local_addr()?;
        tracing::info!("khóa công khai ký chương trình (show key): {}", state.public_key_b64());
        println!("bangtin-manager đang chạy tại http://{addr} (listening)");
        let shutdown = async move {
            #[cfg(unix)]
            tokio::select! { _ = signals.0.recv() => {}, _ = signals.1.recv() => {} }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("đang dừng, chờ các yêu cầu đang xử lý (shutting down gracefully)");
        };
        bangtin_manager::serve(listener, state, shutdown).await
    });
    // The store is flushed and every response sent: a blocking task still
    // waiting (on the database, say) must not keep a stopped manager alive.
    rt.shutdown_timeout(std::time::Duration::from_secs(10));
    served
}

/// `migrate`: copy, then print both sides' counts; 2 on bad input, 1 when
/// the counts differ.
fn migrate(from: &std::path::Path, to: &str) -> Result<ExitCode> {
    use bangtin_manager::migrate::BadInput;
    println!(
        "chuyển {} sang {} (migrating)",
        from.display(),
        bangtin_manager::pg::redact(to)
    );
    let report = match bangtin_manager::migrate::migrate(from, to) {
        Ok(r) => r,
        Err(e) if e.downcast_ref::<BadInput>().is_some() => {
            eprintln!("lỗi (error): {e:#}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e),
    };
    for line in report.lines() {
        println!("  {line}");
    }
    if report.source != report.target {
        eprintln!("lỗi (error): số lượng hai bên khác nhau (the counts differ)");
        return Ok(ExitCode::from(1));
    }
    println!("xong: số lượng hai bên khớp nhau (done: the counts match)");
    Ok(ExitCode::SUCCESS)
}

/// What a backup holds and which old ones went, for the operator.
fn print_backup(r: &bangtin_manager::backup::BackupReport) {
    let m = &r.manifest;
    println!("đã sao lưu vào {} (backup written)", r.path);
    println!(
        "  lúc {}: {} bản ghi, {} nhật ký, {} tệp phương tiện, {} ảnh chụp, {} byte; ghi bị giữ {:.3} ms, \
         mất {:.1} s (taken at; records, logs, media, screenshots, bytes; writes held, took)",
        m.taken_at, m.records, m.logs, m.media, m.screenshots, m.bytes, m.writes_held_ms, m.seconds
    );
    for name in &r.pruned {
        println!("đã xóa bản sao lưu cũ {name} (old backup removed)");
    }
    if let Some(e) = &r.prune_error {
        eprintln!("cảnh báo (warning): không xóa được bản sao lưu cũ: {e} (pruning old backups failed)");
    }
}

/// The answer of `POST …/backups`, for the operator: 0 when written, 2
/// when refused for the asker (4xx), 1 otherwise.
fn backup_answer(base: &str, status: reqwest::StatusCode, body: &[u8]) -> Result<ExitCode> {
    if status.is_success() {
        let r: bangtin_manager::backup::BackupReport =
            serde_json::from_slice(body).context("câu trả lời không đọc được (unreadable answer)")?;
        print_backup(&r);
        return Ok(ExitCode::SUCCESS);
    }
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    eprintln!("lỗi (error): {base} trả lời {status}: {message}");
    Ok(ExitCode::from(if status.is_client_error() { 2 } else { 1 }))
}

/// Ask the running manager on this machine for a backup over its control
/// socket (`bangtin_manager::control`): no token; the manager's own user
/// or root.
fn backup_local(cfg: &Config, keep: Option<u32>, wait: std::time::Duration) -> Result<ExitCode> {
    use bangtin_manager::control::{AskError, ask_backup};
    let socket = bangtin_manager::control::socket_path(&cfg.data_dir);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let started = std::time::Instant::now();
    let mut said = false;
    loop {
        match rt.block_on(ask_backup(&socket, keep)) {
            Ok((status, body)) => return backup_answer(&socket.display().to_string(), status, &body),
            // The manager starting (boot, upgrade): its socket comes once
            // its store is open.
            Err(AskError::NotRunning(_)) if started.elapsed() < wait => {
                if !said {
                    eprintln!("chờ máy chủ quản lý mở {} (waiting for the manager)", socket.display());
                    said = true;
                }
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
            Err(e) => {
                eprintln!("lỗi (error): {e}");
                return Ok(ExitCode::from(1));
            }
        }
    }
}

/// Ask the running manager for a backup (`POST /api/v1/backups`).
fn backup_online(
    cfg: &Config,
    url: Option<&str>,
    token_file: Option<&std::path::Path>,
    keep: Option<u32>,
) -> Result<ExitCode> {
    let token = match token_file {
        Some(f) => std::fs::read_to_string(f)
            .with_context(|| format!("không đọc được {} (cannot read the token file)", f.display()))?,
        None => std::env::var("BANGTIN_TOKEN").unwrap_or_default(),
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        eprintln!(
            "lỗi (error): cần mã truy cập API của một quản trị viên: --token-file FILE hoặc biến BANGTIN_TOKEN \
             (an administrator's API token is needed)"
        );
        return Ok(ExitCode::from(2));
    }
    let base = match url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let mut a = cfg.listen;
            if a.ip().is_unspecified() {
                a.set_ip(if a.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                });
            }
            format!("http://{a}")
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (status, body) = rt.block_on(async {
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            // Media libraries of many GiB take a while to copy.
            .timeout(std::time::Duration::from_secs(6 * 3600))
            .build()?;
        let mut req = client.post(format!("{base}/api/v1/backups"));
        if let Some(k) = keep {
            req = req.query(&[("keep", k)]);
        }
        let r = req
            .bearer_auth(&token)
            .send()
            .await
            .with_context(|| format!("không gọi được máy chủ {base} (cannot reach the manager)"))?;
        let status = r.status();
        let body = r.bytes().await?;
        anyhow::Ok((status, body))
    })?;
    backup_answer(&base, status, &body)
}

/// A backup of a stopped manager's data directory, by this process.
fn backup_offline(cfg: Config, keep: Option<u32>) -> Result<ExitCode> {
    let into = cfg.backups();
    let keep = keep.unwrap_or(cfg.backup_keep);
    let state = AppState::open(cfg).context("mở dữ liệu (is the server running? use backup without --offline)")?;
    let r = bangtin_manager::backup::take_keeping(&state.shared, &into, keep)?;
    print_backup(&r);
    Ok(ExitCode::SUCCESS)
}

fn restore(cfg: &Config, from: &std::path::Path) -> Result<ExitCode> {
    use bangtin_manager::backup::BackupError;
    match bangtin_manager::backup::restore(from, &cfg.data_dir) {
        Ok(r) => {
            let m = &r.manifest;
            println!(
                "đã khôi phục bản sao lưu lúc {} vào {}: {} bản ghi, {} nhật ký, {} tệp phương tiện; khóa ký {} \
                 (restored; records, logs, media; signing key)",
                m.taken_at,
                r.data.display(),
                m.records,
                m.logs,
                m.media,
                m.public_key
            );
            println!("chạy máy chủ với --data {} (serve from it)", r.data.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(
            e @ (BackupError::NotEmpty { .. }
            | BackupError::NotABackup { .. }
            | BackupError::Newer { .. }
            | BackupError::Corrupt { .. }),
        ) => {
            eprintln!("lỗi (error): {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

fn admin(cfg: Config, cmd: &AdminCmd) -> Result<ExitCode> {
    let state = AppState::open(cfg).context("mở dữ liệu (is the server running? stop it first)")?;
    let report = |r: Result<(), AccountError>| -> ExitCode {
        match r {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let (message, field) = match e {
                    AccountError::Invalid { field, reason }
                    | AccountError::Conflict { field, reason }
                    | AccountError::Unknown { field, reason } => (reason, Some(field)),
                    other => (other.to_string(), None),
                };
                eprintln!(
                    "lỗi (error): {message}{}",
                    field.map(|f| format!(" [trường {f}]")).unwrap_or_default()
                );
                ExitCode::from(2)
            }
        }
    };
    match cmd {
        AdminCmd::CreateUnit {
            code,
            name,
            parent,
            timezone,
        } => {
            let u = Unit {
                code: code.clone(),
                name: name.clone(),
                parent: parent.clone(),
                timezone: timezone.clone(),
            };
            let r = create_unit(&*state.store, "cli", &u);
            if r.is_ok() {
                println!("đã tạo đơn vị {code} (unit created)");
            }
            Ok(report(r))
        }
        AdminCmd::CreateUser {
            username,
            role,
            units,
            display_name,
        } => {
            let mut pw = String::new();
            std::io::stdin().lock().read_line(&mut pw)?;
            let pw = pw.trim_end_matches(['\n', '\r']).to_string();
            let role = match role.as_str() {
                "admin" => Role::Admin,
                "editor" => Role::Editor,
                _ => Role::Viewer,
            };
            let r = create_user(
                &*state.store,
                "cli",
                NewUser {
                    username: username.clone(),
                    display_name: display_name.clone(),
                    password: pw,
                    role,
                    units: units.clone(),
                    must_change_password: false,
                },
            );
            Ok(report(r.map(|u| {
                println!("đã tạo tài khoản {} ({}) (user created)", u.username, u.id)
            })))
        }
        AdminCmd::ListUsers => {
            let users: Vec<User> = state.store.scan_json("user/")?;
            for u in users.iter().map(UserView::from) {
                println!("{}\t{}\t{:?}\t{}", u.id, u.username, u.role, u.units.join(","));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
