//! The store's life cycle on real servers: backups taken while ingest goes on, restores, and
//! the refusals that protect a store in use.

mod support;

use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::graphql::Gql;
use support::{COMMUNITY_TOKEN, COMMUNITY_USER, TestApp, message, peba_command, spawn_app};

/// One alert whose request names it (`/probe-<n>`), received now.
fn probe(n: usize) -> String {
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S");
    format!(
        "<Alert><Analyzer id=\"glastopf-community-01\"/><CreateTime tz=\"+0000\">{now}</CreateTime>\
         <Source category=\"ipv4\" port=\"4711\" protocol=\"tcp\">8.8.8.8</Source>\
         <Target category=\"ipv4\" port=\"80\" protocol=\"tcp\">87.150.238.182</Target>\
         <Request type=\"url\">/probe-{n}</Request></Alert>"
    )
}

/// The number of the next probe: every alert a test sends is new.
static NEXT_PROBE: AtomicUsize = AtomicUsize::new(0);

/// Requests acknowledged, each with when its answer arrived.
type Acknowledged = Arc<Mutex<Vec<(Instant, String)>>>;

/// Submits messages of `per_message` probes from `senders` concurrent senders until `stop`.
async fn ingest_until(
    app: &TestApp,
    senders: usize,
    per_message: usize,
    stop: Instant,
) -> Acknowledged {
    let acknowledged: Acknowledged = Arc::default();
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let (client, url) = (
                app.client.clone(),
                app.url("/ews-0.1/alert/postSimpleMessage"),
            );
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                while Instant::now() < stop {
                    let first = NEXT_PROBE.fetch_add(per_message, Ordering::Relaxed);
                    let names: Vec<String> = (first..first + per_message)
                        .map(|n| format!("/probe-{n}"))
                        .collect();
                    let alerts: String = (first..first + per_message).map(probe).collect();
                    let body = message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts);
                    let response = client.post(&url).body(body).send().await.expect("request");
                    let ok = response.status() == 200
                        && response.text().await.expect("body").contains(">OK<");
                    assert!(ok, "ingest failed");
                    let at = Instant::now();
                    acknowledged
                        .lock()
                        .unwrap()
                        .extend(names.into_iter().map(|name| (at, name)));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("sender");
    }
    acknowledged
}

