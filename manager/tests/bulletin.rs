//! The `bangtin.bulletin/1` reader: the shared sample, good variants, every
//! kind of bad input refused with its path, and fuzzing for panics.

use bangtin_manager::bulletin::{
    self, AreaLevel, BadBulletin, BoardItem, Bulletin, MAX_BYTES, MAX_DEPTH, Priority, SCHEMA, parse,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// `../shared/samples/bulletin-normal.json`, verbatim (the shared folder is
/// not part of the repository; `sample_is_the_shared_one` checks the copy).
const SAMPLE: &str = r#"{
  "schema": "bangtin.bulletin/1",
  "id": "b7d2c0de-3f41-4f0e-9a51-2f7a3c1e0a11",
  "version": 1,
  "source": { "system": "HTTTN tỉnh Thái Nguyên", "author": "Sở Văn hóa, Thể thao và Du lịch" },
  "priority": "normal",
  "category": "chính sách",
  "language": "vi",
  "title": "Lịch tiêm chủng mở rộng tháng 12/2026",
  "summary": "Trạm y tế xã tổ chức tiêm chủng cho trẻ dưới 5 tuổi vào sáng thứ Bảy, 05/12/2026, từ 7h30 đến 11h00.",
  "board": {
    "items": [
      { "type": "text", "headline": "Lịch tiêm chủng mở rộng", "body": "Trạm y tế xã tổ chức tiêm chủng cho trẻ dưới 5 tuổi vào sáng thứ Bảy, 05/12/2026, từ 7h30 đến 11h00. Phụ huynh mang theo sổ tiêm chủng.", "durationSec": 20 },
      { "type": "ticker", "text": "Tiêm chủng mở rộng: sáng thứ Bảy 05/12/2026 tại Trạm y tế xã — mang theo sổ tiêm chủng" }
    ]
  },
  "audio": { "tts": "Thông báo của Ủy ban nhân dân xã: Trạm y tế xã tổ chức tiêm chủng cho trẻ dưới 5 tuổi vào sáng thứ Bảy, ngày 5 tháng 12 năm 2026." },
  "targets": { "areas": [ { "level": "commune", "code": "05545" } ] },
  "schedule": {
    "validFrom": "2026-11-28T00:00:00+07:00",
    "validTo": "2026-12-05T11:00:00+07:00",
    "slots": [ { "start": "06:00", "end": "08:00" }, { "start": "17:00", "end": "20:00" } ]
  }
}
"#;

const HASH_A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const HASH_B: &str = "2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE";

fn sample() -> Value {
    serde_json::from_str(SAMPLE).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// The member at a dotted path with `[i]` indexes, e.g. `board.items[0]`.
fn slot<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
    let mut cur = v;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']').parse::<usize>().unwrap())),
            None => (part, None),
        };
        cur = cur.as_object_mut().unwrap().entry(name).or_insert(Value::Null);
        if let Some(i) = index {
            cur = &mut cur.as_array_mut().unwrap()[i];
        }
    }
    cur
}

/// The sample with the member at `path` set to `to`.
fn with(path: &str, to: Value) -> Vec<u8> {
    let mut v = sample();
    *slot(&mut v, path) = to;
    bytes(&v)
}

/// The sample without the member at `path` (a top-level or nested key).
fn without(path: &str) -> Vec<u8> {
    let mut v = sample();
    let (parent, key) = path.rsplit_once('.').map_or(("", path), |(p, k)| (p, k));
    let obj = if parent.is_empty() {
        &mut v
    } else {
        slot(&mut v, parent)
    };
    assert!(
        obj.as_object_mut().unwrap().remove(key).is_some(),
        "{path} not in the sample"
    );
    bytes(&v)
}

/// Asserts `body` is refused at `path` with a reason containing every one of
/// `words`, in the "Vietnamese (English)" form.
#[track_caller]
fn refused(body: &[u8], path: &str, words: &[&str]) -> BadBulletin {
    let e = match parse(body) {
        Ok(b) => panic!("accepted, expected refusal at {path}: {b:?}"),
        Err(e) => e,
    };
    assert_eq!(e.path, path, "wrong path; reason: {}", e.reason);
    for w in words {
        assert!(e.reason.contains(w), "reason of {path} lacks {w:?}: {}", e.reason);
    }
    assert!(
        e.reason.contains(" (") && e.reason.ends_with(')'),
        "reason is not 'Vietnamese (English)': {}",
        e.reason
    );
    assert_eq!(e.to_string(), format!("{}: {}", e.path, e.reason));
    e
}

