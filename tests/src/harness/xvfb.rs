//! A private Xvfb for tests, started and stopped by PID, with screen grabs.

use image::RgbaImage;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An Xvfb server of our own on a free display number.
#[derive(Debug)]
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start(w: u32, h: u32) -> Xvfb {
        // Xvfb takes its display's lock file atomically and exits if another
        // server has it, so concurrent tests just move on to the next number.
        for n in 200..400 {
            if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args([
                    "-screen",
                    "0",
                    &format!("{w}x{h}x24"),
                    "-nolisten",
                    "tcp",
                    "-noreset",
                    "-br",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb is installed (apt install xvfb)");
            let sock = format!("/tmp/.X11-unix/X{n}");
            let t0 = Instant::now();
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // display taken: try the next one
                }
                // Ours only when the display's lock file names our server.
                let owner = std::fs::read_to_string(format!("/tmp/.X{n}-lock"))
                    .ok()
                    .and_then(|l| l.trim().parse::<u32>().ok());
                if Path::new(&sock).exists() && owner == Some(child.id()) {
                    return Xvfb {
                        child,
                        display: format!(":{n}"),
                    };
                }
                if t0.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("could not start Xvfb on any display 200–399");
    }

    /// Screenshot of a region, through ffmpeg's x11grab.
    pub fn grab(&self, x: u32, y: u32, w: u32, h: u32, out: &Path) -> RgbaImage {
        let st = Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "x11grab",
                "-draw_mouse",
                "0",
            ])
            .args(["-video_size", &format!("{w}x{h}")])
            .args(["-i", &format!("{}+{x},{y}", self.display)])
            .args(["-frames:v", "1"])
            .arg(out)
            .status()
            .expect("ffmpeg is installed");
        assert!(st.success());
        image::open(out).unwrap().into_rgba8()
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
