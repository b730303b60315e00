//! The layout editor's pages (`/layouts`) against a real manager: a layout
//! built from a template through the form, refusals at their fields,
//! versions, previews drawn by the real `bangtin-player` (pixel for pixel
//! what `bangtin-player render` draws), a renderer that hangs or fails, and
//! the API's scoping (another commune: 404; a viewer: no change).

use bangtin_tests::harness::manager::{COMMUNE_A, COMMUNE_B, Client, PASSWORD, Server, png, seed, user};
use bangtin_tests::harness::web::{WebClient, error_at, form_fields};
use reqwest::StatusCode;
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

/// An officer signed in through the sign-in page (an account an
/// administrator made changes its password first), the layouts open to them.
async fn sign_in(s: &Server, user: &str) -> WebClient {
    let ui = WebClient::sign_in_ready(s, user, PASSWORD, &format!("{PASSWORD}-mới")).await;
    let p = ui.get("/layouts").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    ui
}

/// A form's fields as [`WebClient::post`] takes them.
fn fields(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn set(form: &mut [(String, String)], name: &str, value: &str) {
    match form.iter_mut().find(|(k, _)| k == name) {
        Some(kv) => kv.1 = value.to_string(),
        None => panic!("no field {name} in the form"),
    }
}

/// The form as its button `action` posts it.
fn with_action<'a>(form: &'a [(String, String)], action: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut f = fields(form);
    f.push(("action", action));
    f
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
    let ui = sign_in(&s, "bientap-a").await;

    // The list offers the templates; a template opens as a draft.
    let list = ui.get("/layouts").await.body;
    assert!(list.contains("data-test=\"template-picker\""));
    assert!(list.contains("value=\"main-ticker\""));
    let p = ui
        .get(&format!(
            "/layouts/new?unit={COMMUNE_A}&template=main-ticker&name=Bảng+trụ+sở"
        ))
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"zone-rect-1\""), "zones drawn on the board");
    assert!(p.body.contains("id=\"f-zone-1-height\""), "number fields for the zones");
    let mut form = form_fields(&p.body, "editor-form");
    assert!(form.iter().any(|(k, v)| k == "zone[1].item[0].type" && v == "ticker"));

    // Without script: add a picture to the main zone, move it first (↑).
    let p = ui.post("/layouts/edit", &with_action(&form, "add-item:0:image")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains(&format!("sha256:{sha}")),
        "the library's picture is offered"
    );
    form = form_fields(&p.body, "editor-form");
    set(&mut form, "zone[0].item[1].src", &format!("sha256:{sha}"));
    set(&mut form, "zone[0].item[1].fit", "fill");
    let p = ui.post("/layouts/edit", &with_action(&form, "up:0:1")).await;
    form = form_fields(&p.body, "editor-form");
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
    let p = ui.post("/layouts/edit", &with_action(&bad, "save")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let at_width = error_at(&p.body, "f-zone-0-width").expect("an error at the zone's width");
    assert!(at_width.contains("mép phải"), "{at_width}");
    let at_speed = error_at(&p.body, "f-zone-1-item-0-speed").expect("an error at the ticker's speed");
    assert!(at_speed.contains("5000"), "{at_speed}");
    assert!(p.body.contains("value=\"9000\""), "what was typed stays");
    let (_, v) = api.get(&format!("/api/v1/units/{COMMUNE_A}/layouts")).await;
    assert_eq!(v.as_array().unwrap().len(), 0, "nothing saved: {v}");

    // A word where a number goes is refused at its field too.
    let mut bad = form.clone();
    set(&mut bad, "zone[0].x", "trái");
    let p = ui.post("/layouts/edit", &with_action(&bad, "save")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_at(&p.body, "f-zone-0-x").is_some());

    // Saved: version 1, as typed.
    let p = ui.post("/layouts/edit", &with_action(&form, "save")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let loc = p.location;
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
    let list = ui.get("/layouts").await.body;
    assert!(list.contains("Bảng trụ sở") && list.contains(&format!("data-layout=\"{id}\"")));

    // A second version from the editor of the saved layout.
    let p = ui.get(&loc).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"editor-saved\""));
    let mut form = form_fields(&p.body, "editor-form");
    set(
        &mut form,
        "zone[1].item[0].text",
        "Lịch tiêm chủng: sáng thứ Bảy tại trạm y tế xã.",
    );
    set(&mut form, "zone[1].background", "#0b3d91");
    let p = ui.post("/layouts/edit", &with_action(&form, "save")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location, format!("/layouts/{id}?saved=2"));
    let hist = ui.get(&format!("/layouts/{id}/versions")).await.body;
    assert!(hist.contains("data-version=\"1\"") && hist.contains("data-version=\"2\""));
    assert!(hist.contains(&format!("/layouts/{id}/versions/1/preview.png")));

    // The preview is the player's own frame, to the pixel.
    let t0 = Instant::now();
    let p = ui
        .get(&format!("/layouts/{id}/versions/2/preview.png?at=2026-11-23T14:05"))
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.content_type, "image/png");
    eprintln!("preview in {:?}", t0.elapsed());
    let served = image::load_from_memory(&p.bytes).unwrap().to_rgba8();
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
    let mut draft = form_fields(&ui.get(&format!("/layouts/{id}")).await.body, "editor-form");
    set(&mut draft, "preview_at", "2026-11-23T14:05");
    let p = ui.post("/layouts/preview", &fields(&draft)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let drawn = image::load_from_memory(&p.bytes).unwrap().to_rgba8();
    assert!(drawn.pixels().zip(own.pixels()).all(|(a, b)| a == b));

    // A draft the validator refuses is not drawn.
    set(&mut draft, "zone[1].item[0].speed", "-3");
    let p = ui.post("/layouts/preview", &fields(&draft)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("zone[1].item[0].speed"));
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
    let ui = sign_in(&s, "bientap-a").await;
    let path = format!("/layouts/{id}/versions/1/preview.png");

    std::fs::write(&mode, "hang").unwrap();
    let t0 = Instant::now();
    let p = ui.get(&path).await;
    let took = t0.elapsed();
    assert_eq!(p.status, StatusCode::GATEWAY_TIMEOUT);
    assert!(p.content_type.starts_with("text/html"));
    assert!(p.body.contains("quá 2 giây"));
    assert!(took < Duration::from_secs(6), "{took:?}");
    // The hung renderer was killed and reaped, not left behind.
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "renderer {pid} still there"
    );
    assert_eq!(ui.get("/layouts").await.status, StatusCode::OK, "the manager serves on");

    std::fs::write(&mode, "fail").unwrap();
    let p = ui.get(&path).await;
    assert_eq!(p.status, StatusCode::BAD_GATEWAY);
    let page = p.body;
    assert!(page.contains("không vẽ được") && page.contains("boom"), "{page}");

    std::fs::remove_file(&script).unwrap();
    let p = ui.get(&path).await;
    assert_eq!(p.status, StatusCode::SERVICE_UNAVAILABLE);
    let page = p.body;
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

    let b = sign_in(&s, "bientap-b").await;
    for path in [
        format!("/layouts/{id}"),
        format!("/layouts/{id}/versions"),
        format!("/layouts/{id}/versions/1/preview.png"),
        format!("/layouts/new?unit={COMMUNE_A}&template=full"),
    ] {
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let list = b.get("/layouts").await.body;
    assert!(!list.contains(&id) && !list.contains("Bảng chợ"));
    // Saving over A's layout from B's session: as the API, not found.
    let form = [
        ("id", id.as_str()),
        ("unit", COMMUNE_A),
        ("name", "chiếm"),
        ("board.width", "384"),
        ("board.height", "192"),
        ("action", "save"),
    ];
    assert_eq!(b.post("/layouts/edit", &form).await.status, StatusCode::NOT_FOUND);

    // The viewer reads, but saving is refused and nothing changes.
    let viewer = sign_in(&s, "xem-a").await;
    let p = viewer.get(&format!("/layouts/{id}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("id=\"editor-save\"") && p.body.contains(" disabled"));
    let mut f = form_fields(&p.body, "editor-form");
    set(&mut f, "name", "đổi tên");
    let p = viewer.post("/layouts/edit", &with_action(&f, "save")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    f.retain(|(k, _)| k != "id");
    let p = viewer.post("/layouts/edit", &with_action(&f, "save")).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let (_, v) = admin.get(&format!("/api/v1/units/{COMMUNE_A}/layouts")).await;
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0]["version"].as_i64(), v[0]["name"].as_str()),
        (Some(1), Some("Bảng chợ"))
    );

    // No player where the config says: a clear error, not a crash.
    let p = viewer.get(&format!("/layouts/{id}/versions/1/preview.png")).await;
    assert_eq!(p.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(p.body.contains("/nonexistent/bangtin-player"));
    s.stop().await;
}