#[test]
fn the_shared_sample_parses_to_its_values() {
    let b = parse(SAMPLE.as_bytes()).unwrap();
    assert_eq!(b.id, "b7d2c0de-3f41-4f0e-9a51-2f7a3c1e0a11");
    assert_eq!(b.version, 1);
    assert_eq!(b.priority, Priority::Normal);
    assert_eq!(b.source.system, "HTTTN tỉnh Thái Nguyên");
    assert_eq!(b.source.author.as_deref(), Some("Sở Văn hóa, Thể thao và Du lịch"));
    assert_eq!(b.category.as_deref(), Some("chính sách"));
    assert_eq!(b.language, "vi");
    assert_eq!(b.title, "Lịch tiêm chủng mở rộng tháng 12/2026");
    assert!(b.summary.as_deref().unwrap().starts_with("Trạm y tế xã"));
    assert_eq!(b.board.items.len(), 2);
    match &b.board.items[0] {
        BoardItem::Text {
            headline,
            body,
            duration_sec,
        } => {
            assert_eq!(headline.as_deref(), Some("Lịch tiêm chủng mở rộng"));
            assert!(body.ends_with("Phụ huynh mang theo sổ tiêm chủng."));
            assert_eq!(*duration_sec, Some(20.0));
        }
        other => panic!("first item: {other:?}"),
    }
    match &b.board.items[1] {
        BoardItem::Ticker { text, duration_sec } => {
            assert!(text.starts_with("Tiêm chủng mở rộng:"));
            assert_eq!(*duration_sec, None);
        }
        other => panic!("second item: {other:?}"),
    }
    assert!(
        b.audio
            .as_ref()
            .unwrap()
            .tts
            .as_deref()
            .unwrap()
            .starts_with("Thông báo")
    );
    assert_eq!(b.area_codes(), ["05545"]);
    assert_eq!(b.targets.areas[0].level, AreaLevel::Commune);
    assert!(b.targets.boards.is_empty());
    let s = &b.schedule;
    assert_eq!(s.slots.len(), 2);
    assert_eq!((s.slots[0].start.as_str(), s.slots[0].end.as_str()), ("06:00", "08:00"));
    assert_eq!(s.slots[1].minutes(), Some((17 * 60, 20 * 60)));
    let from = s.valid_from.unwrap();
    assert_eq!(from.offset().local_minus_utc(), 7 * 3600);
    assert_eq!(from.to_rfc3339(), "2026-11-28T00:00:00+07:00");
    assert_eq!(
        s.valid_to.unwrap().timestamp() - from.timestamp(),
        7 * 86400 + 11 * 3600
    );
    assert!(s.weekdays.is_empty() && s.repeats.is_none());
    assert_eq!(b.supersedes, None);
    assert!(!b.cancel);
    assert!(b.media().is_empty());
}

#[test]
fn sample_is_the_shared_one() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/bulletin-normal.json");
    if let Ok(text) = std::fs::read_to_string(shared) {
        assert_eq!(text, SAMPLE, "the shared sample changed; update SAMPLE");
    }
}

