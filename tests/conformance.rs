//! Conformance: the embedded store and the Elasticsearch store give equal answers to every
//! query family on the same data.
//!
//! Both stores are loaded with the same documents: the legacy fixtures
//! (`compat/fixtures/alerts.jsonl`, `statistics.jsonl`) and a seeded synthetic set spread over
//! ten days (ties on times and counts, both data domains, IPv4 and IPv6 sources, alternative
//! country labels, missing ports, `undefined` host names, non-ASCII and long strings). The
//! Elasticsearch store is rolled over to a new daily index between batches, and the last batch
//! re-writes alerts stored earlier, so its answers span several daily indices and replaced
//! documents. Then every `Store` and `QueryLayer` query family runs with many data domains,
//! time windows (both time fields, boundaries on exact alert times), term filters, source
//! networks, limits, histogram intervals and splits, and cursor paging, and each answer of the
//! Elasticsearch store must equal the embedded store's.
//!
//! Needs the test node (`PEBA_TEST_ELASTICSEARCH_URL`, see `tests/support/backend.rs`).

mod support;

use futures::{StreamExt, TryStreamExt};
use peba::domain::AttackerQuery;
use peba::domain::{
    Alert, AlertCursor, AlertFilter, AlertPage, CredentialCount, DataDomain, DerivedField,
    HistogramQuery, PortField, PortRange, SearchText, TermField, TimeField, TimeRange, Timestamp,
    UserName,
};
use peba::query::{Densify, QueryLayer, alert_stream};
use peba::store::elastic::ElasticStore;
use peba::store::embedded::EmbeddedStore;
use peba::store::{Store, WriteBatch};
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use support::backend::{Backend, elastic_url, unique_prefix};
use support::in_process::{compat_dir, read_alerts, read_documents, user};

/// SplitMix64: a small deterministic generator, so every run loads the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// An index skewed towards the start (some values are much more frequent).
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n as u64);
        let b = self.below(n as u64);
        a.min(b) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.skewed(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const BASE: &str = "2024-06-20 00:00:00";
const USERNAMES: [&str; 6] = ["root", "admin", "", "ubuntu", "üser 攻撃", "Root"];
const PASSWORDS: [&str; 6] = ["admin", "123456", "", "root", "pässwörd \"q\"", "Admin"];
const SYNTHETIC: usize = 4000;
/// Target ports as a sensor may send them: leading zeros, too many digits, not a number.
const ODD_PORTS: [&str; 6] = ["022", "00023", "000022", "8o", "22/tcp", "99999"];
/// Source AS texts close to `AS<n> <org>`: no organisation, a longer number, no space.
const ODD_AS: [&str; 5] = [
    "AS7",
    "AS71 Seventy-One",
    "AS7x Not Seven",
    "AS07 Leading Zero",
    "AS7-Dash",
];

fn ts(text: &str) -> Timestamp {
    Timestamp::parse_legacy(text).expect("time")
}

/// The seeded synthetic alerts.
fn synthetic(seed: u64, n: usize) -> Vec<Alert> {
    let mut rng = Rng(seed);
    let peer_types = [
        ("SSH/console(cowrie)", "cowrie"),
        ("Webpage", "glastopf"),
        ("Network(honeytrap)", "honeytrap"),
        ("Passwords(heralding)", "heralding"),
        ("Industrial(conpot)", "conpot"),
        ("Email(mailoney)", "mailoney"),
        ("Unclassified", "misc"),
    ];
    let countries = [
        ("US", "United States", "37.751 , -97.822"),
        ("CN", "China", "32.0617 , 118.7778"),
        ("DE", "Germany", "51.2993 , 9.491"),
        ("RU", "Russia", "55.7386 , 37.6068"),
        ("BR", "Brazil", "-22.8305 , -43.2192"),
        ("NL", "Netherlands", "52.3824 , 4.8995"),
        ("PIR", "IANA Private IP Range", "0.0 , 0.0"),
        ("-", "-", "0.0 , 0.0"),
        ("FR", "Frånce ü", "48.8582 , 2.3387"),
    ];
    let requests = [
        String::new(),
        "GET / HTTP/1.1".to_owned(),
        "['uname -a', 'cat /proc/cpuinfo']".to_owned(),
        "Attack on port 445/tcp".to_owned(),
        "POST /cgi-bin/ViewLog.asp \"quoted\" \\ back".to_owned(),
        "Ünïcödé 攻撃 😀".to_owned(),
        format!("GET /{} HTTP/1.0", "a".repeat(400)),
    ];
    let hostnames = ["tpot-a", "tpot-b", "undefined", "höst-ü", "tpot-c"];
    let targets: [IpAddr; 4] = [
        "87.150.238.182".parse().unwrap(),
        "87.150.238.183".parse().unwrap(),
        "2001:db8:ffff::1".parse().unwrap(),
        "10.0.0.7".parse().unwrap(),
    ];
    let ports = [
        Some("22"),
        Some("80"),
        Some("445"),
        None,
        Some("8080"),
        Some("23"),
    ];
    // 300 IPv4 sources in a few networks, 40 IPv6 ones.
    let mut sources: Vec<IpAddr> = Vec::new();
    for i in 0..300u32 {
        let net = [[8, 8], [222, 186], [185, 220], [1, 2]][(i % 4) as usize];
        sources.push(IpAddr::V4(Ipv4Addr::new(
            net[0],
            net[1],
            (i / 7 % 3) as u8,
            (i * 37 % 251) as u8,
        )));
    }
    for i in 0..40u16 {
        sources.push(IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            i % 3,
            0,
            0,
            0,
            0,
            i * 13 + 1,
        )));
    }
    let base = ts(BASE);
    (0..n)
        .map(|i| {
            let (peer_type, family) = *rng.pick(&peer_types);
            let ident = format!("{family}-community-0{}", rng.below(3) + 1);
            let (country, mut country_name, location) = *rng.pick(&countries);
            // Alternative labels: the smallest one wins on both stores.
            if country == "US" && rng.chance(5) {
                country_name = "USA";
            }
            if country == "DE" && rng.chance(5) {
                country_name = "Deutschland";
            }
            let (target_country, target_country_name, target_location) = *rng.pick(&countries);
            // Ten days; half the alerts on a 7 s grid, so that many share a second.
            let mut offset = rng.below(10 * 86_400) as i64;
            if rng.chance(50) {
                offset -= offset % 7;
            }
            let received = base.plus_seconds(offset);
            let created = match rng.below(10) {
                0 => received.plus_seconds(-(rng.below(3 * 86_400) as i64)),
                1 => received.plus_seconds(rng.below(120) as i64),
                _ => received.plus_seconds(-(rng.below(300) as i64)),
            };
            let source = *rng.pick(&sources);
            let mut port = rng.pick(&ports).map(str::to_owned);
            // Ports as sent that only look like numbers, every 53rd alert.
            if i % 53 == 0 {
                port = Some(ODD_PORTS[i / 53 % ODD_PORTS.len()].to_owned());
            }
            Alert {
                id: format!("syn{seed}-{i:05}"),
                country: country.into(),
                country_name: country_name.into(),
                vulnid: if rng.chance(3) {
                    format!("CVE-2017-{}", rng.below(5))
                } else {
                    String::new()
                },
                original_request_string: rng.pick(&requests).clone(),
                source_entry_as: match rng.below(10) {
                    0 => "-".to_owned(),
                    1 => "IANA".to_owned(),
                    2 => "AS3320 Deutsche Telekom AG".to_owned(),
                    3 if i % 5 == 0 => ODD_AS[i / 5 % ODD_AS.len()].to_owned(),
                    _ => format!("AS{} SOMEWHERE", rng.below(20)),
                },
                create_time: created,
                client_domain: rng.chance(70),
                peer_ident: ident,
                peer_type: peer_type.into(),
                client: "-".into(),
                location: location.into(),
                location_destination: target_location.into(),
                source_entry_ip: source,
                source_entry_port: Some((1024 + rng.below(60_000)).to_string()),
                additional_data: "{}".into(),
                target_entry_ip: *rng.pick(&targets),
                target_entry_port: port,
                target_country: target_country.into(),
                target_country_name: target_country_name.into(),
                target_entry_as: "AS3320 Deutsche Telekom AG".into(),
                username: rng.chance(50).then(|| rng.pick(&USERNAMES).to_string()),
                password: rng.chance(60).then(|| rng.pick(&PASSWORDS).to_string()),
                login: None,
                targetport: Some("tcp".into()),
                client_version: None,
                session_start: String::new(),
                session_end: String::new(),
                recieved_time: received,
                external_ip: "87.150.238.182".into(),
                internal_ip: "10.0.0.5".into(),
                hostname: rng.pick(&hostnames).to_string(),
                rawhttp: raw_http(i),
            }
        })
        .collect()
}

