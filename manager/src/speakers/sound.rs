//! Sound for the loudspeakers: Vietnamese text read by espeak-ng (run as a
//! separate program: it is GPL), sound files decoded by FFmpeg, and the
//! attention chime before an emergency — all as 16-bit stereo PCM at
//! [`RATE`] Hz, the format Snapcast streams by default (48000:16:2).

use ffmpeg_next as ff;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Samples per second (per channel).
pub const RATE: u32 = 48_000;
/// Interleaved channels.
pub const CHANNELS: usize = 2;
/// Longest sound an announcement may hold (a runaway file or text).
pub const MAX_SECONDS: u32 = 15 * 60;
/// espeak-ng gets this long to read a text.
const TTS_TIMEOUT: Duration = Duration::from_secs(60);

/// Read `text` aloud with espeak-ng's Vietnamese voice, after the
/// normaliser has spelled out dates, times, numbers and abbreviations.
/// `work` is a directory for the temporary WAV file.
pub fn speak(text: &str, work: &Path) -> anyhow::Result<Vec<i16>> {
    let spoken = super::normalise::normalise(text);
    anyhow::ensure!(!spoken.trim().is_empty(), "văn bản đọc rỗng (nothing to read)");
    let wav = work.join(format!("tts-{}-{}.wav", std::process::id(), rand::random::<u64>()));
    let result = run_espeak(&spoken, &wav).and_then(|()| decode(&wav));
    let _ = std::fs::remove_file(&wav);
    result
}