/// Every request string a server holds, read page by page through GraphQL.
async fn stored_requests(app: &TestApp) -> BTreeSet<String> {
    let gql = Gql::new(&app.url(""));
    let mut requests = BTreeSet::new();
    let mut after = serde_json::Value::Null;
    loop {
        let data = gql
            .data(
                "query($after: String) { alerts(domain: ALL, first: 500, after: $after) { \
                 nodes { request } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await;
        let page = &data["alerts"];
        for node in page["nodes"].as_array().expect("nodes") {
            requests.insert(node["request"].as_str().expect("request").to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return requests;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn run_ok(data_dir: &Path, args: &[&str]) -> String {
    let output = peba_command(data_dir, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "peba {args:?} failed: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_ingest_restores_every_alert_acknowledged_before_it() {
    let app = spawn_app(&[]).await;
    let backups = tempfile::tempdir().expect("temporary directory");
    let file = backups.path().join("peba-backup.sqlite3");
    let ingest_end = Instant::now() + Duration::from_secs(4);
    let backup_after = Duration::from_millis(1500);

    let ingest = ingest_until(&app, 4, 20, ingest_end);
    let take_backup = async {
        tokio::time::sleep(backup_after).await;
        let started = Instant::now();
        let (dir, target) = (app.data_path(), file.clone());
        let out = tokio::task::spawn_blocking(move || {
            run_ok(&dir, &["backup", target.to_str().expect("utf-8 path")])
        })
        .await
        .expect("backup task");
        (started, Instant::now(), out)
    };
    let (acknowledged, (started, finished, out)) = tokio::join!(ingest, take_backup);
    assert!(out.starts_with("backed up "), "{out}");
    let acknowledged = acknowledged.lock().unwrap().clone();
    let before: BTreeSet<String> = acknowledged
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, name)| name.clone())
        .collect();
    let after = acknowledged.iter().filter(|(at, _)| *at > finished).count();
    assert!(
        before.len() >= 100,
        "only {} alerts before the backup",
        before.len()
    );
    assert!(after > 0, "ingest did not go on after the backup");

    let restored = tempfile::tempdir().expect("temporary directory");
    let out = run_ok(
        restored.path(),
        &["restore", file.to_str().expect("utf-8 path")],
    );
    assert!(out.starts_with("restored "), "{out}");
    let server = support::spawn_on_dir(&support::backend::Backend::Embedded, restored, &[]);
    let requests = stored_requests(&server).await;
    let missing: Vec<_> = before.difference(&requests).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged alerts missing (the restored store holds {}), e.g. {:?}",
        missing.len(),
        before.len(),
        requests.len(),
        &missing[..missing.len().min(5)]
    );
    // The copy is one snapshot: nothing acknowledged after the backup ended is in it.
    let later: BTreeSet<String> = acknowledged
        .iter()
        .filter(|(at, _)| *at > finished)
        .map(|(_, name)| name.clone())
        .collect();
    assert!(
        requests.is_disjoint(&later),
        "the backup holds alerts stored after it ended"
    );
}

#[tokio::test]
async fn restore_refuses_a_directory_with_a_store_unless_told_to_replace_it_and_never_one_in_use() {
    let source = tempfile::tempdir().expect("temporary directory");
    run_ok(
        source.path(),
        &["user", "add", "analyst", "--token", "secret"],
    );
    let backups = tempfile::tempdir().expect("temporary directory");
    let file = backups.path().join("copy.sqlite3");
    let file_arg = file.to_str().expect("utf-8 path");
    run_ok(source.path(), &["backup", file_arg]);
    let again = peba_command(source.path(), &["backup", file_arg]);
    assert!(
        !again.status.success(),
        "a second backup overwrote the first"
    );

    let app = spawn_app(&[]).await;
    let refused = peba_command(&app.data_path(), &["restore", file_arg]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--replace"));
    let in_use = peba_command(&app.data_path(), &["restore", "--replace", file_arg]);
    assert!(!in_use.status.success());
    assert!(String::from_utf8_lossy(&in_use.stderr).contains("in use"));

    let dir = app.data_path();
    drop(app);
    // A store from before incremental auto-vacuum (the backup made like one) is converted by
    // the restore.
    let old_store = rusqlite::Connection::open(&file).expect("the backup opens");
    old_store
        .execute_batch("PRAGMA auto_vacuum = NONE; VACUUM;")
        .expect("written without auto-vacuum");
    drop(old_store);
    run_ok(&dir, &["restore", "--replace", file_arg]);
    let users = run_ok(&dir, &["user", "list"]);
    assert!(users.contains("analyst"), "{users}");
    assert_eq!(
        store_size(&dir).1,
        2,
        "the restored store returns freed space"
    );

    let not_a_store = backups.path().join("notes.txt");
    std::fs::write(&not_a_store, "not a database").expect("write");
    let empty = tempfile::tempdir().expect("temporary directory");
    let refused = peba_command(empty.path(), &["restore", not_a_store.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not a peba store"));
}

/// Bytes a process has handed to `write` calls so far (`wchar` of `/proc/PID/io`).
fn bytes_written(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("/proc/PID/io");
    io.lines()
        .find_map(|line| line.strip_prefix("wchar: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("wchar")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_write_ahead_log_stays_under_64_mib_while_ingest_writes_several_times_that() {
    const LIMIT: u64 = 64 << 20;
    let app = spawn_app(&[]).await;
    let wal = app.data_path().join("peba.sqlite3-wal");
    let largest = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (largest, sampling, wal) = (largest.clone(), sampling.clone(), wal.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                largest.fetch_max(size, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let start = bytes_written(app.pid());
    let give_up = Instant::now() + Duration::from_secs(240);
    let mut alerts = 0;
    while bytes_written(app.pid()) - start < 4 * LIMIT {
        assert!(Instant::now() < give_up, "ingest too slow to fill the log");
        let round = ingest_until(&app, 8, 50, Instant::now() + Duration::from_secs(2)).await;
        alerts += round.lock().unwrap().len();
    }
    sampling.store(false, Ordering::Relaxed);
    sampler.await.expect("sampler");
    let written = bytes_written(app.pid()) - start;
    let largest = largest.load(Ordering::Relaxed);
    eprintln!(
        "{alerts} alerts, {} MiB written, largest write-ahead log {} MiB",
        written >> 20,
        largest >> 20
    );
    assert!(largest > 0, "no write-ahead log seen at {}", wal.display());
    assert!(
        largest <= LIMIT,
        "the write-ahead log reached {largest} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_retention_deletes_old_alerts_in_the_background_and_keeps_new_ones() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let fixtures = support::in_process::compat_dir().join("fixtures/alerts.jsonl");
    let out = run_ok(
        dir.path(),
        &["import", fixtures.to_str().expect("utf-8 path")],
    );
    assert!(out.starts_with("imported 25,"), "{out}");
    let app = support::spawn_on_dir(
        &support::backend::Backend::Embedded,
        dir,
        &[("retention_days", "30"), ("log", "peba=info")],
    );
    let (status, body) = app
        .submit(message(COMMUNITY_USER, COMMUNITY_TOKEN, &probe(usize::MAX)))
        .await;
    assert_eq!((status, body.contains(">OK<")), (200, true), "{body}");
    let gql = Gql::new(&app.url(""));
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let data = gql.data("{ alertCount(domain: ALL) }", json!({})).await;
        if data["alertCount"] == json!(1) {
            break;
        }
        assert!(Instant::now() < give_up, "old alerts still there: {data}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let requests = stored_requests(&app).await;
    assert_eq!(requests, BTreeSet::from([format!("/probe-{}", usize::MAX)]));
    // The pass shows in the metrics once it has also returned the space.
    while app.metric("peba_retention_passes_total").await < 1.0 {
        assert!(
            Instant::now() < give_up,
            "the retention pass never completed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        app.metric("peba_retention_deleted_alerts_total").await,
        25.0
    );
}

/// A size-limited tmpfs mounted on a temporary directory, unmounted when dropped.
struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts `size` (`8m`); `None` with a notice when this process may not mount (not root),
    /// except under `CI`, which runs as root.
    fn mount(size: &str) -> Option<SmallDisk> {
        let mount = tempfile::tempdir().expect("temporary directory");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(mount.path())
            .stderr(std::process::Stdio::null())
            .status();
        if matches!(status, Ok(s) if s.success()) {
            return Some(SmallDisk { mount });
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must mount a tmpfs"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
        None
    }

    fn path(&self) -> &Path {
        self.mount.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.mount.path())
            .status();
    }
}

/// Submits one message of `per_message` probes; `Some(names)` when acknowledged, `None` on
/// 503 `Handling failed`; anything else fails the test.
async fn submit_probes(app: &TestApp, per_message: usize) -> Option<Vec<String>> {
    let first = NEXT_PROBE.fetch_add(per_message, Ordering::Relaxed);
    let alerts: String = (first..first + per_message).map(probe).collect();
    let (status, body) = app
        .submit(message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts))
        .await;
    match status {
        200 if body.contains(">OK<") => Some(
            (first..first + per_message)
                .map(|n| format!("/probe-{n}"))
                .collect(),
        ),
        503 if body.contains("Handling failed") => None,
        _ => panic!("unexpected answer {status}: {body}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_keeps_serving_reads_and_recovers_when_space_is_freed() {
    let Some(disk) = SmallDisk::mount("8m") else {
        return;
    };
    // Room to give back later.
    let reserve = disk.path().join("reserve");
    std::fs::write(&reserve, vec![1u8; 3 << 20]).expect("reserve");
    let data = tempfile::tempdir_in(disk.path()).expect("data directory");
    let database = data.path().join(peba::store::embedded::DATABASE_FILE);
    let app = support::spawn_on_dir(&support::backend::Backend::Embedded, data, &[]);

    let mut acknowledged = BTreeSet::new();
    let mut refused = 0;
    for _ in 0..5000 {
        match submit_probes(&app, 50).await {
            Some(names) => acknowledged.extend(names),
            None => refused += 1,
        }
        if refused >= 5 {
            break;
        }
    }
    assert!(refused >= 5, "the disk never filled");
    assert!(
        !acknowledged.is_empty(),
        "nothing was stored before the disk filled"
    );

    // Full: reads answer, the heartbeats say ingest is down.
    let heartbeat = app
        .get("/alert/heartbeat")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(heartbeat, "e", "ingest must be reported down");
    let gql = Gql::new(&app.url(""));
    let count = gql.data("{ alertCount(domain: ALL) }", json!({})).await;
    assert_eq!(count["alertCount"], json!(acknowledged.len()), "{count}");

    // Space freed: ingest recovers by itself.
    std::fs::remove_file(&reserve).expect("free space");
    let recovered = submit_probes(&app, 50)
        .await
        .expect("ingest after space was freed");
    acknowledged.extend(recovered);
    let heartbeat = app
        .get("/alert/heartbeat")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(heartbeat, "me");

    // Everything acknowledged is there, and nothing refused.
    let stored = stored_requests(&app).await;
    assert_eq!(stored, acknowledged);
    let conn = rusqlite::Connection::open_with_flags(
        &database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("database");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
}

#[tokio::test]
async fn start_up_and_migration_on_a_full_disk_fail_with_one_line_and_leave_the_store_intact() {
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    // A store of the previous layout (version 1), which start-up would migrate.
    let data = disk.path().join("data");
    let fixtures = support::in_process::compat_dir().join("fixtures/alerts.jsonl");
    run_ok(&data, &["import", fixtures.to_str().expect("utf-8 path")]);
    let database = data.join(peba::store::embedded::DATABASE_FILE);
    {
        let conn = rusqlite::Connection::open(&database).expect("database");
        conn.execute("DELETE FROM rollup WHERE tf = 0 AND dim IN (8, 9)", [])
            .expect("version 1 layout");
        conn.execute_batch(
            "DROP TRIGGER alert_text_insert; DROP TRIGGER alert_text_update; \
             DROP TRIGGER alert_text_delete; DROP TABLE alert_text;",
        )
        .expect("no search index before version 3");
        conn.pragma_update(None, "user_version", 1)
            .expect("version");
    }
    let before = std::fs::read(&database).expect("database");
    // Fill the disk.
    let filler = disk.path().join("filler");
    let mut file = std::fs::File::create(&filler).expect("filler");
    while std::io::Write::write_all(&mut file, &[0u8; 4096]).is_ok() {}
    drop(file);

    for dir in [data.clone(), disk.path().join("new")] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_peba"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(&dir)
            .env("PEBA_LOG", "off")
            .output()
            .expect("peba runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "started on a full disk");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("peba: cannot open the store:")
                && stderr.contains("no space left on the file system"),
            "{stderr}"
        );
    }
    std::fs::remove_file(&filler).expect("free space");
    assert_eq!(
        std::fs::read(&database).expect("database"),
        before,
        "the old store changed"
    );
    let conn = rusqlite::Connection::open(&database).expect("database");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 1);
}

/// The embedded store's logical size (pages times page size, write-ahead log included), its
/// auto-vacuum mode and its free pages, read beside the running server.
fn store_size(dir: &Path) -> (u64, i64, i64) {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("peba.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the store opens");
    let pragma = |name: &str| -> i64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .expect(name)
    };
    (
        (pragma("page_count") * pragma("page_size")) as u64,
        pragma("auto_vacuum"),
        pragma("freelist_count"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_returns_the_space_of_deleted_alerts_to_the_file_system() {
    use support::backend::Backend;
    // 10,000 alerts received on 1 July 2024 ...
    let app = spawn_app(&[("clock", "2024-07-01 00:00:00")]).await;
    for _ in 0..40 {
        let first = NEXT_PROBE.fetch_add(250, Ordering::Relaxed);
        let alerts: String = (first..first + 250).map(probe).collect();
        let (status, body) = app
            .submit(message(COMMUNITY_USER, COMMUNITY_TOKEN, &alerts))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (full, mode, _) = store_size(app.data_dir.path());
    assert_eq!(
        mode, 2,
        "a new store is created with incremental auto-vacuum"
    );
    let mut app = app;
    let data_dir = std::mem::replace(&mut app.data_dir, tempfile::tempdir().unwrap());
    drop(app);
    // ... are past a 30-day window on 1 September.
    let app = support::spawn_on_dir(
        &Backend::Embedded,
        data_dir,
        &[("clock", "2024-09-01 00:00:00"), ("retention_days", "30")],
    );
    let give_up = Instant::now() + Duration::from_secs(60);
    let emptied = loop {
        let (size, _, free_pages) = store_size(app.data_dir.path());
        if size * 2 < full && free_pages == 0 {
            break size;
        }
        assert!(
            Instant::now() < give_up,
            "the store still takes {size} bytes of {full}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let data = Gql::new(&app.url(""))
        .data("{ alertCount(domain: ALL) }", json!({}))
        .await;
    assert_eq!(data["alertCount"], 0);
    eprintln!("10,000 alerts took {full} bytes; after retention the store takes {emptied}");
}