/// The raw HTTP request of the `i`-th synthetic alert: none for every fourth, else one of a
/// few user agents (header name in either case, one empty) in requests that differ per
/// alert, so that the stored texts outnumber a composite aggregation page.
fn raw_http(i: usize) -> String {
    const AGENTS: [&str; 5] = [
        "Mozilla/5.0 zgrab/0.x",
        "curl/8.0",
        "Ünï-agent/1 😀",
        "",
        "python-requests/2.31",
    ];
    if i.is_multiple_of(4) {
        return "-".into();
    }
    let name = if i.is_multiple_of(3) {
        "user-agent"
    } else {
        "User-Agent"
    };
    let agent = AGENTS[i / 4 % AGENTS.len()];
    format!("GET /{i} HTTP/1.1\r\nHost: h\r\n{name}: {agent}\r\nX-N: {i}\r\n\r\n")
}

/// One question, asked of both stores.
#[derive(Debug, Clone)]
enum Question {
    Count(AlertFilter),
    Terms(AlertFilter, TermField, usize),
    /// Terms without placeholders.
    Ranking(AlertFilter, TermField, usize),
    Credentials(AlertFilter, usize),
    /// Values read out of stored texts.
    Derived(AlertFilter, DerivedField, usize),
    Histogram(HistogramQuery, Densify),
    Latest(AlertFilter, TimeField, usize),
    Page(AlertPage),
    /// Every alert, page by page with cursors of the previous page's last alert.
    Walk(AlertFilter, TimeField, usize, usize),
    /// A page in the opposite order (backward paging).
    PageBack(AlertPage),
    /// Every alert, paging backward from the oldest (pages of `alerts_oldest_first`), given
    /// in listing order (newest first): must equal the [`Question::Walk`] with the same
    /// arguments.
    WalkBack(AlertFilter, TimeField, usize, usize),
    ById(Vec<String>),
    Installations(AlertFilter),
    Statistics(Timestamp, Timestamp),
    /// The attacker aggregation of the feeds.
    Attackers(AttackerQuery),
    /// Every alert as the exports stream it (ids in order).
    Export(AlertFilter, TimeField, Option<u64>),
}

/// The position of `alert` in a listing ordered by `field`.
fn cursor_of(alert: &Alert, field: TimeField) -> AlertCursor {
    AlertCursor {
        time: match field {
            TimeField::Created => alert.create_time,
            TimeField::Received => alert.recieved_time,
        },
        id: alert.id.clone(),
    }
}

/// The answer as text (answers of all families compared alike).
async fn answer(layer: &Arc<QueryLayer>, store: &dyn Store, q: &Question) -> String {
    fn show<T: Debug, E: Debug>(r: Result<T, E>) -> String {
        match r {
            Ok(v) => format!("{v:#?}"),
            Err(e) => format!("error: {e:?}"),
        }
    }
    match q {
        Question::Count(f) => show(layer.count(f).await),
        Question::Terms(f, field, limit) => show(layer.terms(f, *field, *limit).await),
        Question::Ranking(f, field, limit) => show(layer.ranking(f, *field, *limit).await),
        Question::Credentials(f, limit) => show(layer.credentials(f, *limit).await),
        Question::Derived(f, field, limit) => show(layer.derived_ranking(f, *field, *limit).await),
        Question::Histogram(h, densify) => show(layer.histogram(h, *densify).await),
        Question::Latest(f, field, limit) => show(layer.latest_alerts(f, *field, *limit).await),
        Question::Page(p) => show(store.alerts(p).await),
        Question::Walk(f, field, size, max_pages) => {
            let mut ids = Vec::new();
            let mut after = None;
            for _ in 0..*max_pages {
                let page = AlertPage {
                    filter: f.clone(),
                    order_by: *field,
                    limit: *size,
                    after: after.clone(),
                };
                let alerts = match store.alerts(&page).await {
                    Ok(a) => a,
                    Err(e) => return format!("error: {e:?}"),
                };
                let Some(last) = alerts.last() else { break };
                after = Some(cursor_of(last, *field));
                ids.extend(alerts.iter().map(|a| a.id.clone()));
                if alerts.len() < *size {
                    break;
                }
            }
            format!("{ids:?}")
        }
        Question::PageBack(p) => show(store.alerts_oldest_first(p).await),
        Question::WalkBack(f, field, size, max_pages) => {
            let mut ids = Vec::new();
            let mut after = None;
            for _ in 0..*max_pages {
                let page = AlertPage {
                    filter: f.clone(),
                    order_by: *field,
                    limit: *size,
                    after: after.clone(),
                };
                let alerts = match store.alerts_oldest_first(&page).await {
                    Ok(a) => a,
                    Err(e) => return format!("error: {e:?}"),
                };
                let Some(last) = alerts.last() else { break };
                after = Some(cursor_of(last, *field));
                ids.extend(alerts.iter().map(|a| a.id.clone()));
                if alerts.len() < *size {
                    break;
                }
            }
            ids.reverse();
            format!("{ids:?}")
        }
        Question::ById(ids) => show(store.alerts_by_id(ids).await),
        Question::Installations(f) => show(layer.installations(f).await),
        Question::Statistics(from, to) => show(layer.statistics(*from, *to).await),
        Question::Attackers(query) => show(layer.attacker_feed(query).await),
        Question::Export(f, field, limit) => {
            let pages: Result<Vec<Vec<Alert>>, _> =
                alert_stream(layer.clone(), f.clone(), *field, *limit)
                    .try_collect()
                    .await;
            show(pages.map(|pages| {
                pages
                    .iter()
                    .flatten()
                    .map(|a| a.id.clone())
                    .collect::<Vec<_>>()
            }))
        }
    }
}

