//! The layout editor's pages (`/layouts`) against a real manager: a layout
//! built from a template through the form, refusals at their fields,
//! versions, previews drawn by the real `bangtin-player` (pixel for pixel
//! what `bangtin-player render` draws), a renderer that hangs or fails, and
//! the API's scoping (another commune: 404; a viewer: no change).

use bangtin_tests::harness::manager::{COMMUNE_A, COMMUNE_B, Client, PASSWORD, Server, png, seed, user};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The player program: `bangtin-player` beside this test's `deps/` folder
/// (cargo builds both into the same target directory), built when absent.
fn player() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let p = debug.join("bangtin-player");
    if !p.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = std::process::Command::new(cargo)
            .args(["build", "-p", "bangtin-player"])
            .env("CARGO_TARGET_DIR", debug.parent().unwrap())
            .status()
            .expect("cargo runs");
        assert!(st.success(), "the player builds");
    }
    assert!(p.is_file(), "{} exists", p.display());
    p
}

/// An officer signed in through the sign-in page (cookie + CSRF token).
struct Ui {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Ui {
    async fn login(s: &Server, user: &str) -> Ui {
        let http = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
        let r = http
            .post(format!("{}/login", s.url))
            .form(&[("username", user), ("password", PASSWORD), ("next", "/layouts")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{user} signs in");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let mut ui = Ui {
            http,
            base: s.url.clone(),
            cookie,
            csrf: String::new(),
        };
        // An account an administrator made changes its password first.
        let (st, page) = ui.get("/password").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        ui.csrf = attr(&page, "data-csrf").expect("the page carries the CSRF token");
        if page.contains("password-must") || ui.get("/layouts").await.0 == StatusCode::SEE_OTHER {
            let new = format!("{PASSWORD}-mới");
            let f = [("password".to_string(), new.clone()), ("repeat".to_string(), new)];
            let (st, _, body) = ui.post("/password", &f).await;
            assert_eq!(st, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
        }
        let (st, page) = ui.get("/layouts").await;
        assert_eq!(st, StatusCode::OK, "{page}");
        ui
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn get_bytes(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (r.status(), ct, r.bytes().await.unwrap().to_vec())
    }

    /// Post a form (the CSRF field added): status, Location, body.
    async fn post(&self, path: &str, form: &[(String, String)]) -> (StatusCode, String, Vec<u8>) {
        let mut f = form.to_vec();
        f.retain(|(k, _)| k != "_csrf");
        f.push(("_csrf".into(), self.csrf.clone()));
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&f)
            .send()
            .await
            .unwrap();
        let loc = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (r.status(), loc, r.bytes().await.unwrap().to_vec())
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let ent = &rest[1..end];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of attribute `name` in a tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let end = tag[i..].find('"')?;
    Some(unescape(&tag[i..i + end]))
}

/// The fields a browser would post from the form with id `form_id`: inputs
/// (not buttons), selects (the selected option) and textareas.
fn form_fields(page: &str, form_id: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!("id=\"{form_id}\""))
        .expect("the form is on the page");
    let end = start + page[start..].find("</form>").unwrap();
    let f = &page[start..end];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = f[at..].find('<') {
        let i = at + i;
        let tag_end = i + f[i..].find('>').unwrap();
        let tag = &f[i..=tag_end];
        at = tag_end + 1;
        let Some(name) = attr(tag, "name") else { continue };
        if tag.starts_with("<input") {
            if attr(tag, "type").as_deref() == Some("radio") && !tag.contains(" checked") {
                continue;
            }
            out.push((name, attr(tag, "value").unwrap_or_default()));
        } else if tag.starts_with("<textarea") {
            let close = at + f[at..].find("</textarea>").unwrap();
            out.push((name, unescape(&f[at..close])));
        } else if tag.starts_with("<select") {
            let close = at + f[at..].find("</select>").unwrap();
            let opts = &f[at..close];
            let chosen = opts
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| opts.split("<option").nth(1))
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            out.push((name, chosen));
        }
    }
    out
}

fn set(form: &mut [(String, String)], name: &str, value: &str) {
    match form.iter_mut().find(|(k, _)| k == name) {
        Some(kv) => kv.1 = value.to_string(),
        None => panic!("no field {name} in the form"),
    }
}

fn with_action(form: &[(String, String)], action: &str) -> Vec<(String, String)> {
    let mut f = form.to_vec();
    f.push(("action".into(), action.into()));
    f
}

/// The message shown at input `id` (its `…-err` paragraph).
fn error_at(page: &str, id: &str) -> Option<String> {
    let pat = format!("id=\"{id}-err\">");
    let i = page.find(&pat)? + pat.len();
    let end = page[i..].find("</p>")?;
    Some(unescape(&page[i..i + end]))
}

async fn start(dir: &Path, player: Option<PathBuf>, timeout_s: u64) -> (Server, Client) {
    seed(dir);
    let s = Server::start(dir, |c| {
        c.player = player;
        c.preview_timeout_s = timeout_s;
    })
    .await;
    let admin = Client::login(&s, "tinh", PASSWORD).await;
    (s, admin)
}

/// A ticker-and-text layout saved through the API (for the tests that are
/// not about building one).
async fn api_layout(officer: &Client, unit: &str) -> String {
    let (st, v) = officer
        .post(
            &format!("/api/v1/units/{unit}/layouts"),
            json!({"name": "Bảng chợ", "layout": {
                "board": {"width": 384, "height": 192},
                "zone": [{"id": "chu", "x": 0, "y": 0, "width": 384, "height": 192,
                          "item": [{"type": "text", "body": "Họp dân lúc 8 giờ"}]}]
            }}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layout_from_a_template_through_the_form_with_versions_and_previews() {
    let player = player();
    let dir = tempfile::tempdir().unwrap();
    let (s, admin) = start(dir.path(), Some(player.clone()), 30).await;
    let api = user(&s, &admin, "bientap-a", "editor", COMMUNE_A).await;
    let picture = png(320, 180, 7);
    let (st, m) = api.upload(COMMUNE_A, "ruong.png", picture.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    let sha = m["sha256"].as_str().unwrap().to_string();
    let ui = Ui::login(&s, "bientap-a").await;

    // The list offers the templates; a template opens as a draft.
    let (_, list) = ui.get("/layouts").await;
    assert!(list.contains("data-test=\"template-picker\""));
    assert!(list.contains("value=\"main-ticker\""));
    let (st, page) = ui
        .get(&format!(
            "/layouts/new?unit={COMMUNE_A}&template=main-ticker&name=Bảng+trụ+sở"
        ))
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"zone-rect-1\""), "zones drawn on the board");
    assert!(page.contains("id=\"f-zone-1-height\""), "number fields for the zones");
    let mut form = form_fields(&page, "editor-form");
    assert!(form.iter().any(|(k, v)| k == "zone[1].item[0].type" && v == "ticker"));

    // Without script: add a picture to the main zone, move it first (↑).
    let (st, _, body) = ui.post("/layouts/edit", &with_action(&form, "add-item:0:image")).await;
    assert_eq!(st, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains(&format!("sha256:{sha}")),
        "the library's picture is offered"
    );
    form = form_fields(&page, "editor-form");
    set(&mut form, "zone[0].item[1].src", &format!("sha256:{sha}"));
    set(&mut form, "zone[0].item[1].fit", "fill");
    let (_, _, body) = ui.post("/layouts/edit", &with_action(&form, "up:0:1")).await;
    form = form_fields(&String::from_utf8(body).unwrap(), "editor-form");
    assert_eq!(
        form.iter().find(|(k, _)| k == "zone[0].item[0].type").unwrap().1,
        "image",
        "↑ moved the picture first"
    );

    // Exact sizes typed in the number fields.
    set(&mut form, "zone[0].height", "900");
    set(&mut form, "zone[1].y", "900");
    set(&mut form, "zone[1].height", "180");

    // Refused at the fields, nothing saved: a zone past the right edge and
    // a ticker too fast — the validator's own messages.
    let mut bad = form.clone();
    set(&mut bad, "zone[0].width", "2000");
    set(&mut bad, "zone[1].item[0].speed", "9000");
    let (st, _, body) = ui.post("/layouts/edit", &with_action(&bad, "save")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let page = String::from_utf8(body).unwrap();
    let at_width = error_at(&page, "f-zone-0-width").expect("an error at the zone's width");
    assert!(at_width.contains("mép phải"), "{at_width}");
    let at_speed = error_at(&page, "f-zone-1-item-0-speed").expect("an error at the ticker's speed");
    assert!(at_speed.contains("5000"), "{at_speed}");
    assert!(page.contains("value=\"9000\""), "what was typed stays");
    let (_, v) = api.get(&format!("/api/v1/units/{COMMUNE_A}/layouts")).await;
    assert_eq!(v.as_array().unwrap().len(), 0, "nothing saved: {v}");

    // A word where a number goes is refused at its field too.
    let mut bad = form.clone();
    set(&mut bad, "zone[0].x", "trái");
    let (st, _, body) = ui.post("/layouts/edit", &with_action(&bad, "save")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_at(&String::from_utf8(body).unwrap(), "f-zone-0-x").is_some());

    // Saved: version 1, as typed.
    let (st, loc, _) = ui.post("/layouts/edit", &with_action(&form, "save")).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let id = loc
        .strip_prefix("/layouts/")
        .and_then(|l| l.split('?').next())
        .unwrap()
        .to_string();
    let (_, rec) = api.get(&format!("/api/v1/layouts/{id}")).await;
    assert_eq!(rec["version"], 1);
    assert_eq!(rec["name"], "Bảng trụ sở");
    let zones = &rec["layout"]["zone"];
    assert_eq!(
        (zones[0]["height"].as_i64(), zones[1]["y"].as_i64()),
        (Some(900), Some(900))
    );
    assert_eq!(zones[0]["item"][0]["src"], format!("sha256:{sha}"));
    let (_, list) = ui.get("/layouts").await;
    assert!(list.contains("Bảng trụ sở") && list.contains(&format!("data-layout=\"{id}\"")));

    // A second version from the editor of the saved layout.
    let (st, page) = ui.get(&loc).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"editor-saved\""));
    let mut form = form_fields(&page, "editor-form");
    set(
        &mut form,
        "zone[1].item[0].text",
        "Lịch tiêm chủng: sáng thứ Bảy tại trạm y tế xã.",
    );
    set(&mut form, "zone[1].background", "#0b3d91");
    let (st, loc2, _) = ui.post("/layouts/edit", &with_action(&form, "save")).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(loc2, format!("/layouts/{id}?saved=2"));
    let (_, hist) = ui.get(&format!("/layouts/{id}/versions")).await;
    assert!(hist.contains("data-version=\"1\"") && hist.contains("data-version=\"2\""));
    assert!(hist.contains(&format!("/layouts/{id}/versions/1/preview.png")));

    // The preview is the player's own frame, to the pixel.
    let t0 = Instant::now();
    let (st, ct, bytes) = ui
        .get_bytes(&format!("/layouts/{id}/versions/2/preview.png?at=2026-11-23T14:05"))
        .await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(ct, "image/png");
    eprintln!("preview in {:?}", t0.elapsed());
    let served = image::load_from_memory(&bytes).unwrap().to_rgba8();
    assert_eq!(served.dimensions(), (1920, 1080));

    let (_, v2) = api.get(&format!("/api/v1/layouts/{id}/versions/2")).await;
    let raw: bangtin_layouts::raw::RawLayout = serde_json::from_value(v2["layout"].clone()).unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join(&sha), &picture).unwrap();
    std::fs::write(work.path().join("l.toml"), toml::to_string(&raw).unwrap()).unwrap();
    let out = work.path().join("own.png");
    let st = std::process::Command::new(&player)
        .arg("render")
        .arg("--layout")
        .arg(work.path().join("l.toml"))
        .args(["--at", "2026-11-23T14:05:00+07:00", "--out"])
        .arg(&out)
        .env_remove("DISPLAY")
        .status()
        .unwrap();
    assert!(st.success());
    let own = image::open(&out).unwrap().to_rgba8();
    assert_eq!(own.dimensions(), served.dimensions());
    let differing = own.pixels().zip(served.pixels()).filter(|(a, b)| a != b).count();
    assert_eq!(differing, 0, "the preview is bangtin-player render's frame");
    // The picture from the library is in it (not the grey "missing" panel):
    // the top-left zone is not one flat colour.
    let p0 = *own.get_pixel(100, 100);
    assert!((0..200).any(|x| *own.get_pixel(x, 300) != p0));

    // The draft's preview (the editor's button) draws the same frame.
    let mut draft = form_fields(&ui.get(&format!("/layouts/{id}")).await.1, "editor-form");
    set(&mut draft, "preview_at", "2026-11-23T14:05");
    let (st, _, bytes) = ui.post("/layouts/preview", &draft).await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let drawn = image::load_from_memory(&bytes).unwrap().to_rgba8();
    assert!(drawn.pixels().zip(own.pixels()).all(|(a, b)| a == b));

    // A draft the validator refuses is not drawn.
    set(&mut draft, "zone[1].item[0].speed", "-3");
    let (st, _, body) = ui.post("/layouts/preview", &draft).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8(body).unwrap().contains("zone[1].item[0].speed"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renderer_that_hangs_fails_or_is_missing_gives_a_clear_error_and_the_manager_serves_on() {
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let script = bin.path().join("fake-player");
    let mode = bin.path().join("mode");
    let pid_file = bin.path().join("pid");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > {}\ncase \"$(cat {})\" in\n  hang) exec sleep 30 ;;\n  *) echo 'hỏng rồi: boom' >&2; exit 1 ;;\nesac\n",
            pid_file.display(),
            mode.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (s, admin) = start(dir.path(), Some(script.clone()), 2).await;
    let id = api_layout(&admin, COMMUNE_A).await;
    user(&s, &admin, "bientap-a", "editor", COMMUNE_A).await;
    let ui = Ui::login(&s, "bientap-a").await;
    let path = format!("/layouts/{id}/versions/1/preview.png");

    std::fs::write(&mode, "hang").unwrap();
    let t0 = Instant::now();
    let (st, ct, body) = ui.get_bytes(&path).await;
    let took = t0.elapsed();
    assert_eq!(st, StatusCode::GATEWAY_TIMEOUT);
    assert!(ct.starts_with("text/html"));
    assert!(String::from_utf8(body).unwrap().contains("quá 2 giây"));
    assert!(took < Duration::from_secs(6), "{took:?}");
    // The hung renderer was killed and reaped, not left behind.
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "renderer {pid} still there"
    );
    let (st, _) = ui.get("/layouts").await;
    assert_eq!(st, StatusCode::OK, "the manager serves on");

    std::fs::write(&mode, "fail").unwrap();
    let (st, _, body) = ui.get_bytes(&path).await;
    assert_eq!(st, StatusCode::BAD_GATEWAY);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("không vẽ được") && page.contains("boom"), "{page}");

    std::fs::remove_file(&script).unwrap();
    let (st, _, body) = ui.get_bytes(&path).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains("BANGTIN_PLAYER") && page.contains("fake-player"),
        "{page}"
    );

    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_commune_sees_nothing_and_a_viewer_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (s, admin) = start(dir.path(), Some(PathBuf::from("/nonexistent/bangtin-player")), 5).await;
    let id = api_layout(&admin, COMMUNE_A).await;
    user(&s, &admin, "bientap-b", "editor", COMMUNE_B).await;
    user(&s, &admin, "xem-a", "viewer", COMMUNE_A).await;

