//! CAP 1.2 parsing and interpretation (`bangtin_manager::cap`): the shared
//! sample, languages, Update/Cancel chains, refusals of bad and hostile
//! documents, and fuzzing (no input panics).

use bangtin_manager::cap::{self, BadCap, CapAlert, MAX_BYTES, MAX_DEPTH, MsgType, Scope, Status};
use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;

/// `shared/samples/alert-storm.cap.xml`, verbatim.
const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-TN-2026-0917-001</identifier>
  <sender>htttn@thainguyen.example</sender>
  <sent>2026-09-17T06:30:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Bão số 3</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <effective>2026-09-17T06:30:00+07:00</effective>
    <expires>2026-09-18T18:00:00+07:00</expires>
    <senderName>Ban Chỉ huy Phòng chống thiên tai và Tìm kiếm cứu nạn tỉnh</senderName>
    <headline>Cảnh báo bão số 3: mưa rất to, nguy cơ lũ quét và sạt lở đất</headline>
    <description>Bão số 3 gây mưa rất to trên địa bàn tỉnh từ chiều 17/9 đến hết ngày 18/9, lượng mưa phổ biến 150–250 mm. Nguy cơ cao xảy ra lũ quét, sạt lở đất tại các xã vùng núi.</description>
    <instruction>Không đi qua ngầm, tràn, suối khi có nước chảy xiết. Các hộ ở vùng nguy cơ sạt lở di chuyển đến nơi an toàn theo hướng dẫn của chính quyền xã.</instruction>
    <parameter><valueName>VN_RISK_LEVEL</valueName><value>3</value></parameter>
    <area>
      <areaDesc>Các xã huyện Định Hóa</areaDesc>
      <geocode><valueName>VN-ADMIN</valueName><value>05545</value></geocode>
      <geocode><valueName>VN-ADMIN</valueName><value>05548</value></geocode>
    </area>
  </info>
</alert>
"#;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// An alert with the given header fields after `scope` and the given body
/// (info blocks).
fn alert(status: &str, msg_type: &str, extra: &str, body: &str) -> String {
    format!(
        r#"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-TN-2026-0917-002</identifier>
  <sender>htttn@thainguyen.example</sender>
  <sent>2026-09-17T09:00:00+07:00</sent>
  <status>{status}</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>
  {extra}
  {body}
</alert>"#
    )
}

/// An info block with the given language, urgency and extra elements.
fn info(language: &str, urgency: &str, extra: &str) -> String {
    format!(
        r#"<info>
    <language>{language}</language>
    <category>Met</category>
    <event>Storm</event>
    <urgency>{urgency}</urgency>
    <severity>Extreme</severity>
    <certainty>Observed</certainty>
    {extra}
  </info>"#
    )
}

fn refused(doc: &str) -> BadCap {
    match cap::parse(doc.as_bytes()) {
        Ok(a) => panic!("accepted, expected a refusal: {a:?}"),
        Err(e) => {
            // Every reason is Vietnamese followed by English in parentheses.
            assert!(e.reason.ends_with(')') && e.reason.contains(" ("), "reason form: {e}");
            e
        }
    }
}

fn ok(doc: &str) -> CapAlert {
    cap::parse(doc.as_bytes()).unwrap_or_else(|e| panic!("refused: {e}\n{doc}"))
}