const FIELDS: [TermField; 10] = [
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

/// Fields only the analyst rankings and filters use.
const ANALYST_FIELDS: [TermField; 4] = [
    TermField::Username,
    TermField::Password,
    TermField::SourceAs,
    TermField::Cve,
];

fn value_of(alert: &Alert, field: TermField) -> Option<String> {
    Some(match field {
        TermField::PeerType => alert.peer_type.clone(),
        TermField::PeerIdent => alert.peer_ident.clone(),
        TermField::SourceCountry => alert.country.clone(),
        TermField::TargetCountry => alert.target_country.clone(),
        TermField::SourceLocation => alert.location.clone(),
        TermField::TargetLocation => alert.location_destination.clone(),
        TermField::SourceIp => alert.source_entry_ip.to_string(),
        TermField::RequestString => alert.original_request_string.clone(),
        TermField::TargetPort => alert.target_entry_port.clone()?,
        TermField::Hostname => alert.hostname.clone(),
        TermField::Username => alert.username.clone()?,
        TermField::Password => alert.password.clone()?,
        TermField::SourceAs => alert.source_entry_as.clone(),
        TermField::Cve => alert.vulnid.clone(),
    })
}

/// Username/password pairs of `data` counted and ranked by hand.
fn count_pairs(data: &[Alert]) -> Vec<CredentialCount> {
    let mut counts: std::collections::BTreeMap<(String, Option<String>), u64> = Default::default();
    for a in data {
        if let Some(u) = a.username.clone().filter(|u| !u.is_empty()) {
            let p = a.password.clone().filter(|p| !p.is_empty());
            *counts.entry((u, p)).or_default() += 1;
        }
    }
    let mut pairs: Vec<CredentialCount> = counts
        .into_iter()
        .map(|((username, password), count)| CredentialCount {
            username,
            password,
            count,
        })
        .collect();
    pairs.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.username.cmp(&b.username))
            .then_with(|| a.password.cmp(&b.password))
    });
    pairs
}

/// The filters every family is asked with.
fn filters(data: &[Alert]) -> Vec<AlertFilter> {
    let base = ts(BASE);
    let h = |hours: i64| base.plus_seconds(hours * 3600);
    let mut times: Vec<Timestamp> = data.iter().map(|a| a.recieved_time).collect();
    times.sort();
    let at = |q: usize| times[(times.len() - 1) * q / 100];
    let windows: Vec<(TimeField, TimeRange)> = vec![
        (TimeField::Received, TimeRange::default()),
        (TimeField::Received, TimeRange::since(h(5 * 24))),
        (TimeField::Received, TimeRange::between(h(48), h(54))),
        // Bounds on exact alert times: `from` is inside, `to` is outside.
        (TimeField::Received, TimeRange::between(at(20), at(35))),
        (TimeField::Received, TimeRange::between(at(99), at(100))),
        (TimeField::Created, TimeRange::between(h(24), h(4 * 24))),
        (TimeField::Created, TimeRange::since(h(9 * 24 + 20))),
        (
            TimeField::Received,
            TimeRange::between(ts("2024-07-01 00:00:00"), ts("2024-07-01 00:20:00")),
        ),
        // Nothing there.
        (
            TimeField::Received,
            TimeRange::since(ts("2030-01-01 00:00:00")),
        ),
    ];
    let mut out = Vec::new();
    for domain in [DataDomain::Community, DataDomain::Private, DataDomain::All] {
        for (field, range) in &windows {
            out.push(AlertFilter::domain(domain).within(*field, *range));
        }
    }
    // Both windows at once.
    out.push(
        AlertFilter::domain(DataDomain::All)
            .within(TimeField::Received, TimeRange::since(h(3 * 24)))
            .within(TimeField::Created, TimeRange::between(h(2 * 24), h(6 * 24))),
    );
    // A term filter per field: a frequent value, a rare one, and one that is nowhere.
    let week = TimeRange::since(h(3 * 24));
    for (i, field) in FIELDS.iter().enumerate() {
        let frequent = data.iter().find_map(|a| value_of(a, *field));
        let rare = data
            .iter()
            .rev()
            .skip(i * 17)
            .find_map(|a| value_of(a, *field));
        for value in [frequent, rare, Some("no such value".to_owned())]
            .into_iter()
            .flatten()
        {
            out.push(AlertFilter::domain(DataDomain::All).matching(*field, value.clone()));
            out.push(
                AlertFilter::domain(DataDomain::Community)
                    .within(TimeField::Received, week)
                    .matching(*field, value),
            );
        }
    }
    for (i, field) in ANALYST_FIELDS.iter().enumerate() {
        let frequent = data.iter().find_map(|a| value_of(a, *field));
        let rare = data
            .iter()
            .rev()
            .skip(i * 23)
            .find_map(|a| value_of(a, *field));
        for value in [frequent, rare].into_iter().flatten() {
            out.push(AlertFilter::domain(DataDomain::All).matching(*field, value.clone()));
        }
    }
    out.push(
        AlertFilter::domain(DataDomain::All)
            .matching(TermField::PeerType, "SSH/console(cowrie)")
            .matching(TermField::SourceCountry, "US"),
    );
    // Lists: any of several values (an empty list matches nothing).
    let list = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>();
    out.push(
        AlertFilter::domain(DataDomain::All)
            .matching_any(TermField::SourceCountry, list(&["CN", "DE", "XX"])),
    );
    out.push(
        AlertFilter::domain(DataDomain::Community)
            .within(TimeField::Received, week)
            .matching_any(
                TermField::PeerType,
                list(&["Webpage", "SSH/console(cowrie)"]),
            )
            .matching_any(TermField::Username, list(&["root", "", "üser 攻撃"])),
    );
    out.push(AlertFilter::domain(DataDomain::All).matching_any(TermField::SourceCountry, vec![]));
    out.push(
        AlertFilter::domain(DataDomain::All)
            .matching(TermField::SourceCountry, "DE")
            .matching(TermField::TargetCountry, "DE")
            .matching(TermField::TargetPort, "22"),
    );
    for net in [
        "8.8.0.0/16",
        "222.186.1.0/24",
        "2001:db8::/32",
        "2001:db8:1::/48",
        "9.9.9.9/32",
    ] {
        let mut f = AlertFilter::domain(DataDomain::All);
        f.source_net = Some(net.parse().expect("network"));
        out.push(f.clone());
        out.push(f.within(TimeField::Received, week));
    }
    out.extend(search_filters());
    out
}

