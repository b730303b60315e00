//! `bangtin-load`: load tools for the manager — `bench`, `fleet`, `soak`, `fanout`.
//! Each starts the manager as a process of its own (`bangtin-manager
//! serve`, by default the one beside this program in `target/<profile>/`)
//! over a fresh data directory on loopback, and drives it from here.
//!
//! Exit status: 0 ok, 2 bad input, 1 other failure.

use anyhow::Result;
use bangtin_tests::tools::{bench, dashboard, fanout, fleet, manager, soak};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "bangtin-load",
    version,
    about = "Đo tải máy chủ quản lý Bangtin — load tools for the Bangtin manager"
)]
struct Cli {
    /// Tệp chạy bangtin-manager (the manager binary; default: the one beside this program)
    #[arg(long, global = true, value_name = "PATH")]
    manager: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Đo độ trễ các đường dẫn bảng tin gọi nhiều nhất (benchmark board routes)
    Bench(bench::BenchArgs),
    /// Mô phỏng cả đội bảng tin gửi nhịp tim, hỏi chương trình, gửi nhật ký phát (simulate a fleet of boards)
    Fleet(fleet::FleetArgs),
    /// Chạy lâu mọi việc nền của máy chủ và đo bộ nhớ, đĩa theo thời gian (soak: memory and disk over time)
    Soak(soak::SoakArgs),
    /// Một cảnh báo khẩn cấp CAP tới mọi bảng tin của tỉnh (one CAP emergency to a province's boards)
    Fanout(fanout::FanoutArgs),
    /// Trang bảng tin của cán bộ với nhiều bảng tin: thời gian, dung lượng (the officers' dashboard)
    Dashboard(dashboard::DashboardArgs),
}

fn main() -> ExitCode {
    // What the manager library logs while the tools fill a data directory.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lỗi (error): {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let exe = match cli.manager {
        Some(p) => {
            anyhow::ensure!(p.is_file(), "không thấy {} (not found)", p.display());
            p
        }
        None => manager::manager_beside_this_program()?,
    };
    match cli.cmd {
        Cmd::Bench(a) => bench::run(&exe, a),
        Cmd::Fleet(a) => fleet::run(&exe, a),
        Cmd::Soak(a) => soak::run(&exe, a),
        Cmd::Fanout(a) => fanout::run(&exe, a),
        Cmd::Dashboard(a) => dashboard::run(&exe, a),
    }
}
