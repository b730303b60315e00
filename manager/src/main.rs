//! `bangtin-manager`: the server officers and operators use (accounts,
//! media, layouts, schedules, boards, signed shows). Today it validates
//! layouts with exactly the rules the player applies; the server itself is
//! issue #3.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "bangtin-manager",
    version,
    about = "Máy chủ quản lý bảng tin Bangtin — Bangtin manager"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Kiểm tra tệp bố cục như bảng tin sẽ kiểm tra (validate layouts as boards do)
    CheckLayout {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.cmd {
        Cmd::CheckLayout { files } => {
            let mut bad = false;
            for f in files {
                match bangtin_layouts::load_layout(&f) {
                    Ok(l) => println!("{}: hợp lệ, {} vùng (valid)", f.display(), l.zones.len()),
                    Err(e) => {
                        eprintln!("{e}");
                        bad = true;
                    }
                }
            }
            if bad { ExitCode::from(2) } else { ExitCode::SUCCESS }
        }
    }
}
