//! `peba import`: legacy documents in, ids and timestamps kept, bad lines reported.

mod support;

use support::*;

const HIT: &str = r#"{"_index":"ews-2024.06.24-000001","_type":"Alert","_id":"0123456789abcdef0123456789abcdef","_source":{"country":"PIR","countryName":"IANA Private IP Range","vulnid":"","originalRequestString":"","sourceEntryAS":"IANA","createTime":"2024-06-24 11:59:50","clientDomain":true,"peerIdent":"heralding-community-01","peerType":"Passwords(heralding)","client":"-","location":"0.0 , 0.0","locationDestination":"51.0585 , 8.7833","sourceEntryIp":"172.21.0.1","sourceEntryPort":"40000","additionalData":"{\"protocol\": \"ssh\"}","targetEntryIp":"87.150.238.182","targetEntryPort":"22","targetCountry":"DE","targetCountryName":"Germany","targetEntryAS":"AS3320 Deutsche Telekom AG","username":"root","password":"passw0rd","login":"","targetport":"tcp","clientVersion":"","sessionStart":"","sessionEnd":"","recievedTime":"2024-06-24 12:00:00","externalIP":"1.1.1.1","internalIP":"1.1.1.1","hostname":"liquidxtc","rawhttp":"-"}}"#;

fn run_import(dir: &std::path::Path, input: &str) -> (bool, String, String) {
    let file = dir.join("input.jsonl");
    std::fs::write(&file, input).unwrap();
    let out = peba_command(dir, &["import", file.to_str().unwrap()]);
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn hits_and_bare_documents_keep_their_ids_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let bare: serde_json::Value = serde_json::from_str(HIT).unwrap();
    let mut bare = bare["_source"].clone();
    bare["sourceEntryIp"] = "8.8.8.8".into();
    let (ok, stdout, stderr) = run_import(dir.path(), &format!("{HIT}\n\n{bare}\n"));
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "imported 2, duplicates 0, statistics 0, skipped 0"
    );

    let stored = stored_alerts(dir.path()).await;
    assert_eq!(stored.len(), 2);
    let hit = stored
        .iter()
        .find(|a| a.id == "0123456789abcdef0123456789abcdef")
        .expect("hit kept its id");
    assert_eq!(hit.recieved_time.format_legacy(), "2024-06-24 12:00:00");
    assert_eq!(hit.create_time.format_legacy(), "2024-06-24 11:59:50");
    assert_eq!(hit.additional_data, "{\"protocol\": \"ssh\"}");
    let expected: serde_json::Value = serde_json::from_str(HIT).unwrap();
    assert_eq!(
        hit.to_document(),
        expected["_source"],
        "every field as exported"
    );
    let derived = stored.iter().find(|a| a.id != hit.id).unwrap();
    assert_eq!(derived.id.len(), 32, "a bare document gets PEBA's id");
}

#[tokio::test]
async fn reimport_counts_duplicates_and_bad_lines_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run_import(dir.path(), HIT).0);
    let broken_time = HIT.replace("\"2024-06-24 11:59:50\"", "\"yesterday\"");
    let input =
        format!("{HIT}\nnot json\n[1,2]\n{broken_time}\n{{\"_id\":\"x\",\"_source\":{{}}}}\n");
    let (ok, stdout, stderr) = run_import(dir.path(), &input);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "imported 0, duplicates 1, statistics 0, skipped 4"
    );
    for line in [
        "line 2: skipped: not JSON",
        "line 3: skipped: not a JSON object",
        "line 4: skipped: not an alert document",
        "line 5: skipped: not an alert document",
    ] {
        assert!(stderr.contains(line), "{line} in {stderr}");
    }
    assert_eq!(stored_alerts(dir.path()).await.len(), 1);
}

#[tokio::test]
async fn statistics_documents_are_recognised_by_their_index() {
    let dir = tempfile::tempdir().unwrap();
    let stats = r#"{"_index":"statistics","_id":"s1","_source":{"UTCtimeFrom":"2019-01-22 15:00:00","UTCtimeTo":"2019-01-22 15:05:00","comm_totalRatio":1.7}}"#;
    let (ok, stdout, stderr) = run_import(dir.path(), stats);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "imported 0, duplicates 0, statistics 1, skipped 0"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = peba_command(dir.path(), &["import", "/nonexistent/export.jsonl"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open /nonexistent/export.jsonl"));
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peba"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("PEBA_DATA_DIR", dir.path())
        .env("PEBA_MAXALERTS", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PEBA_MAXALERTS"), "{stderr}");
}
