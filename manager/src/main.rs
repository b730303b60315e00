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
    /// Sao lưu nhất quán khi máy chủ đang chạy, qua API; bản sao lưu nằm
    /// trên máy chủ, trong backup_dir (consistent backup taken by the
    /// running server)
    Backup {
        /// Địa chỉ máy chủ (manager URL; default http://<listen> of the config)
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Tệp chứa mã truy cập API của quản trị viên, hoặc biến
        /// BANGTIN_TOKEN (file holding an administrator's API token)
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Máy chủ đang dừng: tự mở thư mục dữ liệu và sao lưu vào
        /// backup_dir (the server is stopped: back up the data directory itself)
        #[arg(long, conflicts_with_all = ["url", "token_file"])]
        offline: bool,
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
        } => {
            let cfg = config(&cli)?;
            if *offline {
                backup_offline(cfg)
            } else {
                backup_online(&cfg, url.as_deref(), token_file.as_deref())
            }
        }
        Cmd::Restore { from } => restore(&config(&cli)?, from),
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
    rt.block_on(async move {
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
    })
}

/// What a backup holds, for the operator.
fn print_backup(r: &bangtin_manager::backup::BackupReport) {
    let m = &r.manifest;
    println!("đã sao lưu vào {} (backup written)", r.path);
    println!(
        "  lúc {}: {} bản ghi, {} nhật ký, {} tệp phương tiện, {} ảnh chụp, {} byte; ghi bị giữ {:.3} ms, \
         mất {:.1} s (taken at; records, logs, media, screenshots, bytes; writes held, took)",
        m.taken_at, m.records, m.logs, m.media, m.screenshots, m.bytes, m.writes_held_ms, m.seconds
    );
}

/// Ask the running manager for a backup (`POST /api/v1/backups`).
fn backup_online(cfg: &Config, url: Option<&str>, token_file: Option<&std::path::Path>) -> Result<ExitCode> {
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
        let r = client
            .post(format!("{base}/api/v1/backups"))
            .bearer_auth(&token)
            .send()
            .await
            .with_context(|| format!("không gọi được máy chủ {base} (cannot reach the manager)"))?;
        let status = r.status();
        let body = r.bytes().await?;
        anyhow::Ok((status, body))
    })?;
    if status.is_success() {
        let r: bangtin_manager::backup::BackupReport =
            serde_json::from_slice(&body).context("câu trả lời không đọc được (unreadable answer)")?;
        print_backup(&r);
        return Ok(ExitCode::SUCCESS);
    }
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    eprintln!("lỗi (error): {base} trả lời {status}: {message}");
    Ok(ExitCode::from(if status.is_client_error() { 2 } else { 1 }))
}

/// A backup of a stopped manager's data directory, by this process.
fn backup_offline(cfg: Config) -> Result<ExitCode> {
    let into = cfg.backups();
    let state = AppState::open(cfg).context("mở dữ liệu (is the server running? use backup without --offline)")?;
    let r = bangtin_manager::backup::take(&state.shared, &into)?;
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