    let b = Ui::login(&s, "bientap-b").await;
    for path in [
        format!("/layouts/{id}"),
        format!("/layouts/{id}/versions"),
        format!("/layouts/{id}/versions/1/preview.png"),
        format!("/layouts/new?unit={COMMUNE_A}&template=full"),
    ] {
        let (st, _) = b.get(&path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = b.get("/layouts").await;
    assert!(!list.contains(&id) && !list.contains("Bảng chợ"));
    // Saving over A's layout from B's session: as the API, not found.
    let form: Vec<(String, String)> = [
        ("id", id.as_str()),
        ("unit", COMMUNE_A),
        ("name", "chiếm"),
        ("board.width", "384"),
        ("board.height", "192"),
        ("action", "save"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (st, _, _) = b.post("/layouts/edit", &form).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The viewer reads, but saving is refused and nothing changes.
    let viewer = Ui::login(&s, "xem-a").await;
    let (st, page) = viewer.get(&format!("/layouts/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"editor-save\"") && page.contains(" disabled"));
    let mut f = form_fields(&page, "editor-form");
    set(&mut f, "name", "đổi tên");
    let (st, _, _) = viewer.post("/layouts/edit", &with_action(&f, "save")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    f.retain(|(k, _)| k != "id");
    let (st, _, _) = viewer.post("/layouts/edit", &with_action(&f, "save")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, v) = admin.get(&format!("/api/v1/units/{COMMUNE_A}/layouts")).await;
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0]["version"].as_i64(), v[0]["name"].as_str()),
        (Some(1), Some("Bảng chợ"))
    );

    // No player where the config says: a clear error, not a crash.
    let (st, _, body) = viewer.get_bytes(&format!("/layouts/{id}/versions/1/preview.png")).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
    assert!(String::from_utf8(body).unwrap().contains("/nonexistent/bangtin-player"));
    s.stop().await;
}