fn run_espeak(text: &str, wav: &Path) -> anyhow::Result<()> {
    // The text goes through stdin so that nothing in it is taken for an
    // option; -s 145 words a minute is the pace of a public announcement.
    let mut child = Command::new("espeak-ng")
        .args(["-v", "vi", "-s", "145", "-w"])
        .arg(wav)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("không chạy được espeak-ng: {e} (is espeak-ng installed?)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
    }
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if status.success() {
                return Ok(());
            }
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            anyhow::bail!("espeak-ng lỗi {status}: {}", err.trim());
        }
        if started.elapsed() > TTS_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("espeak-ng quá {} s (text-to-speech timed out)", TTS_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Decode the first audio stream of `path` into stereo PCM at [`RATE`].
pub fn decode(path: &Path) -> anyhow::Result<Vec<i16>> {
    ff::init()?;
    let mut input = ff::format::input(&path)?;
    let stream = input
        .streams()
        .best(ff::media::Type::Audio)
        .ok_or_else(|| anyhow::anyhow!("tệp không có âm thanh (no audio stream)"))?;
    let index = stream.index();
    let mut dec = ff::codec::context::Context::from_parameters(stream.parameters())?
        .decoder()
        .audio()?;
    let mut resampler: Option<ff::software::resampling::Context> = None;
    let mut out = Vec::new();
    let limit = (MAX_SECONDS * RATE) as usize * CHANNELS;
    let mut take = |dec: &mut ff::decoder::Audio, out: &mut Vec<i16>| -> anyhow::Result<()> {
        let mut frame = ff::frame::Audio::empty();
        while dec.receive_frame(&mut frame).is_ok() {
            if frame.channel_layout().is_empty() {
                frame.set_channel_layout(ff::ChannelLayout::default(i32::from(frame.channels())));
            }
            let rs = match &mut resampler {
                Some(r) => r,
                None => resampler.insert(ff::software::resampling::Context::get(
                    frame.format(),
                    frame.channel_layout(),
                    frame.rate(),
                    ff::format::Sample::I16(ff::format::sample::Type::Packed),
                    ff::ChannelLayout::STEREO,
                    RATE,
                )?),
            };
            let mut o = out_frame(frame.samples(), frame.rate());
            rs.run(&frame, &mut o)?;
            push(&o, out);
            anyhow::ensure!(out.len() <= limit, "âm thanh dài quá {MAX_SECONDS} s (sound too long)");
        }
        Ok(())
    };
    for (s, packet) in input.packets() {
        if s.index() == index && dec.send_packet(&packet).is_ok() {
            take(&mut dec, &mut out)?;
        }
    }
    dec.send_eof()?;
    take(&mut dec, &mut out)?;
    // What the resampler still holds (its filter delay).
    if let Some(rs) = &mut resampler {
        loop {
            let mut o = out_frame(4096, RATE);
            if rs.flush(&mut o).is_err() || o.samples() == 0 {
                break;
            }
            push(&o, &mut out);
        }
    }
    anyhow::ensure!(!out.is_empty(), "không giải mã được âm thanh nào (no sound decoded)");
    Ok(out)
}

/// An output frame with room for all that `samples` input samples at
/// `rate` become at [`RATE`]. (Given an empty frame, the resampler makes
/// one only as long as its input, and going up in rate the rest would pile
/// up inside it and be lost.)
fn out_frame(samples: usize, rate: u32) -> ff::frame::Audio {
    let room = samples * RATE as usize / rate.max(1) as usize + 1024;
    let mut o = ff::frame::Audio::new(
        ff::format::Sample::I16(ff::format::sample::Type::Packed),
        room,
        ff::ChannelLayout::STEREO,
    );
    o.set_rate(RATE);
    o
}

fn push(frame: &ff::frame::Audio, out: &mut Vec<i16>) {
    let n = frame.samples() * CHANNELS;
    out.extend(
        frame.data(0)[..n * 2]
            .chunks_exact(2)
            .map(|b| i16::from_ne_bytes([b[0], b[1]])),
    );
}

/// `seconds` of silence.
pub fn silence(seconds: f32) -> Vec<i16> {
    vec![0; (seconds * RATE as f32) as usize * CHANNELS]
}

/// The attention chime before an emergency: three falling tones
/// (880, 660, 440 Hz), 0.3 s each with soft edges, then a short pause.
pub fn chime() -> Vec<i16> {
    let mut out = Vec::new();
    for f in [880.0f32, 660.0, 440.0] {
        let n = (0.3 * RATE as f32) as usize;
        for i in 0..n {
            let t = i as f32 / RATE as f32;
            let edge = (i.min(n - i) as f32 / (0.02 * RATE as f32)).min(1.0);
            let v = (t * f * std::f32::consts::TAU).sin() * edge * 0.5 * f32::from(i16::MAX);
            out.extend([v as i16; CHANNELS]);
        }
    }
    out.extend(silence(0.4));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_text_becomes_seconds_of_speech() {
        let dir = tempfile::tempdir().unwrap();
        let short = speak("Bão số 3", dir.path()).unwrap();
        let long = speak(
            "Cảnh báo bão số 3: mưa rất to từ 17/9 đến hết 18/9, lượng mưa 150–250 mm. \
             Không đi qua ngầm, tràn, suối khi có nước chảy xiết.",
            dir.path(),
        )
        .unwrap();
        let secs = |v: &[i16]| v.len() as f32 / (RATE as f32 * CHANNELS as f32);
        assert!(secs(&short) > 0.4 && secs(&short) < 4.0, "{}", secs(&short));
        assert!(secs(&long) > 3.0 * secs(&short), "{} vs {}", secs(&long), secs(&short));
        let loud = long.iter().filter(|s| s.unsigned_abs() > 1000).count();
        assert!(loud > long.len() / 10, "speech, not silence: {loud} of {}", long.len());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no WAV left behind");
        assert!(speak(" \n ", dir.path()).is_err());
    }

    #[test]
    fn a_sound_file_keeps_its_length_whatever_its_rate() {
        let dir = tempfile::tempdir().unwrap();
        for rate in ["16000", "22050", "44100", "48000"] {
            let p = dir.path().join(format!("tone-{rate}.wav"));
            let ok = Command::new("ffmpeg")
                .args([
                    "-loglevel",
                    "error",
                    "-y",
                    "-f",
                    "lavfi",
                    "-i",
                    "sine=frequency=440:duration=2",
                ])
                .args(["-ar", rate, "-ac", "1"])
                .arg(&p)
                .status()
                .unwrap()
                .success();
            assert!(ok);
            let pcm = decode(&p).unwrap();
            let secs = pcm.len() as f64 / f64::from(RATE) / CHANNELS as f64;
            assert!((secs - 2.0).abs() < 0.02, "{rate} Hz: {secs} s instead of 2 s");
        }
    }

    #[test]
    fn a_file_that_is_not_sound_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.mp3");
        std::fs::write(&p, b"not a sound at all").unwrap();
        assert!(decode(&p).is_err());
    }

    #[test]
    fn the_chime_is_a_second_of_tones_then_a_pause() {
        let c = chime();
        assert_eq!(
            c.len(),
            ((0.3 * RATE as f32) as usize * 3 + (0.4 * RATE as f32) as usize) * CHANNELS
        );
        let peak = c.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!(peak > 15_000 && peak < 17_000, "{peak}");
        assert!(c[c.len() - 1000..].iter().all(|&s| s == 0));
    }
}