/// Filters with negations, AS numbers and port ranges (also checked against
/// [`AlertFilter::matches`]).
fn search_filters() -> Vec<AlertFilter> {
    let base = ts(BASE);
    let h = |hours: i64| base.plus_seconds(hours * 3600);
    let week = TimeRange::since(h(3 * 24));
    let all = || AlertFilter::domain(DataDomain::All);
    let not = |mut f: AlertFilter, sub: AlertFilter| {
        f.excluded.push(sub);
        f
    };
    let asns = |numbers: &[u32]| {
        let mut f = all();
        f.source_as_numbers = Some(numbers.to_vec());
        f
    };
    let ports = |field: PortField, from: u16, to: u16| {
        let mut f = all();
        f.port_ranges.push((field, PortRange { from, to }));
        f
    };
    let cowrie = all().matching(TermField::PeerType, "SSH/console(cowrie)");
    let ssh = ports(PortField::Target, 22, 23);
    let mut out = vec![
        not(all(), cowrie.clone()),
        not(all(), not(all(), cowrie.clone())),
        // Missing usernames and ports are kept by a negation.
        not(
            AlertFilter::domain(DataDomain::Community).within(TimeField::Received, week),
            all().matching(TermField::Username, "root"),
        ),
        not(all(), all().matching(TermField::TargetPort, "22")),
        not(all(), ssh.clone()),
        // Windows and domains inside a negation are negated too.
        not(
            all().within(TimeField::Received, week),
            all().within(TimeField::Created, TimeRange::between(h(4 * 24), h(5 * 24))),
        ),
        not(all(), AlertFilter::domain(DataDomain::Community)),
        not(
            AlertFilter::domain(DataDomain::Community),
            all()
                .matching_any(TermField::SourceCountry, vec!["CN".into(), "US".into()])
                .within(TimeField::Received, week),
        ),
        // An empty negated filter matches everything, so nothing is left.
        not(all(), all()),
        not(all(), asns(&[3320])),
        not(ssh.clone(), {
            let mut f = all();
            f.source_net = Some("8.8.0.0/16".parse().expect("network"));
            f
        }),
        not(
            all().matching(TermField::PeerType, "Webpage"),
            not(all(), all().matching(TermField::SourceCountry, "DE")),
        ),
        asns(&[3320]),
        asns(&[7]),
        asns(&[1, 7, 19, 3320]),
        asns(&[]),
        asns(&[4_294_967_295]),
        ssh.clone(),
        ports(PortField::Target, 0, 100),
        ports(PortField::Target, 8080, 8080),
        ports(PortField::Target, 444, 444),
        ports(PortField::Target, 0, u16::MAX),
        ports(PortField::Source, 1024, 20_000),
        ports(PortField::Source, 60_000, u16::MAX),
    ];
    let mut both = ssh.within(TimeField::Received, week);
    both.port_ranges.push((
        PortField::Source,
        PortRange {
            from: 30_000,
            to: 40_000,
        },
    ));
    both.source_as_numbers = Some(vec![3, 3320]);
    out.push(both.clone());
    out.push(not(both, cowrie));
    out.extend(text_filters());
    out
}

/// Free-text filters: a hit in each searched field, ASCII letters in either case, non-ASCII
/// compared exactly, quotes, backslashes, pattern and query syntax taken literally, inside
/// `not` and beside windows. The last four select nothing.
fn text_filters() -> Vec<AlertFilter> {
    let week = TimeRange::since(ts(BASE).plus_seconds(3 * 24 * 3600));
    let text = |t: &str| {
        let mut f = AlertFilter::domain(DataDomain::All);
        f.text = Some(SearchText::parse(t).expect("search text"));
        f
    };
    let not = |mut f: AlertFilter, sub: AlertFilter| {
        f.excluded.push(sub);
        f
    };
    vec![
        text("uname -a"),
        text("CPUINFO"),
        text("ubuntu"),
        text("123456"),
        text("rOOt"),
        text("['uname"),
        text("ViewLog.asp \"quoted\" \\ b"),
        text("sswörd \"q"),
        text("Ünïcödé 攻撃"),
        text(&"a".repeat(200)),
        text("Attack on port").within(TimeField::Received, week),
        not(AlertFilter::domain(DataDomain::Community), text("uname")),
        not(text("GET /"), text("HTTP/1.0")),
        text("ünïcödé"),
        text("View*.asp"),
        text("a\" OR \"b"),
        text("no such text"),
    ]
}

fn questions(data: &[Alert]) -> Vec<Question> {
    let mut qs = Vec::new();
    let filters = filters(data);
    for (i, f) in filters.iter().enumerate() {
        qs.push(Question::Count(f.clone()));
        qs.push(Question::Installations(f.clone()));
        for field in FIELDS {
            for limit in [1, 4, 1000] {
                qs.push(Question::Terms(f.clone(), field, limit));
            }
        }
        if i % 2 == 0 {
            for field in ANALYST_FIELDS {
                qs.push(Question::Terms(f.clone(), field, 1000));
                qs.push(Question::Ranking(f.clone(), field, 3));
            }
            qs.push(Question::Ranking(f.clone(), TermField::RequestString, 3));
            for field in [
                TermField::SourceCountry,
                TermField::TargetCountry,
                TermField::SourceLocation,
                TermField::TargetLocation,
            ] {
                qs.push(Question::Ranking(f.clone(), field, 3));
            }
            qs.push(Question::Credentials(f.clone(), 1));
            qs.push(Question::Credentials(f.clone(), 1000));
            for field in [DerivedField::UserAgent, DerivedField::HttpPath] {
                qs.push(Question::Derived(f.clone(), field, 3));
                qs.push(Question::Derived(f.clone(), field, 1000));
            }
        }
        // Histograms: every interval and split on a rotating subset of filters.
        let hist = |field, interval_seconds, split| HistogramQuery {
            filter: f.clone(),
            field,
            interval_seconds,
            split,
        };
        qs.push(Question::Histogram(
            hist(TimeField::Received, 3600, None),
            Densify::None,
        ));
        qs.push(Question::Histogram(
            hist(TimeField::Created, 86_400, Some((TermField::PeerType, 2))),
            Densify::BetweenData,
        ));
        if i % 3 == 0 {
            qs.push(Question::Histogram(
                hist(TimeField::Received, 300, Some((TermField::SourceIp, 3))),
                Densify::None,
            ));
            qs.push(Question::Histogram(
                hist(
                    TimeField::Received,
                    6 * 3600,
                    Some((TermField::SourceCountry, 5)),
                ),
                Densify::Extended {
                    from: ts("2024-06-18 00:00:00"),
                    to: ts("2024-07-02 00:00:00"),
                },
            ));
            qs.push(Question::Histogram(
                hist(TimeField::Created, 60, Some((TermField::TargetPort, 1000))),
                Densify::None,
            ));
        }
        qs.push(Question::Latest(f.clone(), TimeField::Received, 1));
        qs.push(Question::Latest(f.clone(), TimeField::Created, 12));
        qs.push(Question::Walk(f.clone(), TimeField::Received, 37, 8));
        for (k, (min_count, global_only, limit)) in [
            (1, true, 1000),
            (1, false, 5),
            (3, false, 1000),
            (2, true, 7),
        ]
        .into_iter()
        .enumerate()
        {
            if (i + k) % 2 == 0 {
                qs.push(Question::Attackers(AttackerQuery {
                    filter: f.clone(),
                    min_count,
                    global_only,
                    limit,
                }));
            }
        }
        if i % 5 == 0 {
            qs.push(Question::Export(f.clone(), TimeField::Received, None));
            qs.push(Question::Export(f.clone(), TimeField::Created, Some(1500)));
        }
        if i % 4 == 0 {
            qs.push(Question::Walk(f.clone(), TimeField::Created, 250, 40));
            qs.push(Question::WalkBack(f.clone(), TimeField::Created, 250, 40));
        }
        if i % 8 == 1 {
            qs.push(Question::Walk(f.clone(), TimeField::Received, 333, 40));
            qs.push(Question::WalkBack(f.clone(), TimeField::Received, 333, 40));
        }
    }
    // Cursors taken from the data, including ones on crowded seconds.
    let mut sorted: Vec<&Alert> = data.iter().collect();
    sorted.sort_by(|a, b| {
        b.recieved_time
            .cmp(&a.recieved_time)
            .then_with(|| b.id.cmp(&a.id))
    });
    for k in [0, 1, 13, 500, 2000, sorted.len() - 2] {
        let a = sorted[k.min(sorted.len() - 1)];
        for domain in [DataDomain::All, DataDomain::Community] {
            qs.push(Question::Page(AlertPage {
                filter: AlertFilter::domain(domain),
                order_by: TimeField::Received,
                limit: 25,
                after: Some(AlertCursor {
                    time: a.recieved_time,
                    id: a.id.clone(),
                }),
            }));
        }
        qs.push(Question::Page(AlertPage {
            filter: AlertFilter::domain(DataDomain::All),
            order_by: TimeField::Created,
            limit: 10,
            after: Some(AlertCursor {
                time: a.create_time,
                id: a.id.clone(),
            }),
        }));
        for (field, limit) in [(TimeField::Received, 25), (TimeField::Created, 10)] {
            qs.push(Question::PageBack(AlertPage {
                filter: AlertFilter::domain(DataDomain::All),
                order_by: field,
                limit,
                after: Some(cursor_of(a, field)),
            }));
        }
    }
    qs.push(Question::PageBack(AlertPage {
        filter: AlertFilter::domain(DataDomain::Community),
        order_by: TimeField::Received,
        limit: 40,
        after: None,
    }));
    // A cursor id that is not stored, on a stored second.
    qs.push(Question::Page(AlertPage {
        filter: AlertFilter::domain(DataDomain::All),
        order_by: TimeField::Received,
        limit: 30,
        after: Some(AlertCursor {
            time: sorted[100].recieved_time,
            id: "syn~".to_owned(),
        }),
    }));
    // By id: present, missing, repeated, in any order.
    let some: Vec<String> = data.iter().step_by(97).map(|a| a.id.clone()).collect();
    qs.push(Question::ById(some.clone()));
    let mut mixed = vec!["missing-1".to_owned()];
    mixed.extend(some.iter().rev().take(5).cloned());
    mixed.push(some[0].clone());
    mixed.push(String::new());
    qs.push(Question::ById(mixed));
    qs.push(Question::ById(Vec::new()));
    // Statistics windows (both bounds inclusive).
    for (from, to) in [
        ("2024-06-30 00:00:00", "2024-07-01 00:20:00"),
        ("2024-06-30 00:00:01", "2024-07-01 00:19:59"),
        ("2024-01-01 00:00:00", "2025-01-01 00:00:00"),
        ("2025-01-01 00:00:00", "2026-01-01 00:00:00"),
    ] {
        qs.push(Question::Statistics(ts(from), ts(to)));
    }
    qs
}