#[test]
fn cap_sample_parses_to_expected_values() {
    let a = ok(SAMPLE);
    assert_eq!(a.identifier, "VN-TN-2026-0917-001");
    assert_eq!(a.sender, "htttn@thainguyen.example");
    assert_eq!(a.sent, t("2026-09-17T06:30:00+07:00"));
    assert_eq!(a.sent.offset().local_minus_utc(), 7 * 3600);
    assert_eq!(
        (a.status, a.msg_type, a.scope),
        (Status::Actual, MsgType::Alert, Scope::Public)
    );
    assert!(a.references.is_empty());
    assert!(a.goes_live());
    assert!(a.is_emergency());

    let i = a.board_info().unwrap();
    assert_eq!(i.language, "vi-VN");
    assert_eq!(i.category, ["Met"]);
    assert_eq!(i.event, "Bão số 3");
    assert_eq!(
        (i.urgency.as_str(), i.severity.as_str(), i.certainty.as_str()),
        ("Immediate", "Severe", "Likely")
    );
    assert_eq!(
        i.headline.as_deref(),
        Some("Cảnh báo bão số 3: mưa rất to, nguy cơ lũ quét và sạt lở đất")
    );
    assert!(i.description.as_deref().unwrap().starts_with("Bão số 3 gây mưa rất to"));
    assert!(
        i.instruction
            .as_deref()
            .unwrap()
            .ends_with("hướng dẫn của chính quyền xã.")
    );
    assert_eq!(
        i.sender_name.as_deref(),
        Some("Ban Chỉ huy Phòng chống thiên tai và Tìm kiếm cứu nạn tỉnh")
    );
    assert_eq!(i.effective, Some(t("2026-09-17T06:30:00+07:00")));
    assert_eq!(i.onset, None);
    assert_eq!(i.areas.len(), 1);
    assert_eq!(i.areas[0].desc, "Các xã huyện Định Hóa");

    assert_eq!(a.risk_level(), Some(3));
    assert_eq!(cap::risk_colour(3).map(|c| c.0), Some("#ff8c00"));
    assert_eq!(a.area_codes(), ["05545", "05548"]);
    assert_eq!(a.expires(), Some(t("2026-09-18T18:00:00+07:00")));
    assert_eq!(a.expires().unwrap().to_utc(), t("2026-09-18T11:00:00Z").to_utc());

    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["status"], "actual");
    assert_eq!(json["msgType"], "alert");
    assert_eq!(json["info"][0]["areas"][0]["geocodes"][1][1], "05548");
}

