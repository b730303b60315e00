//! A board run by a manager (`bangtin-player run --manager URL`): pairing,
//! offline-first sync of signed shows, instant pushes, heartbeats, proof of
//! play, screenshots and commands.
//!
//! Two halves talk through channels. The [`agent`] does all networking on
//! a small tokio runtime; it never touches the GPU and the screen never
//! waits for it. The [`director`] runs on the render thread: it picks the
//! screen for the current instant from the last complete, verified show,
//! records what played, and answers screenshot requests with the frame it
//! just drew.

pub mod agent;
pub mod alert_screen;
pub mod cache;
pub mod config;
pub mod director;
pub mod playlog;
pub mod proof;
pub mod rounds;
pub mod run;
pub mod screens;
pub mod turns;

use std::sync::Arc;

/// Agent → render thread.
#[derive(Debug)]
pub enum ToScreen {
    /// Show this pairing code ("" while no code could be had yet).
    Pairing(String),
    /// Claimed, but by a manager whose key is not the pinned one: the
    /// board refuses it and says so until pairing is tried again.
    Refused,
    /// Claimed: wait for the first show.
    Claimed,
    /// A new complete, verified show.
    Show(Arc<director::Installed>),
    /// A new verified alert set for this board (emergencies preempt the show).
    Alerts(Arc<bangtin_layouts::alerts::AlertSet>),
    /// A picture or video of an alert finished downloading.
    AlertMedia,
    Shot(ShotRequest),
    /// Rebuild the screen from the show.
    Reload,
    /// Restart the player process.
    Restart,
}

/// Render thread → agent.
#[derive(Debug)]
pub enum FromScreen {
    /// What is on screen changed: send a heartbeat now.
    Changed,
    Shot {
        req: ShotRequest,
        png: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShotKind {
    Thumb,
    Full,
}

impl ShotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ShotKind::Thumb => "thumb",
            ShotKind::Full => "full",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShotRequest {
    pub kind: ShotKind,
    /// The manager's command id, when it asked.
    pub command: Option<String>,
}

/// Wakes the render loop when the agent has sent something.
pub type Waker = Arc<dyn Fn() + Send + Sync>;