/// Loads the same data into both stores; the Elasticsearch one rolls over between batches.
async fn load(stores: &[Arc<dyn Store>], elastic: &ElasticStore) -> Vec<Alert> {
    let fixtures = compat_dir().join("fixtures");
    let legacy = read_alerts(&fixtures.join("alerts.jsonl"));
    let statistics = read_documents(&fixtures.join("statistics.jsonl"));
    let mut data = synthetic(7, SYNTHETIC);
    // The last batch re-writes 60 earlier alerts, changed.
    let mut rewritten: Vec<Alert> = data.iter().step_by(61).take(60).cloned().collect();
    for (i, a) in rewritten.iter_mut().enumerate() {
        a.peer_type = "Webpage".into();
        a.recieved_time = a.recieved_time.plus_seconds(i as i64 * 11);
    }
    let chunks: Vec<Vec<Alert>> = data.chunks(SYNTHETIC / 3 + 1).map(<[_]>::to_vec).collect();
    let mut batches = vec![legacy.clone()];
    batches.extend(chunks);
    batches.push(rewritten.clone());
    let today = chrono::Utc::now().date_naive();
    for (day, batch) in batches.into_iter().enumerate() {
        // A new daily index for every batch (a "day" later each time).
        elastic
            .ensure_daily_index(today + chrono::Days::new(day as u64))
            .await
            .expect("rollover");
        for store in stores {
            store
                .write(WriteBatch {
                    alerts: batch.clone(),
                    cve_copies: Vec::new(),
                })
                .await
                .expect("write");
        }
    }
    for store in stores {
        store
            .write_statistics(statistics.clone())
            .await
            .expect("statistics");
    }
    for r in &rewritten {
        let slot = data
            .iter_mut()
            .find(|a| a.id == r.id)
            .expect("rewritten alert");
        *slot = r.clone();
    }
    data.extend(legacy);
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_stores_answer_every_query_family_alike() {
    let Some(url) = elastic_url() else { return };
    let prefix = unique_prefix("conf");
    let backend = Backend::Elastic(support::backend::elastic_config(&url, &prefix));
    let Backend::Elastic(config) = &backend else {
        unreachable!()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let embedded: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path()).expect("embedded"));
    let elastic = Arc::new(
        ElasticStore::connect(config.clone())
            .await
            .expect("elasticsearch"),
    );
    let elastic_dyn: Arc<dyn Store> = elastic.clone();
    let data = load(&[embedded.clone(), elastic_dyn.clone()], &elastic).await;
    backend.refresh().await;

    // The data spans several daily indices on the Elasticsearch side.
    let indices: serde_json::Value = reqwest::get(format!(
        "{}/_cat/indices/{prefix}-*?format=json",
        url.trim_end_matches('/')
    ))
    .await
    .expect("cat indices")
    .json()
    .await
    .expect("json");
    assert!(
        indices.as_array().map_or(0, Vec::len) >= 5,
        "daily indices: {indices}"
    );

    let questions = questions(&data);
    let layers = [
        (
            Arc::new(QueryLayer::new(embedded.clone())),
            embedded.clone(),
        ),
        (
            Arc::new(QueryLayer::new(elastic_dyn.clone())),
            elastic_dyn.clone(),
        ),
    ];
    let started = std::time::Instant::now();
    let results: Vec<(usize, String, String)> = futures::stream::iter(questions.iter().enumerate())
        .map(|(i, q)| {
            let layers = &layers;
            async move {
                let expected = answer(&layers[0].0, layers[0].1.as_ref(), q).await;
                let actual = answer(&layers[1].0, layers[1].1.as_ref(), q).await;
                (i, expected, actual)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut failures = Vec::new();
    let mut empty = 0;
    for (i, expected, actual) in &results {
        if expected.starts_with("error") {
            failures.push(format!(
                "#{i} {:?}: the embedded store failed: {expected}",
                questions[*i]
            ));
        } else if expected != actual {
            failures.push(format!(
                "#{i} {:?}\n--- embedded\n{expected}\n--- elasticsearch\n{actual}",
                questions[*i]
            ));
        }
        if expected == "0" || expected == "[]" {
            empty += 1;
        }
    }
    eprintln!(
        "conformance: {} questions over {} alerts in {:?}, {} with empty answers, {} differences",
        questions.len(),
        data.len(),
        started.elapsed(),
        empty,
        failures.len()
    );
    // Paging backward lists the same alerts in the same order as paging forward.
    let answers: std::collections::HashMap<usize, &String> = results
        .iter()
        .map(|(i, expected, _)| (*i, expected))
        .collect();
    let mut walks = 0;
    for (i, q) in questions.iter().enumerate() {
        if let Question::WalkBack(..) = q {
            assert!(
                matches!(questions[i - 1], Question::Walk(..)),
                "a backward walk follows its forward walk"
            );
            assert_eq!(answers[&(i - 1)], answers[&i], "#{i} {q:?}");
            walks += 1;
        }
    }
    assert!(walks > 0);

    // Most questions must have something to compare.
    assert!(
        empty * 4 < questions.len(),
        "too many empty answers: {empty}"
    );

    // Negations, AS numbers, port ranges and texts select what the live feed's matcher
    // selects.
    let search = search_filters();
    let selecting = search
        .iter()
        .filter(|f| data.iter().any(|a| f.matches(a)))
        .count();
    // All but the eight built to select nothing (everything negated, no AS numbers, an AS
    // number nowhere, port 444, four texts).
    assert_eq!(selecting, search.len() - 8, "filters selecting alerts");
    for filter in search {
        let expected = data.iter().filter(|a| filter.matches(a)).count() as u64;
        for (layer, _) in &layers {
            let n = layer.count(&filter).await.expect("count");
            if n != expected {
                failures.push(format!("{filter:?}: counted {n}, matches() {expected}"));
            }
        }
    }

    // Rankings count what the data holds (checked once against the data itself).
    let all = AlertFilter::domain(DataDomain::All);
    for layer in [&layers[0].0, &layers[1].0] {
        let credentials = layer.credentials(&all, 1000).await.expect("credentials");
        let expected = count_pairs(&data);
        assert_eq!(credentials, expected, "credential pairs");
        let asns = layer
            .ranking(&all, TermField::SourceAs, 1000)
            .await
            .expect("ranking");
        assert!(!asns.is_empty());
        for t in &asns {
            assert!(t.key.starts_with("AS"), "placeholder ranked: {t:?}");
            let n = data.iter().filter(|a| a.source_entry_as == t.key).count();
            assert_eq!(t.count, n as u64, "{t:?}");
        }
    }

    // Values read out of stored texts: every stored text counted, on both stores.
    for field in [DerivedField::UserAgent, DerivedField::HttpPath] {
        let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
        for a in &data {
            let stored = match field {
                DerivedField::UserAgent => &a.rawhttp,
                DerivedField::HttpPath => &a.original_request_string,
            };
            if let Some(value) = field.read(stored) {
                *expected.entry(value.to_owned()).or_default() += 1;
            }
        }
        assert!(expected.len() > 1, "{field:?}: {expected:?}");
        for layer in [&layers[0].0, &layers[1].0] {
            let ranked = layer
                .derived_ranking(&all, field, 1000)
                .await
                .expect("ranking");
            let counted: std::collections::BTreeMap<String, u64> =
                ranked.into_iter().map(|t| (t.key, t.count)).collect();
            assert_eq!(counted, expected, "{field:?}");
        }
    }

    // Users: the same answers too.
    let users = [
        user("reader", "readerpass", false, false),
        user("readonly", "readonlypass", true, false),
        user("ßpecial-ü", "x", false, true),
    ];
    for store in [&embedded, &elastic_dyn] {
        for u in &users {
            store.add_user(u).await.expect("add user");
        }
        assert!(store.add_user(&users[0]).await.is_err(), "duplicate user");
        assert!(store.remove_user(&users[1].name).await.expect("remove"));
        assert!(!store.remove_user(&users[1].name).await.expect("remove"));
    }
    for name in ["reader", "readonly", "ßpecial-ü", "nobody", "Reader"] {
        let name = UserName::parse(name).expect("name");
        let a = embedded.user(&name).await.expect("user");
        let b = elastic_dyn.user(&name).await.expect("user");
        if a != b {
            failures.push(format!("user {name:?}: {a:?} != {b:?}"));
        }
    }
    let a: BTreeSet<String> = embedded
        .users()
        .await
        .expect("users")
        .iter()
        .map(|u| format!("{u:?}"))
        .collect();
    let b: BTreeSet<String> = elastic_dyn
        .users()
        .await
        .expect("users")
        .iter()
        .map(|u| format!("{u:?}"))
        .collect();
    if a != b {
        failures.push(format!("users: {a:?} != {b:?}"));
    }

    backend.cleanup().await;
    assert!(
        failures.is_empty(),
        "{} of {} answers differ:\n{}",
        failures.len(),
        questions.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// The cut-off of the retention tests: a day boundary, so that on Elasticsearch the daily
/// indices of the days before it (one per day of received alerts) expire completely.
const RETENTION_CUTOFF: &str = "2024-06-25 00:00:00";

/// The retention tests' statistics: the fixtures' (all after the cut-off) and periods starting
/// before it, and exactly at it.
fn retention_statistics() -> Vec<(String, peba::store::StatisticsDocument)> {
    let mut statistics = read_documents(&compat_dir().join("fixtures/statistics.jsonl"));
    for (id, from) in [
        ("old-1", "2024-06-21 00:00:00"),
        ("old-2", "2024-06-24 23:55:00"),
        ("at-cutoff", RETENTION_CUTOFF),
    ] {
        let doc = serde_json::json!({"UTCtimeFrom": from, "UTCtimeTo": from,
                                     "comm_totalNumberAlerts": 3});
        statistics.push((id.to_owned(), doc.as_object().cloned().expect("object")));
    }
    statistics
}

/// The CVE copy of an alert (its own id).
fn cve_copy(alert: &Alert) -> Alert {
    Alert {
        id: format!("cve-{}", alert.id),
        ..alert.clone()
    }
}

/// The day an alert was received on.
fn received_day(alert: &Alert) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(alert.recieved_time.unix(), 0)
        .expect("time")
        .date_naive()
}

/// Retention: after a pass over `expired` (loaded day by day, each day in a daily index of its
/// own on Elasticsearch), every query family, legacy route and GraphQL query answers as `fresh`,
/// which only ever received the surviving alerts and statistics; the CVE copies received before the cut-off are gone (a
/// new alert of their CVE is copied again) and later ones stay.
async fn retention_answers_as_survivors_only(
    expired: Arc<dyn Store>,
    fresh: Arc<dyn Store>,
    daily: Option<&ElasticStore>,
    backends: [&Backend; 2],
) {
    let fixtures = compat_dir().join("fixtures");
    let mut data = read_alerts(&fixtures.join("alerts.jsonl"));
    data.extend(synthetic(11, SYNTHETIC));
    let cutoff = ts(RETENTION_CUTOFF);
    let survives = |a: &&Alert| a.recieved_time >= cutoff;
    let survivors: Vec<Alert> = data.iter().filter(survives).cloned().collect();
    let statistics = retention_statistics();
    let statistics_from = |doc: &peba::store::StatisticsDocument| {
        doc.get("UTCtimeFrom")
            .and_then(|v| v.as_str())
            .and_then(|t| Timestamp::parse_mapping_format(t).ok())
    };
    let surviving_statistics: Vec<_> = statistics
        .iter()
        .filter(|(_, doc)| statistics_from(doc).is_none_or(|t| t >= cutoff))
        .cloned()
        .collect();
    assert!(surviving_statistics.len() < statistics.len());
    // A CVE first seen after the cut-off.
    let mut late_cve = cve_copy(survivors.first().expect("survivors"));
    late_cve.vulnid = "CVE-2024-3094".into();

    let mut days: std::collections::BTreeMap<chrono::NaiveDate, Vec<Alert>> = Default::default();
    for a in &data {
        days.entry(received_day(a)).or_default().push(a.clone());
    }
    let today = chrono::Utc::now().date_naive();
    for (n, alerts) in days.values().enumerate() {
        if let Some(elastic) = daily {
            elastic
                .ensure_daily_index(today + chrono::Days::new(n as u64))
                .await
                .expect("rollover");
        }
        for chunk in alerts.chunks(700) {
            let mut cve_copies: Vec<Alert> = chunk
                .iter()
                .filter(|a| !a.vulnid.is_empty())
                .map(cve_copy)
                .collect();
            if chunk.iter().any(|a| a.id == survivors[0].id) {
                cve_copies.push(late_cve.clone());
            }
            let batch = WriteBatch {
                alerts: chunk.to_vec(),
                cve_copies,
            };
            expired.write(batch).await.expect("write");
        }
    }
    expired
        .write_statistics(statistics)
        .await
        .expect("statistics");
    fresh
        .write(WriteBatch {
            alerts: survivors.clone(),
            cve_copies: Vec::new(),
        })
        .await
        .expect("write");
    fresh
        .write_statistics(surviving_statistics)
        .await
        .expect("statistics");
    for backend in backends {
        backend.refresh().await;
    }

    let deleted = peba::retention::pass(expired.as_ref(), cutoff)
        .await
        .expect("retention pass");
    assert_eq!(deleted, data.len() - survivors.len());
    assert!(
        deleted > 2 * peba::retention::STEP,
        "one step only: {deleted}"
    );

    let questions = questions(&data);
    let layers = [
        Arc::new(QueryLayer::new(expired.clone())),
        Arc::new(QueryLayer::new(fresh.clone())),
    ];
    let mut failures = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let after_retention = answer(&layers[0], expired.as_ref(), q).await;
        let survivors_only = answer(&layers[1], fresh.as_ref(), q).await;
        if after_retention != survivors_only {
            failures.push(format!(
                "#{i} {q:?}\n--- after retention\n{after_retention}\n--- survivors only\n{survivors_only}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} answers differ:\n{}",
        failures.len(),
        questions.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );

    servers_answer_alike(&[expired.clone(), fresh.clone()]).await;

    // The old CVEs are copied anew, the late one is still known.
    let old_cves: BTreeSet<&str> = data
        .iter()
        .filter(|a| !a.vulnid.is_empty())
        .map(|a| a.vulnid.as_str())
        .collect();
    assert!(!old_cves.is_empty());
    let mut again: Vec<Alert> = data
        .iter()
        .filter(|a| !a.vulnid.is_empty())
        .map(|a| Alert {
            id: format!("again-{}", a.id),
            ..a.clone()
        })
        .collect();
    again.push(Alert {
        id: "again-late".into(),
        ..late_cve.clone()
    });
    let outcome = expired
        .write(WriteBatch {
            alerts: Vec::new(),
            cve_copies: again,
        })
        .await
        .expect("write");
    assert_eq!(outcome.cve_copies, old_cves.len(), "CVE copies stored anew");

    // A second pass finds nothing left to delete.
    assert_eq!(
        peba::retention::pass(expired.as_ref(), cutoff)
            .await
            .expect("pass"),
        0
    );
}

/// Legacy routes (public ones, and private ones with a user's credentials) compared between
/// servers, an hour after the retention tests' data ends.
const LEGACY_ROUTES: [(&str, &str); 19] = [
    (
        "GET",
        "/alert/retrieveAlertsCount?time=46081&ci=-1&out=json",
    ),
    ("GET", "/alert/retrieveAlertsCount?time=day&ci=-1&out=json"),
    ("GET", "/alert/retrieveAlertsCountWithType?time=20160&ci=-1"),
    ("GET", "/alert/retrieveAlertsJson?ci=-1"),
    ("GET", "/alert/datasetAlertsPerMonth?days=40&ci=-1"),
    ("GET", "/alert/datasetAlertTypesPerMonth?days=40&ci=-1"),
    ("GET", "/alert/retrieveAlertStats?ci=-1"),
    ("GET", "/alert/topCountriesAttacks?monthOffset=0&ci=-1"),
    (
        "GET",
        "/alert/retrieveLatLonAttacks?offset=20&topx=50&ci=-1",
    ),
    ("GET", "/alert/TpotStats?day=20240621"),
    ("GET", "/alert/TpotStats?day=20240626"),
    (
        "GET",
        "/alert/getStats?values=Network(Dionaea),SSH%2Fconsole(cowrie),Unclassified\
         &gte=2024-06-01+00%3A00%3A00&lt=2024-07-02+00%3A00%3A00",
    ),
    ("GET", "/alert/tops?type=urls&days=28&ci=-1"),
    ("GET", "/alert/tops?type=destports&days=7&topx=5"),
    ("GET", "/alert/tops?type=destports&days=28"),
    ("POST", "/alert/retrieveAlertsCyber?ci=-1&topx=30"),
    ("POST", "/alert/retrieveIPs?out=json&ci=-1"),
    ("POST", "/alert/retrieveIPs15m?ci=-1"),
    ("POST", "/alert/querySingleIP?ip=8.8.0.37&ci=-1"),
];

/// GraphQL queries compared between servers.
const GRAPHQL_QUERIES: [&str; 6] = [
    "{ alertCount(domain: ALL) }",
    "{ honeypotTypes(domain: ALL, first: 50) { honeypotType count } }",
    "{ topSourceCountries(domain: ALL, first: 50) { code name count } }",
    "{ topUrls(domain: ALL, first: 50) { value count } }",
    "{ timeline(domain: ALL, intervalSeconds: 3600) { start count } }",
    "{ alerts(domain: ALL, first: 200) { nodes { id request } } }",
];

/// Real servers over each of `stores` (frozen clock) give equal answers to every legacy
/// route of [`LEGACY_ROUTES`] and every query of [`GRAPHQL_QUERIES`].
async fn servers_answer_alike(stores: &[Arc<dyn Store>]) {
    let reader = user("reader", "readerpass", false, false);
    let mut servers = Vec::new();
    for store in stores {
        store.add_user(&reader).await.expect("user");
        let settings = peba::config::Settings {
            frozen_clock: Some(ts("2024-07-01 01:00:00")),
            ..Default::default()
        };
        let state = peba::app::AppState::with_store(settings, store.clone()).expect("state");
        servers.push(support::in_process::serve(state).await);
    }
    let client = reqwest::Client::new();
    let mut answers: Vec<Vec<(u16, String)>> = vec![Vec::new(); servers.len()];
    for ((base, _), answers) in servers.iter().zip(&mut answers) {
        for (method, target) in LEGACY_ROUTES {
            let request = if method == "POST" {
                client
                    .post(format!("{base}{target}"))
                    .body(support::in_process::credentials("reader", "readerpass"))
            } else {
                client.get(format!("{base}{target}"))
            };
            let response = request.send().await.expect("legacy route");
            answers.push((
                response.status().as_u16(),
                response.text().await.expect("body"),
            ));
        }
        for query in GRAPHQL_QUERIES {
            let response = client
                .post(format!("{base}/graphql"))
                .json(&serde_json::json!({ "query": query }))
                .send()
                .await
                .expect("graphql");
            answers.push((
                response.status().as_u16(),
                response.text().await.expect("body"),
            ));
        }
    }
    let asked: Vec<String> = LEGACY_ROUTES
        .iter()
        .map(|(method, target)| format!("{method} {target}"))
        .chain(GRAPHQL_QUERIES.iter().map(|q| q.to_string()))
        .collect();
    for (i, what) in asked.iter().enumerate() {
        let (status, body) = &answers[0][i];
        assert_eq!(*status, 200, "{what}: {body}");
        assert!(!body.contains("\"errors\""), "{what}: {body}");
        for other in &answers[1..] {
            assert_eq!(&other[i], &answers[0][i], "{what}");
        }
    }
    for (_, task) in servers {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_answers_as_a_store_that_only_received_the_survivors() {
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    let expired: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dirs[0].path()).expect("store"));
    let fresh: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dirs[1].path()).expect("store"));
    let embedded = Backend::Embedded;
    retention_answers_as_survivors_only(expired, fresh, None, [&embedded, &embedded]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_on_elasticsearch_answers_as_a_store_that_only_received_the_survivors() {
    let Some(url) = elastic_url() else { return };
    let backends = [
        Backend::Elastic(support::backend::elastic_config(
            &url,
            &unique_prefix("retx"),
        )),
        Backend::Elastic(support::backend::elastic_config(
            &url,
            &unique_prefix("retf"),
        )),
    ];
    let connect = |backend: &Backend| {
        let Backend::Elastic(config) = backend else {
            unreachable!()
        };
        ElasticStore::connect(config.clone())
    };
    let expired = Arc::new(connect(&backends[0]).await.expect("elasticsearch"));
    let fresh: Arc<dyn Store> = Arc::new(connect(&backends[1]).await.expect("elasticsearch"));
    retention_answers_as_survivors_only(
        expired.clone(),
        fresh,
        Some(&expired),
        [&backends[0], &backends[1]],
    )
    .await;
    for backend in &backends {
        backend.cleanup().await;
    }
}

/// Upgrades: a store written with an older layout (version 1: no received-time location
/// counters, no search index) opens, migrates through every step, and answers every query
/// family (free-text filters included) as a store written by this version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_of_the_previous_layout_migrates_and_answers_as_a_fresh_one() {
    let fixtures = compat_dir().join("fixtures");
    let mut data = read_alerts(&fixtures.join("alerts.jsonl"));
    data.extend(synthetic(13, SYNTHETIC));
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    for dir in &dirs {
        let store = EmbeddedStore::open(dir.path()).expect("store");
        store
            .write(WriteBatch {
                alerts: data.clone(),
                cve_copies: Vec::new(),
            })
            .await
            .expect("write");
    }
    // The first store as version 1 wrote it.
    let database = dirs[0].path().join(peba::store::embedded::DATABASE_FILE);
    {
        let conn = rusqlite::Connection::open(&database).expect("database");
        let removed = conn
            .execute("DELETE FROM rollup WHERE tf = 0 AND dim IN (8, 9)", [])
            .expect("version 1 layout");
        assert!(removed > 100, "{removed} counters");
        // Nor had it (nor version 2) the search index.
        conn.execute_batch(
            "DROP TRIGGER alert_text_insert; DROP TRIGGER alert_text_update; \
             DROP TRIGGER alert_text_delete; DROP TABLE alert_text;",
        )
        .expect("version 2 layout");
        conn.pragma_update(None, "user_version", 1)
            .expect("version");
    }
    let migrated: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dirs[0].path()).expect("migrates"));
    let fresh: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dirs[1].path()).expect("opens"));
    let version: i64 = rusqlite::Connection::open(&database)
        .expect("database")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 3);

    let layers = [
        Arc::new(QueryLayer::new(migrated.clone())),
        Arc::new(QueryLayer::new(fresh.clone())),
    ];
    let questions = questions(&data);
    let mut failures = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let upgraded = answer(&layers[0], migrated.as_ref(), q).await;
        let written_new = answer(&layers[1], fresh.as_ref(), q).await;
        if upgraded != written_new {
            failures.push(format!(
                "#{i} {q:?}\n--- migrated\n{upgraded}\n--- fresh\n{written_new}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} answers differ:\n{}",
        failures.len(),
        questions.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Writes `alerts` as one batch.
async fn write_all(store: &dyn Store, alerts: Vec<Alert>) {
    store
        .write(WriteBatch {
            alerts,
            cve_copies: Vec::new(),
        })
        .await
        .expect("write");
}

/// `alert` as submitted by `client` (`-`: the community account).
fn sent_by(alert: &Alert, client: &str, port: &str) -> Alert {
    let mut sent = alert.clone();
    sent.client_domain = client == "-";
    sent.client = client.into();
    sent.source_entry_port = Some(port.into());
    sent
}

/// An alert replaces only its own sender's alert with the same id, on both stores: another
/// sender's goes beside it (once, also when repeated in one batch), the same sender's re-send
/// replaces, and senders racing for a new id each keep one alert. Reads come after a refresh
/// (writes are acknowledged before they are searchable).
async fn each_sender_keeps_its_alert(store: Arc<dyn Store>, backend: &Backend) {
    let base = synthetic(11, 2);
    let private = sent_by(&base[0], "dtag-sensor", "1111");
    write_all(store.as_ref(), vec![private.clone()]).await;
    let community = sent_by(&base[0], "-", "2222");
    write_all(store.as_ref(), vec![community.clone(), community.clone()]).await;
    let beside = community.id_beside();
    let ids = vec![private.id.clone(), beside.clone()];
    backend.refresh().await;
    let mut stored = store.alerts_by_id(&ids).await.expect("by id");
    stored.sort_by(|a, b| a.client.cmp(&b.client));
    let mut expected_beside = community.clone();
    expected_beside.id = beside.clone();
    assert_eq!(stored, vec![expected_beside, private.clone()]);
    let all = AlertFilter::domain(DataDomain::All);
    assert_eq!(store.count(&all).await.expect("count"), 2);

    // The owner's re-send replaces its alert.
    let changed = sent_by(&base[0], "dtag-sensor", "3333");
    write_all(store.as_ref(), vec![changed.clone()]).await;
    backend.refresh().await;
    assert_eq!(
        store
            .alerts_by_id(std::slice::from_ref(&private.id))
            .await
            .expect("by id"),
        vec![changed]
    );
    assert_eq!(store.count(&all).await.expect("count"), 2);

    // Two senders race for a new id: both alerts are kept, each once.
    let contested = [
        sent_by(&base[1], "dtag-sensor", "4444"),
        sent_by(&base[1], "-", "5555"),
    ];
    let writes = (0..8).map(|i| {
        let store = store.clone();
        let alert = contested[i % 2].clone();
        tokio::spawn(async move { write_all(store.as_ref(), vec![alert]).await })
    });
    for write in futures::future::join_all(writes).await {
        write.expect("writer task");
    }
    backend.refresh().await;
    assert_eq!(store.count(&all).await.expect("count"), 4);
    let found = store
        .alerts_by_id(&[
            base[1].id.clone(),
            contested[0].id_beside(),
            contested[1].id_beside(),
        ])
        .await
        .expect("by id");
    assert_eq!(found.len(), 2, "{found:?}");
    let mut ports: Vec<_> = found.iter().map(|a| a.source_entry_port.clone()).collect();
    ports.sort();
    assert_eq!(ports, [Some("4444".into()), Some("5555".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_replaces_only_its_own_senders_alert() {
    let dir = tempfile::tempdir().expect("temp dir");
    each_sender_keeps_its_alert(
        Arc::new(EmbeddedStore::open(dir.path()).expect("embedded")),
        &Backend::Embedded,
    )
    .await;
    let Some(url) = elastic_url() else { return };
    let backend = Backend::Elastic(support::backend::elastic_config(
        &url,
        &unique_prefix("owner"),
    ));
    let Backend::Elastic(config) = &backend else {
        unreachable!()
    };
    let elastic = ElasticStore::connect(config.clone())
        .await
        .expect("elasticsearch");
    each_sender_keeps_its_alert(Arc::new(elastic), &backend).await;
    backend.cleanup().await;
}