#[test]
fn a_priority_bulletin_lists_its_media() {
    let body = json!({
        "schema": SCHEMA, "id": "tn:2026:0042", "version": 3,
        "source": { "system": "HTTTN tỉnh Thái Nguyên" },
        "priority": "priority", "language": "vi-VN",
        "title": "  Cắt điện khu vực chợ  ",
        "board": { "items": [
            { "type": "image", "url": "https://cdn.example.vn/bando.png", "sha256": HASH_A, "durationSec": 12.5, "fit": "fill" },
            { "type": "text", "body": "Từ 8h đến 11h ngày 30/11.\r\nXin cảm ơn.\tUBND xã" },
            { "type": "video", "url": "http://media.example.vn:8080/v/huong-dan.mp4?sig=abc#t=1", "sha256": HASH_B }
        ]},
        "audio": { "url": "https://cdn.example.vn/thongbao.mp3", "sha256": HASH_A },
        "targets": { "areas": [ { "level": "province", "code": "19" }, { "level": "commune", "code": "05545" } ],
                     "boards": [ "brd_12" ] },
        "schedule": { "validFrom": "2026-11-30T01:00:00Z", "weekdays": [1, 3, 5], "repeats": 2,
                      "slots": [ { "start": "20:00", "end": "24:00" }, { "start": "07:00", "end": "08:00" } ] }
    });
    let b = parse(&bytes(&body)).unwrap();
    assert_eq!(b.priority, Priority::Priority);
    assert_eq!(b.title, "Cắt điện khu vực chợ", "texts are trimmed");
    assert_eq!(
        b.media(),
        [
            ("https://cdn.example.vn/bando.png", HASH_A),
            (
                "http://media.example.vn:8080/v/huong-dan.mp4?sig=abc#t=1",
                HASH_B.to_ascii_lowercase().as_str()
            ),
            ("https://cdn.example.vn/thongbao.mp3", HASH_A),
        ]
    );
    match &b.board.items[1] {
        BoardItem::Text {
            body,
            headline: None,
            duration_sec: None,
        } => {
            assert_eq!(
                body, "Từ 8h đến 11h ngày 30/11.\nXin cảm ơn.\tUBND xã",
                "CR LF becomes LF, tabs stay"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&b.board.items[0], BoardItem::Image { fit: Some(f), duration_sec: Some(d), .. } if f == "fill" && *d == 12.5)
    );
    assert_eq!(b.area_codes(), ["19", "05545"]);
    assert_eq!(b.targets.boards, ["brd_12"]);
    assert_eq!(b.schedule.weekdays, [1, 3, 5]);
    assert_eq!(b.schedule.repeats, Some(2));
    assert_eq!(b.schedule.valid_from.unwrap().offset().local_minus_utc(), 0);
    assert!(Priority::Emergency > Priority::Priority && Priority::Priority > Priority::Normal);
}

#[test]
fn cancel_and_supersede() {
    // A cancel needs neither board content nor targets.
    let cancel = json!({
        "schema": SCHEMA, "id": "b7d2c0de-3f41-4f0e-9a51-2f7a3c1e0a11", "version": 2,
        "source": { "system": "HTTTN tỉnh Thái Nguyên" }, "priority": "normal", "language": "vi",
        "title": "Hủy lịch tiêm chủng", "cancel": true
    });
    let b = parse(&bytes(&cancel)).unwrap();
    assert!(b.cancel);
    assert!(b.board.items.is_empty() && b.targets.areas.is_empty() && b.media().is_empty());
    let mut with_empty = cancel.clone();
    with_empty["board"] = json!({ "items": [] });
    with_empty["targets"] = json!({ "areas": [] });
    assert!(parse(&bytes(&with_empty)).unwrap().cancel);
    // Without `cancel`, the same document lacks content.
    let mut not_cancel = cancel.clone();
    not_cancel["cancel"] = json!(false);
    refused(&bytes(&not_cancel), "board", &["required"]);
    not_cancel["board"] = json!({ "items": [] });
    refused(&bytes(&not_cancel), "board.items", &["at least one item"]);
    refused(&with("cancel", json!("yes")), "cancel", &["true or false"]);

    let b = parse(&with("supersedes", json!("tn:2026:0041"))).unwrap();
    assert_eq!(b.supersedes.as_deref(), Some("tn:2026:0041"));
    refused(
        &with("supersedes", json!("b7d2c0de-3f41-4f0e-9a51-2f7a3c1e0a11")),
        "supersedes",
        &["itself"],
    );
    refused(&with("supersedes", json!("có dấu")), "supersedes", &["A–Z"]);
}

#[test]
fn serialising_gives_a_document_parse_accepts_again() {
    let b = parse(SAMPLE.as_bytes()).unwrap();
    let v = serde_json::to_value(&b).unwrap();
    assert_eq!(v["schema"], SCHEMA);
    assert_eq!(v["board"]["items"][0]["durationSec"], 20.0);
    assert_eq!(v["schedule"]["validFrom"], "2026-11-28T00:00:00+07:00");
    assert!(v.get("cancel").is_none() && v.get("supersedes").is_none());
    assert_eq!(parse(&bytes(&v)).unwrap(), b);
    // Records the manager stored itself read back with serde.
    assert_eq!(serde_json::from_value::<Bulletin>(v).unwrap(), b);
}

#[test]
fn the_openapi_schema_documents_the_wire_form() {
    use utoipa::{PartialSchema, ToSchema};
    let doc = serde_json::to_value(Bulletin::schema()).unwrap();
    let props: Vec<&str> = doc["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "schema",
        "id",
        "version",
        "source",
        "priority",
        "category",
        "language",
        "title",
        "summary",
        "board",
        "audio",
        "targets",
        "schedule",
        "supersedes",
        "cancel",
    ];
    let mut got = props.clone();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);
    let required: Vec<&str> = doc["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for r in ["schema", "id", "version", "source", "priority", "language", "title"] {
        assert!(required.contains(&r), "{r} not required in {required:?}");
    }
    for r in ["board", "targets", "schedule", "cancel", "audio"] {
        assert!(!required.contains(&r), "{r} should be optional");
    }
    let schema_member = doc["properties"]["schema"].to_string();
    assert!(
        schema_member.contains(r#""enum":["bangtin.bulletin/1"]"#),
        "{schema_member}"
    );
    let mut components = Vec::new();
    Bulletin::schemas(&mut components);
    let names: Vec<&str> = components.iter().map(|(n, _)| n.as_str()).collect();
    for n in [
        "BulletinItem",
        "BulletinSchedule",
        "BulletinTargets",
        "BulletinPriority",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
}

#[test]
fn malformed_json_says_where() {
    let body = "{\n  \"schema\": \"bangtin.bulletin/1\"\n  \"id\": \"x\"\n}";
    let e = refused(body.as_bytes(), "$", &["JSON", "dòng 3, cột 3", "line 3 column 3"]);
    assert!(e.is_document_level());
    refused(&SAMPLE.as_bytes()[..SAMPLE.find("\"board\"").unwrap()], "$", &["EOF"]);
    refused(b"", "$", &["malformed JSON"]);
    refused(format!("{SAMPLE} x").as_bytes(), "$", &["trailing"]);
    // Invalid UTF-8 inside a string.
    let mut bad = SAMPLE.as_bytes().to_vec();
    let at = SAMPLE.find("Lịch tiêm").unwrap();
    bad[at] = 0xFF;
    refused(&bad, "$", &["malformed JSON"]);
    for not_object in ["[]", "null", "42", "\"bangtin.bulletin/1\""] {
        refused(not_object.as_bytes(), "$", &["JSON object"]);
    }
    // A byte order mark is tolerated.
    let bom = [b"\xEF\xBB\xBF".as_slice(), SAMPLE.as_bytes()].concat();
    assert_eq!(parse(&bom).unwrap(), parse(SAMPLE.as_bytes()).unwrap());
}

#[test]
fn schema_must_be_ours() {
    refused(
        &with("schema", json!("bangtin.bulletin/2")),
        "schema",
        &["bangtin.bulletin/2", "supported schemas: bangtin.bulletin/1"],
    );
    refused(&without("schema"), "schema", &["missing", "bangtin.bulletin/1"]);
    refused(&with("schema", json!(1)), "schema", &["bangtin.bulletin/1"]);
    // Another schema is refused as such even with members ours lacks.
    let mut v = sample();
    v["schema"] = json!("cap-json/1");
    v["event"] = json!("storm");
    refused(&bytes(&v), "schema", &["cap-json/1"]);
}

#[test]
fn unknown_and_repeated_fields_are_named() {
    refused(
        &with("colour", json!("red")),
        "colour",
        &["\"colour\"", "unknown field", "title"],
    );
    refused(
        &with("board.items[0].colour", json!("red")),
        "board.items[0].colour",
        &["unknown field \"colour\"", "headline"],
    );
    refused(
        &with("targets.areas[0].name", json!("Xã A")),
        "targets.areas[0].name",
        &["unknown field \"name\""],
    );
    refused(
        &with("schedule.timezone", json!("Asia/Ho_Chi_Minh")),
        "schedule.timezone",
        &["unknown field"],
    );
    // An image member on a text item is unknown too.
    refused(
        &with("board.items[0].url", json!("https://a.vn/x.png")),
        "board.items[0].url",
        &["unknown field"],
    );
    // Keys are escaped and cut short in messages.
    let long = format!("x\u{7}{}", "y".repeat(500));
    let e = refused(
        &with(&long, json!(1)),
        &format!("x\\u{{7}}{}…", "y".repeat(62)),
        &["unknown field"],
    );
    assert!(e.reason.len() < 1000);
    // serde_json would keep the last of two titles; we refuse.
    let twice = SAMPLE.replacen("\"title\":", "\"title\": \"Khác\", \"title\":", 1);
    refused(twice.as_bytes(), "title", &["duplicate field \"title\""]);
    let twice = SAMPLE.replacen("\"code\": \"05545\"", "\"code\": \"05545\", \"code\": \"05546\"", 1);
    refused(twice.as_bytes(), "targets.areas[0].code", &["duplicate"]);
}

#[test]
fn required_members_and_types() {
    refused(&without("title"), "title", &["required"]);
    refused(&with("title", json!("   ")), "title", &["blank"]);
    refused(
        &with("title", json!("a".repeat(201))),
        "title",
        &["201 characters, at most 200"],
    );
    assert!(
        parse(&with("title", json!("ả".repeat(200)))).is_ok(),
        "length counts characters, not bytes"
    );
    refused(&with("title", Value::Null), "title", &["required"]);
    refused(&with("title", json!(12)), "title", &["must be a string, not a number"]);
    refused(&without("id"), "id", &["required"]);
    refused(&with("id", json!("a b")), "id", &["1–128"]);
    refused(&with("id", json!("x".repeat(129))), "id", &["1–128"]);
    refused(&with("id", json!("")), "id", &["1–128"]);
    refused(&with("version", json!(0)), "version", &["at least 1"]);
    refused(&with("version", json!(-1)), "version", &["non-negative integer"]);
    refused(&with("version", json!(1.5)), "version", &["integer"]);
    refused(&with("version", json!("1")), "version", &["integer"]);
    refused(
        &with("priority", json!("urgent")),
        "priority",
        &["\"urgent\"", "normal, priority or emergency"],
    );
    refused(
        &with("priority", json!("Emergency")),
        "priority",
        &["normal, priority or emergency"],
    );
    refused(&without("priority"), "priority", &["required"]);
    assert_eq!(
        parse(&with("priority", json!("emergency"))).unwrap().priority,
        Priority::Emergency
    );
    refused(&with("language", json!("Vietnamese")), "language", &["BCP 47"]);
    refused(&with("language", json!("vi_VN")), "language", &["BCP 47"]);
    refused(&without("language"), "language", &["required"]);
    refused(
        &with("source", json!("HTTTN")),
        "source",
        &["must be an object, not a string"],
    );
    refused(&without("source.system"), "source.system", &["required"]);
    refused(&with("summary", json!("s".repeat(1001))), "summary", &["at most 1000"]);
    refused(
        &with("board.items[0].body", json!("b".repeat(5001))),
        "board.items[0].body",
        &["at most 5000"],
    );
    refused(
        &with("board.items[1].text", json!("t".repeat(1001))),
        "board.items[1].text",
        &["at most 1000"],
    );
    refused(
        &with("board.items[1].text", json!("")),
        "board.items[1].text",
        &["blank"],
    );
    refused(
        &with("board.items[1].type", json!("marquee")),
        "board.items[1].type",
        &["\"marquee\"", "text, ticker, image or video"],
    );
    refused(&without("board.items[1].type"), "board.items[1].type", &["required"]);
    refused(
        &with("board.items[1]", json!("ticker")),
        "board.items[1]",
        &["must be an object"],
    );
    refused(&with("board.items", json!({})), "board.items", &["must be an array"]);
    // Blank optional texts are absent.
    assert_eq!(parse(&with("summary", json!(" "))).unwrap().summary, None);
    assert_eq!(parse(&with("category", Value::Null)).unwrap().category, None);
}

#[test]
fn durations_and_item_counts() {
    for bad in [json!(0), json!(-1), json!(3600.5), json!(1e300)] {
        refused(
            &with("board.items[0].durationSec", bad),
            "board.items[0].durationSec",
            &["(0, 3600]"],
        );
    }
    refused(
        &with("board.items[0].durationSec", json!("20")),
        "board.items[0].durationSec",
        &["number of seconds"],
    );
    assert!(parse(&with("board.items[0].durationSec", json!(3600))).is_ok());
    assert!(parse(&with("board.items[0].durationSec", json!(0.04))).is_ok());
    let item = json!({ "type": "ticker", "text": "Tin" });
    assert!(parse(&with("board.items", json!(vec![item.clone(); 20]))).is_ok());
    refused(
        &with("board.items", json!(vec![item; 21])),
        "board.items",
        &["at most 20 items, got 21"],
    );
}

fn image(url: &str, sha: &str) -> Value {
    json!([{ "type": "image", "url": url, "sha256": sha }])
}

#[test]
fn media_urls_and_hashes() {
    let p = "board.items[0].url";
    refused(
        &with("board.items", image("ftp://cdn.example.vn/a.png", HASH_A)),
        p,
        &["only http or https", "\"ftp\""],
    );
    refused(
        &with("board.items", image("file:///etc/passwd", HASH_A)),
        p,
        &["\"file\""],
    );
    refused(
        &with("board.items", image("https://user:mk@cdn.example.vn/a.png", HASH_A)),
        p,
        &["credentials"],
    );
    refused(
        &with("board.items", image("https://user@cdn.example.vn/a.png", HASH_A)),
        p,
        &["credentials"],
    );
    refused(
        &with("board.items", image("https://:mk@cdn.example.vn/a.png", HASH_A)),
        p,
        &["credentials"],
    );
    refused(
        &with("board.items", image("cdn.example.vn/a.png", HASH_A)),
        p,
        &["invalid URL"],
    );
    refused(
        &with("board.items", image("https://cdn.example.vn/a b.png", HASH_A)),
        p,
        &["spaces"],
    );
    refused(
        &with("board.items", image("https://cdn.example.vn/a.png\n", HASH_A)),
        p,
        &["control"],
    );
    refused(&with("board.items", image("", HASH_A)), p, &["blank"]);
    let long = format!("https://cdn.example.vn/{}", "a".repeat(2000));
    refused(&with("board.items", image(&long, HASH_A)), p, &["at most 2000"]);
    let p = "board.items[0].sha256";
    refused(
        &with("board.items", image("https://a.vn/x.png", &HASH_A[..63])),
        p,
        &["64 hex digits", "63"],
    );
    refused(
        &with(
            "board.items",
            image("https://a.vn/x.png", &format!("{}g", &HASH_A[..63])),
        ),
        p,
        &["64 hex digits"],
    );
    refused(
        &with("board.items", image("https://a.vn/x.png", &format!("{HASH_A}0"))),
        p,
        &["64 hex digits"],
    );
    refused(
        &with("board.items", json!([{ "type": "video", "url": "https://a.vn/x.mp4" }])),
        "board.items[0].sha256",
        &["required"],
    );
    refused(
        &with(
            "board.items[0]",
            json!({ "type": "image", "url": "https://a.vn/x.png", "sha256": HASH_A, "fit": "cover" }),
        ),
        "board.items[0].fit",
        &["fit, fill or stretch"],
    );
    // Audio: something to play, and a hash with every URL.
    refused(&with("audio", json!({})), "audio", &["tts or url"]);
    refused(&with("audio", json!({ "tts": "  " })), "audio", &["tts or url"]);
    refused(
        &with("audio", json!({ "url": "https://a.vn/x.mp3" })),
        "audio.sha256",
        &["requires sha256"],
    );
    refused(
        &with("audio", json!({ "tts": "Xin chào", "sha256": HASH_A })),
        "audio.sha256",
        &["only allowed with url"],
    );
    refused(
        &with("audio", json!({ "url": "ftp://a.vn/x.mp3", "sha256": HASH_A })),
        "audio.url",
        &["only http or https"],
    );
    let b = parse(&with(
        "audio",
        json!({ "tts": "Xin chào", "url": "https://a.vn/x.mp3", "sha256": HASH_B }),
    ))
    .unwrap();
    assert_eq!(
        b.media(),
        [("https://a.vn/x.mp3", HASH_B.to_ascii_lowercase().as_str())]
    );
}

#[test]
fn targets_by_level() {
    let area = |level: &str, code: Value| with("targets.areas[0]", json!({ "level": level, "code": code }));
    refused(
        &area("commune", json!("055450")),
        "targets.areas[0].code",
        &["commune code must be exactly 5 digits"],
    );
    refused(
        &area("commune", json!("0554")),
        "targets.areas[0].code",
        &["exactly 5 digits"],
    );
    refused(
        &area("commune", json!("0554a")),
        "targets.areas[0].code",
        &["exactly 5 digits"],
    );
    refused(
        &area("province", json!("05545")),
        "targets.areas[0].code",
        &["province code must be exactly 2 digits"],
    );
    refused(
        &area("commune", json!(5545)),
        "targets.areas[0].code",
        &["leading zeros"],
    );
    refused(
        &area("district", json!("123")),
        "targets.areas[0].level",
        &["province or commune"],
    );
    assert_eq!(parse(&area("province", json!("19"))).unwrap().area_codes(), ["19"]);
    refused(&with("targets", json!({})), "targets", &["at least one target"]);
    refused(
        &with("targets", json!({ "areas": [], "boards": [] })),
        "targets",
        &["at least one target"],
    );
    refused(&without("targets"), "targets", &["required"]);
    assert_eq!(
        parse(&with("targets", json!({ "boards": ["brd_1"] })))
            .unwrap()
            .targets
            .boards,
        ["brd_1"]
    );
    refused(
        &with("targets", json!({ "boards": [""] })),
        "targets.boards[0]",
        &["1–64"],
    );
    refused(
        &with("targets", json!({ "boards": ["b".repeat(65)] })),
        "targets.boards[0]",
        &["1–64"],
    );
    refused(
        &with("targets", json!({ "boards": ["brd_1", "brd_2", "brd_1"] })),
        "targets.boards[2]",
        &["duplicate of targets.boards[0]"],
    );
    let twice =
        json!({ "areas": [ { "level": "commune", "code": "05545" }, { "level": "commune", "code": "05545" } ] });
    refused(
        &with("targets", twice),
        "targets.areas[1]",
        &["duplicate of targets.areas[0]"],
    );
    let boards: Vec<String> = (0..5000).map(|i| format!("brd_{i}")).collect();
    assert_eq!(
        parse(&with("targets", json!({ "boards": boards })))
            .unwrap()
            .targets
            .boards
            .len(),
        5000
    );
    let mut boards = boards;
    boards.push("brd_x".into());
    refused(
        &with("targets", json!({ "boards": boards, "areas": [] })),
        "targets",
        &["at most 5000 targets", "5001"],
    );
}

#[test]
fn schedules() {
    refused(
        &with("schedule.validTo", json!("2026-11-27T23:00:00+07:00")),
        "schedule.validTo",
        &["after validFrom"],
    );
    refused(
        &with("schedule.validTo", json!("2026-11-28T00:00:00+07:00")),
        "schedule.validTo",
        &["after validFrom"],
    );
    // Same instant written with another offset is still not after.
    refused(
        &with("schedule.validTo", json!("2026-11-27T17:00:00Z")),
        "schedule.validTo",
        &["after validFrom"],
    );
    refused(
        &with("schedule.validFrom", json!("2026-11-28T00:00:00")),
        "schedule.validFrom",
        &["explicit UTC offset"],
    );
    refused(
        &with("schedule.validFrom", json!("2026-11-28")),
        "schedule.validFrom",
        &["explicit UTC offset"],
    );
    refused(
        &with("schedule.validFrom", json!("28/11/2026")),
        "schedule.validFrom",
        &["RFC 3339"],
    );
    refused(
        &with("schedule.validFrom", json!(1795000000)),
        "schedule.validFrom",
        &["must be a string"],
    );
    refused(
        &with("schedule.slots[0].start", json!("25:00")),
        "schedule.slots[0].start",
        &["between 00:00 and 23:59"],
    );
    refused(
        &with("schedule.slots[0].end", json!("25:00")),
        "schedule.slots[0].end",
        &["between 00:00 and 24:00"],
    );
    refused(
        &with("schedule.slots[0].start", json!("24:00")),
        "schedule.slots[0].start",
        &["23:59"],
    );
    refused(
        &with("schedule.slots[0].start", json!("6:00")),
        "schedule.slots[0].start",
        &["HH:MM"],
    );
    refused(
        &with("schedule.slots[0].start", json!("06:60")),
        "schedule.slots[0].start",
        &["HH:MM"],
    );
    refused(
        &with("schedule.slots[0].end", json!("06:00")),
        "schedule.slots[0].end",
        &["after start"],
    );
    refused(
        &with("schedule.slots[1]", json!({ "start": "07:30", "end": "09:00" })),
        "schedule.slots[1]",
        &["overlaps schedule.slots[0]"],
    );
    refused(
        &with("schedule.slots[0]", json!({ "start": "18:00", "end": "19:00" })),
        "schedule.slots[1]",
        &["overlaps schedule.slots[0]"],
    );
    assert!(
        parse(&with("schedule.slots[1]", json!({ "start": "08:00", "end": "24:00" }))).is_ok(),
        "touching slots"
    );
    refused(
        &with("schedule.weekdays", json!([1, 8])),
        "schedule.weekdays[1]",
        &["1 = Monday … 7 = Sunday"],
    );
    refused(
        &with("schedule.weekdays", json!([0])),
        "schedule.weekdays[0]",
        &["7 = Sunday"],
    );
    refused(
        &with("schedule.weekdays", json!(["Mon"])),
        "schedule.weekdays[0]",
        &["7 = Sunday"],
    );
    refused(
        &with("schedule.weekdays", json!([6, 7, 6])),
        "schedule.weekdays[2]",
        &["duplicate of schedule.weekdays[0]"],
    );
    refused(&with("schedule.repeats", json!(0)), "schedule.repeats", &["1–1000"]);
    refused(&with("schedule.repeats", json!(1001)), "schedule.repeats", &["1–1000"]);
    let slots: Vec<Value> = (0..49).map(|i| json!({ "start": format!("{:02}:{:02}", i / 3, (i % 3) * 20), "end": format!("{:02}:{:02}", i / 3, (i % 3) * 20 + 10) })).collect();
    refused(&with("schedule.slots", json!(slots)), "schedule.slots", &["at most 48"]);
    // No schedule at all: at once, all day, every day.
    let b = parse(&without("schedule")).unwrap();
    assert_eq!(b.schedule, bulletin::Schedule::default());
}

#[test]
fn control_characters_are_refused_in_texts() {
    refused(
        &with("title", json!("Bão\u{7} số 3")),
        "title",
        &["U+0007", "character 4"],
    );
    refused(
        &with("board.items[0].body", json!("a\u{1b}[31mđỏ")),
        "board.items[0].body",
        &["U+001B"],
    );
    refused(
        &with("board.items[1].text", json!("a\rb")),
        "board.items[1].text",
        &["U+000D"],
    );
    refused(&with("summary", json!("x\u{0}")), "summary", &["U+0000"]);
    refused(&with("source.author", json!("x\u{85}")), "source.author", &["U+0085"]);
    refused(&with("audio.tts", json!("x\u{202E}y")), "audio.tts", &["U+202E"]);
    refused(
        &with("board.items[0].headline", json!("\u{7f}")),
        "board.items[0].headline",
        &["U+007F"],
    );
    let b = parse(&with("board.items[0].body", json!("Dòng 1\nDòng 2\t(tab)"))).unwrap();
    assert!(matches!(&b.board.items[0], BoardItem::Text { body, .. } if body == "Dòng 1\nDòng 2\t(tab)"));
}

#[test]
fn huge_documents_are_refused_before_parsing() {
    let mut v = sample();
    v["summary"] = json!("x".repeat(MAX_BYTES));
    let body = bytes(&v);
    let e = refused(&body, "$", &["too large", &MAX_BYTES.to_string()]);
    assert!(e.reason.contains(&body.len().to_string()));
    // Just under the limit is read (and then refused for the summary).
    let mut v = sample();
    let room = MAX_BYTES - bytes(&v).len();
    v["summary"] = json!(format!("{}{}", " ".repeat(room - 10), "x".repeat(10 - 2)));
    assert!(bytes(&v).len() <= MAX_BYTES);
    assert_eq!(parse(&bytes(&v)).unwrap().summary.as_deref(), Some("xxxxxxxx"));
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    refused(arrays.as_bytes(), "$", &["nested deeper than 32", "line 1 column 33"]);
    let objects = "{\"a\":".repeat(10_000);
    refused(objects.as_bytes(), "$", &["nested deeper"]);
    // Inside an otherwise good document, on its own line.
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let body = SAMPLE.replacen("\"category\": \"chính sách\"", &format!("\"category\":\n {deep}"), 1);
    refused(body.as_bytes(), "$", &["dòng 8, cột 33", "line 8 column 33"]);
    // Brackets inside strings do not count.
    assert!(parse(&with("title", json!("[".repeat(100)))).is_ok());
    // At the limit, the member is refused for what it is, not for depth.
    let ok_depth = format!("{}1{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
    let body = SAMPLE.replacen("\"chính sách\"", &ok_depth, 1);
    refused(body.as_bytes(), "category", &["must be a string, not an array"]);
}

// ---------------------------------------------------------------------------
// Fuzzing: nothing panics, and what is accepted survives a round trip.

/// Parse; if accepted, serialising and parsing again gives the same bulletin.
fn check(body: &[u8]) {
    if let Ok(b) = parse(body) {
        let again = parse(&serde_json::to_vec(&b).unwrap());
        assert_eq!(
            again.as_ref(),
            Ok(&b),
            "round trip of {}",
            String::from_utf8_lossy(body)
        );
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e4f64..1e4).prop_map(|n| json!(n)),
        prop_oneof![
            Just("normal"),
            Just("emergency"),
            Just("commune"),
            Just("05545"),
            Just("19"),
            Just("24:00"),
            Just("12:30"),
            Just("https://a.vn/x.png"),
            Just("2026-12-01T00:00:00+07:00"),
            Just("text"),
            Just("image"),
            Just("video"),
            Just("ticker"),
            Just(HASH_A),
            Just("  "),
            Just("a\u{7}"),
        ]
        .prop_map(|s| json!(s)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("type".to_string()),
                        Just("url".to_string()),
                        Just("code".to_string()),
                        any::<String>()
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path of the sample's members and array elements.
fn sample_paths() -> Vec<String> {
    fn walk(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    out.push(p.clone());
                    walk(x, p, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    out.push(p.clone());
                    walk(x, p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&sample(), String::new(), &mut out);
    out
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Copy(usize, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (
            any::<usize>(),
            prop_oneof![Just(b'{'), Just(b'['), Just(b'"'), Just(b'\\'), Just(b','), any::<u8>()]
        )
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), any::<usize>(), 1usize..200).prop_map(|(a, b, n)| Edit::Copy(a, b, n)),
    ]
}

fn apply(body: &mut Vec<u8>, e: &Edit) {
    let len = body.len().max(1);
    match *e {
        Edit::Flip(i, b) if !body.is_empty() => body[i % len] = b,
        Edit::Insert(i, b) => body.insert(i % (body.len() + 1), b),
        Edit::Delete(i, n) if !body.is_empty() => {
            let i = i % len;
            body.drain(i..(i + n).min(body.len()));
        }
        Edit::Copy(a, b, n) if !body.is_empty() => {
            let a = a % len;
            let piece = body[a..(a + n).min(body.len())].to_vec();
            let b = b % (body.len() + 1);
            body.splice(b..b, piece);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&body);
    }

    #[test]
    fn byte_mutations_of_the_sample_never_panic(edits in prop::collection::vec(edit(), 1..8)) {
        let mut body = SAMPLE.as_bytes().to_vec();
        for e in &edits {
            apply(&mut body, e);
        }
        check(&body);
    }

    #[test]
    fn member_mutations_of_the_sample_never_panic(
        picks in prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..4),
        drop in any::<bool>(),
    ) {
        let paths = sample_paths();
        let mut v = sample();
        for (i, to) in picks {
            let p = i.get(&paths);
            if drop && !p.ends_with(']') {
                let (parent, key) = p.rsplit_once('.').unwrap_or(("", p));
                let obj = if parent.is_empty() { Some(&mut v) } else { get_mut(&mut v, parent) };
                if let Some(m) = obj.and_then(Value::as_object_mut) {
                    m.remove(key);
                }
            } else if let Some(target) = get_mut(&mut v, p) {
                *target = to;
            }
        }
        check(&bytes(&v));
    }
}

/// Like `slot`, but `None` where an earlier mutation changed the shape.
fn get_mut<'a>(v: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut cur = v;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']').parse::<usize>().ok()?)),
            None => (part, None),
        };
        cur = cur.as_object_mut()?.get_mut(name)?;
        if let Some(i) = index {
            cur = cur.as_array_mut()?.get_mut(i)?;
        }
    }
    Some(cur)
}
