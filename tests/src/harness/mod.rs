//! The end-to-end harness the crates' own tests and benches share (through
//! a dev-dependency on this crate): a real manager in-process with clients,
//! pairing and signed sources ([`manager`]); real boards as player processes
//! ([`boards`]); a private X server ([`xvfb`]); test media made with ffmpeg
//! ([`clips`]); a paced ALSA device without a sound card ([`alsa`]);
//! headless Chromium through ChromeDriver for the web UI ([`browser`]); a
//! browser without script for the web UI's forms and pages ([`web`]);
//! Snapcast for the loudspeakers ([`snapcast`]); PostgreSQL for managers
//! that share a database ([`postgres`]) and haproxy in front of them
//! ([`haproxy`]); directory trees to compare on
//! disk ([`files`]).

pub mod alsa;
pub mod boards;
pub mod browser;
pub mod clips;
pub mod files;
pub mod haproxy;
pub mod manager;
pub mod postgres;
pub mod snapcast;
pub mod web;
pub mod xvfb;