#[test]
fn cap_risk_colours() {
    let colours: Vec<_> = (0..=6).map(cap::risk_colour).collect();
    assert_eq!(colours[0], None);
    assert_eq!(colours[6], None);
    // 1 light blue, 2 light yellow, 3 orange, 4 red, 5 purple.
    let rgb = |s: &str| {
        let v = u32::from_str_radix(&s[1..], 16).unwrap();
        ((v >> 16) as i32, ((v >> 8) & 0xff) as i32, (v & 0xff) as i32)
    };
    let (r, g, b) = rgb(colours[1].unwrap().0);
    assert!(b > r && b > 200 && g > 150, "light blue");
    let (r, g, b) = rgb(colours[2].unwrap().0);
    assert!(r > 220 && g > 220 && b < 200, "light yellow");
    let (r, g, b) = rgb(colours[3].unwrap().0);
    assert!(r > 230 && (100..200).contains(&g) && b < 60, "orange");
    let (r, g, b) = rgb(colours[4].unwrap().0);
    assert!(r > 180 && g < 60 && b < 60, "red");
    let (r, g, b) = rgb(colours[5].unwrap().0);
    assert!(r > 90 && b > 110 && g < 80, "purple");
    // Text colour readable: WCAG contrast ratio at least 4.5.
    let lum = |s: &str| {
        let (r, g, b) = rgb(s);
        let c = |x: i32| {
            let x = x as f64 / 255.0;
            if x <= 0.03928 {
                x / 12.92
            } else {
                ((x + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b)
    };
    for level in 1..=5 {
        let (bg, fg) = cap::risk_colour(level).unwrap();
        let (a, b) = (lum(bg), lum(fg));
        let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
        assert!(ratio >= 4.5, "level {level}: contrast {ratio:.2}");
    }
}

#[test]
fn cap_board_info_prefers_vietnamese() {
    let en = info("en-US", "Immediate", "<headline>Storm warning</headline>");
    let vi = info("vi-VN", "Immediate", "<headline>Cảnh báo bão</headline>");
    let a = ok(&alert("Actual", "Alert", "", &format!("{en}{vi}")));
    assert_eq!(a.info.len(), 2);
    assert_eq!(a.info[0].language, "en-US");
    assert_eq!(a.board_info().unwrap().headline.as_deref(), Some("Cảnh báo bão"));

    // Any case, and plain "vi".
    let vi = info("VI", "Immediate", "<headline>Cảnh báo bão</headline>");
    let a = ok(&alert("Actual", "Alert", "", &format!("{en}{vi}")));
    assert_eq!(a.board_info().unwrap().language, "VI");

    // No Vietnamese: the first; no language: en-US by default.
    let fr = info("fr-FR", "Immediate", "<headline>Tempête</headline>");
    let a = ok(&alert("Actual", "Alert", "", &format!("{fr}{en}")));
    assert_eq!(a.board_info().unwrap().headline.as_deref(), Some("Tempête"));
    let none = info("en-US", "Immediate", "").replace("<language>en-US</language>", "");
    let a = ok(&alert("Actual", "Alert", "", &none));
    assert_eq!(a.info[0].language, "en-US");

    // No info at all: nothing for the board.
    let a = ok(&alert("Actual", "Alert", "", ""));
    assert!(a.board_info().is_none());
    assert!(!a.is_emergency());
    assert_eq!(a.expires(), None);
}

#[test]
fn cap_emergency_needs_immediate_and_extreme_or_severe() {
    let a = ok(&alert("Actual", "Alert", "", &info("vi", "Expected", "")));
    assert!(!a.is_emergency());
    let a = ok(&alert("Actual", "Alert", "", &info("vi", "Immediate", "")));
    assert!(a.is_emergency());
    let moderate = info("vi", "Immediate", "").replace("Extreme", "Moderate");
    let a = ok(&alert("Actual", "Alert", "", &moderate));
    assert!(!a.is_emergency());
    // One emergency block among several is enough.
    let a = ok(&alert(
        "Actual",
        "Alert",
        "",
        &format!("{moderate}{}", info("en", "Immediate", "")),
    ));
    assert!(a.is_emergency());
}

#[test]
fn cap_update_and_cancel_carry_reference_triples() {
    let refs = "<references>htttn@thainguyen.example,VN-TN-2026-0917-001,2026-09-17T06:30:00+07:00 \
                \n  other@example.vn,X-1,2026-09-16T23:00:00-00:00</references>";
    let a = ok(&alert("Actual", "Update", refs, &info("vi", "Immediate", "")));
    assert_eq!(a.msg_type, MsgType::Update);
    assert_eq!(a.references.len(), 2);
    assert_eq!(a.references[0].sender, "htttn@thainguyen.example");
    assert_eq!(a.references[0].identifier, "VN-TN-2026-0917-001");
    assert_eq!(a.references[0].sent, t("2026-09-17T06:30:00+07:00"));
    assert_eq!(a.references[1].identifier, "X-1");
    // "-00:00" is UTC.
    assert_eq!(a.references[1].sent.offset().local_minus_utc(), 0);
    assert_eq!(a.references[1].sent, t("2026-09-16T23:00:00Z"));

    let refs = "<references>htttn@thainguyen.example,VN-TN-2026-0917-001,2026-09-17T06:30:00+07:00</references>";
    let a = ok(&alert(
        "Actual",
        "Cancel",
        &format!("{refs}<note>Bão đã tan</note>"),
        "",
    ));
    assert_eq!(a.msg_type, MsgType::Cancel);
    assert_eq!(a.references[0].identifier, "VN-TN-2026-0917-001");
    assert_eq!(a.note.as_deref(), Some("Bão đã tan"));

    for kind in ["Cancel", "Update"] {
        let e = refused(&alert("Actual", kind, "", ""));
        assert_eq!(e.path, "alert/references", "{e}");
        assert!(e.reason.contains(kind), "{e}");
        let e = refused(&alert("Actual", kind, "<references>  </references>", ""));
        assert_eq!(e.path, "alert/references", "{e}");
    }

    // Malformed triples.
    for bad in [
        "a,b",
        "a,b,c,d",
        "a,,2026-09-17T06:30:00+07:00",
        "a,b,2026-09-17T06:30:00",
        "a,b,yesterday",
    ] {
        let e = refused(&alert(
            "Actual",
            "Cancel",
            &format!("<references>{bad}</references>"),
            "",
        ));
        assert_eq!(e.path, "alert/references", "{bad}: {e}");
    }
}

#[test]
fn cap_only_actual_goes_live() {
    for (status, live) in [
        ("Actual", true),
        ("Test", false),
        ("Exercise", false),
        ("System", false),
        ("Draft", false),
    ] {
        let a = ok(&alert(status, "Alert", "", &info("vi", "Immediate", "")));
        assert_eq!(a.goes_live(), live, "{status}");
    }
    let a = ok(&SAMPLE.replace("<status>Actual", "<status>Test"));
    assert_eq!(a.status, Status::Test);
    assert!(!a.goes_live());
    // Still interpreted, for previews.
    assert!(a.is_emergency());
    assert_eq!(a.risk_level(), Some(3));
}

#[test]
fn cap_accepted_variants() {
    // "Very Likely" (deprecated) is Likely; "Z" and fractions are accepted;
    // elements of other namespaces are ignored; CDATA and entities are text.
    let doc = SAMPLE
        .replace("<certainty>Likely", "<certainty>Very Likely")
        .replace("<sent>2026-09-17T06:30:00+07:00", "<sent>2026-09-16T23:30:00.250Z")
        .replace(
            "<headline>Cảnh báo bão số 3",
            "<headline><![CDATA[Cảnh báo <bão> số 3]]> &amp; &#x1EA1;",
        )
        .replace(
            "</alert>",
            r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><x/></Signature></alert>"#,
        );
    let a = ok(&doc);
    assert_eq!(a.info[0].certainty, "Likely");
    assert_eq!(a.sent, t("2026-09-16T23:30:00.250Z"));
    assert!(
        a.info[0]
            .headline
            .as_deref()
            .unwrap()
            .starts_with("Cảnh báo <bão> số 3 & ạ")
    );

    // Other accepted names for the risk level and admin codes; codes are
    // deduplicated over areas and info blocks; the highest level wins.
    let extra = |level: &str, code: &str| {
        format!(
            "<parameter><valueName>capDoRuiRo</valueName><value>{level}</value></parameter>\
             <parameter><valueName>other</valueName><value>7</value></parameter>\
             <area><areaDesc>A</areaDesc>\
               <geocode><valueName>vn_admin</valueName><value>{code}</value></geocode>\
               <geocode><valueName>SAME</valueName><value>999999</value></geocode>\
               <geocode><valueName>Admin</valueName><value>05545</value></geocode>\
             </area>"
        )
    };
    let a = ok(&alert(
        "Actual",
        "Alert",
        "",
        &format!(
            "{}{}",
            info("vi", "Immediate", &extra("2", "05548")),
            info(
                "en",
                "Immediate",
                &extra("4", "05551").replace("capDoRuiRo", "RISKLEVEL")
            )
        ),
    ));
    assert_eq!(a.risk_level(), Some(4));
    assert_eq!(a.area_codes(), ["05548", "05545", "05551"]);

    // No risk parameter: no level.
    let a = ok(&alert("Actual", "Alert", "", &info("vi", "Immediate", "")));
    assert_eq!(a.risk_level(), None);
    assert!(a.area_codes().is_empty());

    // expires: the latest over the blocks that give one.
    let a = ok(&alert(
        "Actual",
        "Alert",
        "",
        &format!(
            "{}{}{}",
            info("vi", "Immediate", "<expires>2026-09-18T18:00:00+07:00</expires>"),
            info("en", "Immediate", "<expires>2026-09-19T01:00:00-00:00</expires>"),
            info("fr", "Immediate", "")
        ),
    ));
    assert_eq!(a.expires(), Some(t("2026-09-19T01:00:00Z")));
}

#[test]
fn cap_malformed_xml_refused() {
    for doc in [
        "",
        "not xml",
        "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x</alert>",
        &SAMPLE[..SAMPLE.find("<instruction>").unwrap()],
        "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">&nbsp;</alert>",
    ] {
        let e = refused(doc);
        assert_eq!(e.path, "");
        assert!(e.reason.contains("XML") || e.reason.contains("thực thể"), "{e}");
    }
    let e = refused("<alert><identifier>x</alert>");
    assert!(e.reason.contains("XML không hợp lệ ở dòng 1"), "{e}");
    let e = refused(&SAMPLE.replace("<sender>", "<sender a=1>"));
    assert!(e.reason.contains("malformed XML"), "{e}");
    // Not UTF-8.
    let e = cap::parse(b"<alert>\xff\xfe</alert>").unwrap_err();
    assert!(e.reason.contains("UTF-8"), "{e}");
}

#[test]
fn cap_wrong_namespace_refused() {
    let e = refused(&SAMPLE.replace("cap:1.2", "cap:1.1"));
    assert_eq!(e.path, "alert");
    assert!(e.reason.contains("CAP 1.1 không được hỗ trợ"), "{e}");
    assert!(e.reason.contains("only CAP 1.2"), "{e}");
    let e = refused(&SAMPLE.replace(r#" xmlns="urn:oasis:names:tc:emergency:cap:1.2""#, ""));
    assert_eq!(e.path, "alert");
    assert!(e.reason.contains("thiếu không gian tên"), "{e}");
    let e = refused(&SAMPLE.replace("urn:oasis:names:tc:emergency:cap:1.2", "http://example.com/cap"));
    assert!(e.reason.contains("namespace must be"), "{e}");
    // Root other than alert.
    let e = refused(&SAMPLE.replace("<alert ", "<alarm ").replace("</alert>", "</alarm>"));
    assert!(e.reason.contains("alert"), "{e}");
}

#[test]
fn cap_missing_and_bad_fields_name_the_element() {
    let e = refused(&SAMPLE.replace("<identifier>VN-TN-2026-0917-001</identifier>", ""));
    assert_eq!(e.path, "alert/identifier");
    assert_eq!(e.reason, "thiếu trường identifier (missing identifier)");
    assert_eq!(
        e.to_string(),
        "alert/identifier: thiếu trường identifier (missing identifier)"
    );

    let cases: &[(&str, &str, &str, &str)] = &[
        // (from, to, expected path, expected text in reason)
        (
            "<identifier>VN-TN-2026-0917-001",
            "<identifier>VN TN",
            "alert/identifier",
            "khoảng trắng",
        ),
        ("<sender>htttn@", "<sender>a,b@", "alert/sender", "dấu phẩy"),
        (
            "<identifier>VN-TN-2026-0917-001",
            "<identifier>a&amp;b",
            "alert/identifier",
            "'&'",
        ),
        (
            "<identifier>VN-TN-2026-0917-001",
            "<identifier> ",
            "alert/identifier",
            "rỗng",
        ),
        (
            "<sent>2026-09-17T06:30:00+07:00",
            "<sent>2026-09-17T06:30:00",
            "alert/sent",
            "thiếu độ lệch múi giờ",
        ),
        (
            "<sent>2026-09-17T06:30:00+07:00",
            "<sent>17/09/2026 06:30",
            "alert/sent",
            "không hợp lệ",
        ),
        (
            "<sent>2026-09-17T06:30:00+07:00",
            "<sent>2026-02-30T06:30:00+07:00",
            "alert/sent",
            "không hợp lệ",
        ),
        (
            "<sent>2026-09-17T06:30:00+07:00",
            "<sent>2026-09-17T25:30:00+07:00",
            "alert/sent",
            "không hợp lệ",
        ),
        (
            "<expires>2026-09-18T18:00:00+07:00",
            "<expires>2026-09-18T18:00:00",
            "alert/info[0]/expires",
            "expires",
        ),
        (
            "<expires>2026-09-18T18:00:00+07:00",
            "<expires>2026-09-16T18:00:00+07:00",
            "alert/info[0]/expires",
            "before effective",
        ),
        ("<status>Actual", "<status>actual", "alert/status", "Actual, Exercise"),
        ("<msgType>Alert", "<msgType>Warning", "alert/msgType", "msgType"),
        ("<scope>Public", "<scope>Everyone", "alert/scope", "scope"),
        (
            "<urgency>Immediate",
            "<urgency>Now",
            "alert/info[0]/urgency",
            "giá trị urgency không hợp lệ \"Now\"",
        ),
        (
            "<severity>Severe",
            "<severity>Bad",
            "alert/info[0]/severity",
            "severity",
        ),
        (
            "<certainty>Likely",
            "<certainty>Sure",
            "alert/info[0]/certainty",
            "certainty",
        ),
        (
            "<category>Met",
            "<category>Weather",
            "alert/info[0]/category[0]",
            "category",
        ),
        (
            "<category>Met</category>",
            "",
            "alert/info[0]/category",
            "thiếu trường category",
        ),
        (
            "<event>Bão số 3</event>",
            "",
            "alert/info[0]/event",
            "thiếu trường event",
        ),
        (
            "<language>vi-VN",
            "<language>tiếng Việt",
            "alert/info[0]/language",
            "ngôn ngữ",
        ),
        ("<scope>Public", "<scope>Private", "alert/addresses", "Private"),
        (
            "<msgType>Alert</msgType>",
            "<msgType>Alert</msgType><msgType>Alert</msgType>",
            "alert/msgType",
            "nhiều lần",
        ),
        (
            "<identifier>",
            "<identifer>x</identifer><identifier>",
            "alert/identifer",
            "CAP 1.2",
        ),
        (
            "<sender>htttn@thainguyen.example",
            "<sender><b>x</b>",
            "alert/sender",
            "text only",
        ),
        (
            "<value>05548</value>",
            "<value>Định Hóa</value>",
            "alert/info[0]/area[0]/geocode[1]/value",
            "administrative-unit code",
        ),
        (
            "<geocode><valueName>VN-ADMIN</valueName><value>05548</value>",
            "<geocode><valueName>VN-ADMIN</valueName>",
            "alert/info[0]/area[0]/geocode[1]/value",
            "thiếu trường value",
        ),
        (
            "<areaDesc>Các xã huyện Định Hóa</areaDesc>",
            "",
            "alert/info[0]/area[0]/areaDesc",
            "areaDesc",
        ),
    ];
    for (from, to, path, reason) in cases {
        assert!(SAMPLE.contains(from), "{from}");
        let e = refused(&SAMPLE.replacen(from, to, 1));
        assert_eq!(e.path, *path, "{from} → {to}: {e}");
        assert!(e.reason.contains(reason), "{from} → {to}: {e}");
    }
}

#[test]
fn cap_risk_level_out_of_range_refused() {
    for bad in ["7", "0", "-1", "3.5", "ba", "", "300"] {
        let e = refused(&SAMPLE.replace("<value>3</value>", &format!("<value>{bad}</value>")));
        assert_eq!(e.path, "alert/info[0]/parameter[0]/value", "{bad}");
        assert!(e.reason.contains("1 đến 5") && e.reason.contains("1 to 5"), "{e}");
    }
    for good in ["1", "5", " 4 "] {
        let a = ok(&SAMPLE.replace("<value>3</value>", &format!("<value>{good}</value>")));
        assert_eq!(a.risk_level(), good.trim().parse().ok());
    }
}

#[test]
fn cap_entity_tricks_refused() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE alert [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>"#;
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE alert [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"#;
    let external_dtd = r#"<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://attacker.example/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"#;
    for doc in [laughs, external, external_dtd, "<!DOCTYPE alert><alert/>"] {
        let e = refused(doc);
        assert_eq!(e.path, "");
        assert!(e.reason.contains("DOCTYPE") && e.reason.contains("not allowed"), "{e}");
    }
    // An entity reference without a DTD is unknown.
    let e = refused(&SAMPLE.replace("VN-TN-2026-0917-001", "&xxe;"));
    assert!(e.reason.contains("&xxe;") && e.reason.contains("unknown entity"), "{e}");
}

#[test]
fn cap_oversize_refused() {
    let filler = "x".repeat(MAX_BYTES);
    let doc = SAMPLE
        .replace("<note>", "")
        .replace("</scope>", &format!("</scope><note>{filler}</note>"));
    assert!(doc.len() > MAX_BYTES);
    let e = refused(&doc);
    assert_eq!(e.path, "");
    assert!(e.reason.contains("quá lớn") && e.reason.contains("too large"), "{e}");
    // Just below the limit, the size is not the reason (the note is too long).
    let filler = "x".repeat(MAX_BYTES - SAMPLE.len() - 100);
    let doc = SAMPLE.replace("</scope>", &format!("</scope><note>{filler}</note>"));
    let e = refused(&doc);
    assert_eq!(e.path, "alert/note");
    assert!(e.reason.contains("too long"), "{e}");
    // Long text fields are bounded.
    let e = refused(&SAMPLE.replace("<headline>", &format!("<headline>{}", "a".repeat(500))));
    assert_eq!(e.path, "alert/info[0]/headline");
    let a = ok(&SAMPLE.replace("<description>Bão số 3", &format!("<description>{}", "đ".repeat(7000))));
    assert!(a.info[0].description.as_ref().unwrap().chars().count() > 7000);
    let e = refused(&SAMPLE.replace("<description>", &format!("<description>{}", "đ".repeat(8000))));
    assert_eq!(e.path, "alert/info[0]/description");
}

#[test]
fn cap_deep_nesting_refused() {
    // Just too deep, inside an otherwise valid alert.
    let open: String = (0..MAX_DEPTH - 1).map(|_| "<x>").collect();
    let close: String = (0..MAX_DEPTH - 1).map(|_| "</x>").collect();
    let doc = SAMPLE.replace("</scope>", &format!("</scope><y xmlns=\"urn:other\">{open}{close}</y>"));
    let e = refused(&doc);
    assert_eq!(e.path, "");
    assert!(
        e.reason.contains("quá sâu") && e.reason.contains("deeper than 16"),
        "{e}"
    );
    // One level less is fine (elements of other namespaces are ignored).
    let open: String = (0..MAX_DEPTH - 2).map(|_| "<x>").collect();
    let close: String = (0..MAX_DEPTH - 2).map(|_| "</x>").collect();
    let doc = SAMPLE.replace("</scope>", &format!("</scope><y xmlns=\"urn:other\">{open}{close}</y>"));
    ok(&doc);
    // Very deep (would exhaust a recursive parser's stack): refused quickly,
    // on a thread with a small stack.
    let deep: String = (0..80_000).map(|_| "<a>").collect();
    let deep = format!("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">{deep}");
    assert!(deep.len() <= MAX_BYTES);
    let e = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || cap::parse(deep.as_bytes()))
        .unwrap()
        .join()
        .unwrap()
        .unwrap_err();
    assert!(e.reason.contains("nested deeper"), "{e}");
    // Closing tags hidden in comments, CDATA and attribute values do not
    // lower the count.
    let tricks = "<a><!-- </a></a></a> --><a><![CDATA[</a></a>]]><a q=\"</a></a>\"><a>".repeat(5);
    let e = refused(&format!(
        "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">{tricks}"
    ));
    assert!(e.reason.contains("nested deeper"), "{e}");
}

#[test]
fn cap_counts_bounded() {
    let infos: String = (0..9).map(|_| info("vi", "Immediate", "")).collect();
    let e = refused(&alert("Actual", "Alert", "", &infos));
    assert_eq!(e.path, "alert/info[8]");
    let infos: String = (0..8).map(|_| info("vi", "Immediate", "")).collect();
    assert_eq!(ok(&alert("Actual", "Alert", "", &infos)).info.len(), 8);

    let area = |n: usize| {
        let codes: String = (0..n)
            .map(|k| format!("<geocode><valueName>VN-ADMIN</valueName><value>{k:05}</value></geocode>"))
            .collect();
        format!("<area><areaDesc>A</areaDesc>{codes}</area>")
    };
    let e = refused(&alert("Actual", "Alert", "", &info("vi", "Immediate", &area(1001))));
    assert_eq!(e.path, "alert/info[0]/area[0]/geocode[1000]");
    let a = ok(&alert("Actual", "Alert", "", &info("vi", "Immediate", &area(1000))));
    assert_eq!(a.area_codes().len(), 1000);
    assert_eq!(a.area_codes()[999], "00999");

    let areas: String = (0..65).map(|_| area(1)).collect();
    let e = refused(&alert("Actual", "Alert", "", &info("vi", "Immediate", &areas)));
    assert_eq!(e.path, "alert/info[0]/area[64]");
    let params: String = (0..65)
        .map(|k| format!("<parameter><valueName>p{k}</valueName><value>v</value></parameter>"))
        .collect();
    let e = refused(&alert("Actual", "Alert", "", &info("vi", "Immediate", &params)));
    assert_eq!(e.path, "alert/info[0]/parameter[64]");
}

/// Parse and, when accepted, check the invariants the rest of the manager
/// relies on.
fn parse_checked(body: &[u8]) {
    match cap::parse(body) {
        Ok(a) => {
            assert!(a.info.len() <= cap::MAX_INFOS);
            if let Some(level) = a.risk_level() {
                assert!(cap::risk_colour(level).is_some());
            }
            assert!(a.info.iter().all(|i| !i.category.is_empty()));
            let _ = a.area_codes();
            let _ = a.board_info();
            serde_json::to_string(&a).unwrap();
        }
        Err(e) => assert!(!e.reason.is_empty()),
    }
}

/// XML-ish fragments inserted by the structured mutations, to reach deeper
/// into validation than random bytes do.
const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<info>",
    "</info>",
    "<area>",
    "</area>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x110000;",
    "&",
    "\"",
    "'",
    "=",
    "<?x ?>",
    "<!DOCTYPE a>",
    "-00:00",
    "Z",
    "+99:99",
    "T",
    ",",
    " ",
    "\u{0}",
    "đ",
    "\u{feff}",
    "<value>7</value>",
    "<references>a,b,c</references>",
    "<msgType>Cancel</msgType>",
    "xmlns=\"urn:oasis:names:tc:emergency:cap:1.1\"",
    "<x:y>",
    "xmlns:x=\"u\"",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Fragment(usize, usize),
    Duplicate(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(p, v)| Mutation::Insert(p, v)),
        (any::<usize>(), 1..64usize).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(p, f)| Mutation::Fragment(p, f)),
        (any::<usize>(), 1..200usize, any::<usize>()).prop_map(|(p, n, q)| Mutation::Duplicate(p, n, q)),
    ]
}

fn apply(doc: &mut Vec<u8>, m: &Mutation) {
    let at = |p: usize, len: usize| p % (len + 1);
    match m {
        Mutation::Flip(p, b) => {
            if !doc.is_empty() {
                let i = p % doc.len();
                doc[i] ^= b | 1;
            }
        }
        Mutation::Truncate(p) => doc.truncate(at(*p, doc.len())),
        Mutation::Insert(p, v) => {
            let i = at(*p, doc.len());
            doc.splice(i..i, v.iter().copied());
        }
        Mutation::Delete(p, n) => {
            let i = at(*p, doc.len());
            let j = (i + n).min(doc.len());
            doc.drain(i..j);
        }
        Mutation::Fragment(p, f) => {
            let i = at(*p, doc.len());
            let frag = FRAGMENTS[f % FRAGMENTS.len()].as_bytes();
            doc.splice(i..i, frag.iter().copied());
        }
        Mutation::Duplicate(p, n, q) => {
            let i = at(*p, doc.len());
            let j = (i + n).min(doc.len());
            let piece = doc[i..j].to_vec();
            let k = at(*q, doc.len());
            doc.splice(k..k, piece);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn cap_fuzz_random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_checked(&body);
    }

    #[test]
    fn cap_fuzz_random_text_never_panics(s in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..64)) {
        let doc = format!("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">{}</alert>", s.concat());
        parse_checked(doc.as_bytes());
    }

    #[test]
    fn cap_fuzz_mutated_sample_never_panics(ms in prop::collection::vec(mutation(), 1..8)) {
        let mut doc = SAMPLE.as_bytes().to_vec();
        for m in &ms {
            apply(&mut doc, m);
        }
        parse_checked(&doc);
    }
}
