//! Incremental aggregates: which rollups exist, what an alert contributes to them, and how a
//! time window splits into whole rollup buckets plus raw edges.

use crate::domain::{
    Alert, AlertFilter, TermField, TimeField, TimeRange, Timestamp, UNDEFINED_HOSTNAME,
};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Seconds in an hour.
pub(crate) const HOUR: i64 = 3_600;
/// Seconds in a day.
pub(crate) const DAY: i64 = Timestamp::DAY;

/// What a rollup counts. The codes are stored; `k1..k3` hold the keys described per variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Dim {
    /// Every alert; keys empty.
    Total = 0,
    /// `k1` = peerType.
    PeerType = 1,
    /// `k1` = country, `k2` = countryName.
    Country = 2,
    /// `k1` = targetCountry, `k2` = targetCountryName.
    TargetCountry = 3,
    /// `k1` = targetEntryPort (alerts without a port are left out).
    Port = 4,
    /// `k1` = originalRequestString of `Webpage` alerts.
    WebRequest = 5,
    /// Alerts with a host name: `k1` = hostname, `k2` = peerIdent, `k3` = peerType.
    InstallHost = 6,
    /// Alerts with host name `undefined`: `k1` = target IP, `k2` = peerIdent, `k3` = peerType.
    InstallIp = 7,
    /// `k1` = location.
    Location = 8,
    /// `k1` = locationDestination.
    LocationDest = 9,
}

/// The peerType whose request strings [`Dim::WebRequest`] counts.
pub(crate) const WEBPAGE: &str = "Webpage";

/// One maintained rollup: a dimension over one time field at some bucket widths.
pub(crate) struct Rollup {
    pub tf: TimeField,
    pub dim: Dim,
    /// Bucket widths, largest first; each divides the previous one.
    pub grans: &'static [i64],
}

const DH: &[i64] = &[DAY, HOUR];
const D: &[i64] = &[DAY];

/// Every rollup the store maintains.
pub(crate) const ROLLUPS: &[Rollup] = &[
    Rollup {
        tf: TimeField::Received,
        dim: Dim::Total,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::PeerType,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::Country,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::TargetCountry,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::Port,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::WebRequest,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::InstallHost,
        grans: D,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::InstallIp,
        grans: D,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::Location,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Received,
        dim: Dim::LocationDest,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Created,
        dim: Dim::Total,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Created,
        dim: Dim::PeerType,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Created,
        dim: Dim::Location,
        grans: DH,
    },
    Rollup {
        tf: TimeField::Created,
        dim: Dim::LocationDest,
        grans: DH,
    },
];

/// The stored code of a time field.
pub(crate) fn tf_code(tf: TimeField) -> i64 {
    match tf {
        TimeField::Received => 0,
        TimeField::Created => 1,
    }
}

fn rollup_for(tf: TimeField, dim: Dim) -> Option<&'static Rollup> {
    ROLLUPS.iter().find(|r| r.tf == tf && r.dim == dim)
}

/// The fields of an alert that rollups look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facts {
    pub dom: bool,
    pub rt: i64,
    pub ct: i64,
    pub peer_type: String,
    pub peer_ident: String,
    pub country: String,
    pub country_name: String,
    pub target_country: String,
    pub target_country_name: String,
    pub target_port: Option<String>,
    pub request: String,
    pub location: String,
    pub location_dest: String,
    pub hostname: String,
    pub target_ip: String,
}

/// The columns [`Facts`] are read from, in field order.
pub(crate) const FACT_COLUMNS: &str = "dom, rt, ct, peer_type, peer_ident, country, \
    country_name, target_country, target_country_name, target_port, request, location, \
    location_dest, hostname, target_ip";

impl Facts {
    /// The facts of an alert about to be written.
    pub(crate) fn of(a: &Alert) -> Self {
        Facts {
            dom: a.client_domain,
            rt: a.recieved_time.unix(),
            ct: a.create_time.unix(),
            peer_type: a.peer_type.clone(),
            peer_ident: a.peer_ident.clone(),
            country: a.country.clone(),
            country_name: a.country_name.clone(),
            target_country: a.target_country.clone(),
            target_country_name: a.target_country_name.clone(),
            target_port: a.target_entry_port.clone(),
            request: a.original_request_string.clone(),
            location: a.location.clone(),
            location_dest: a.location_destination.clone(),
            hostname: a.hostname.clone(),
            target_ip: a.target_entry_ip.to_string(),
        }
    }

    /// Reads facts selected with [`FACT_COLUMNS`].
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Facts {
            dom: r.get(0)?,
            rt: r.get(1)?,
            ct: r.get(2)?,
            peer_type: r.get(3)?,
            peer_ident: r.get(4)?,
            country: r.get(5)?,
            country_name: r.get(6)?,
            target_country: r.get(7)?,
            target_country_name: r.get(8)?,
            target_port: r.get(9)?,
            request: r.get(10)?,
            location: r.get(11)?,
            location_dest: r.get(12)?,
            hostname: r.get(13)?,
            target_ip: r.get(14)?,
        })
    }

    fn time(&self, tf: TimeField) -> i64 {
        match tf {
            TimeField::Received => self.rt,
            TimeField::Created => self.ct,
        }
    }

    /// The keys this alert has in a dimension, or `None` when it does not take part.
    fn keys(&self, dim: Dim) -> Option<(&str, &str, &str)> {
        Some(match dim {
            Dim::Total => ("", "", ""),
            Dim::PeerType => (&self.peer_type, "", ""),
            Dim::Country => (&self.country, &self.country_name, ""),
            Dim::TargetCountry => (&self.target_country, &self.target_country_name, ""),
            Dim::Port => (self.target_port.as_deref()?, "", ""),
            Dim::WebRequest if self.peer_type == WEBPAGE => (&self.request, "", ""),
            Dim::WebRequest => return None,
            Dim::InstallHost if self.hostname != UNDEFINED_HOSTNAME => {
                (&self.hostname, &self.peer_ident, &self.peer_type)
            }
            Dim::InstallIp if self.hostname == UNDEFINED_HOSTNAME => {
                (&self.target_ip, &self.peer_ident, &self.peer_type)
            }
            Dim::InstallHost | Dim::InstallIp => return None,
            Dim::Location => (&self.location, "", ""),
            Dim::LocationDest => (&self.location_dest, "", ""),
        })
    }
}

/// One rollup counter; its keys are borrowed while a batch is summed, owned once prepared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CounterKey<'a> {
    pub tf: i64,
    pub dim: i64,
    pub gran: i64,
    pub bucket: i64,
    pub dom: bool,
    pub k1: Cow<'a, str>,
    pub k2: Cow<'a, str>,
    pub k3: Cow<'a, str>,
}

impl CounterKey<'_> {
    /// The same counter, owning its keys.
    pub(crate) fn into_owned(self) -> CounterKey<'static> {
        CounterKey {
            k1: Cow::Owned(self.k1.into_owned()),
            k2: Cow::Owned(self.k2.into_owned()),
            k3: Cow::Owned(self.k3.into_owned()),
            ..self
        }
    }
}

/// Adds `sign` times the contributions of `facts` to the batch's counter deltas.
pub(crate) fn contribute<'a>(
    facts: &'a Facts,
    sign: i64,
    deltas: &mut FxHashMap<CounterKey<'a>, i64>,
) {
    for rollup in ROLLUPS {
        let Some((k1, k2, k3)) = facts.keys(rollup.dim) else {
            continue;
        };
        let t = facts.time(rollup.tf);
        for &gran in rollup.grans {
            let key = CounterKey {
                tf: tf_code(rollup.tf),
                dim: rollup.dim as i64,
                gran,
                bucket: t - t.rem_euclid(gran),
                dom: facts.dom,
                k1: Cow::Borrowed(k1),
                k2: Cow::Borrowed(k2),
                k3: Cow::Borrowed(k3),
            };
            *deltas.entry(key).or_insert(0) += sign;
        }
    }
}

/// A window `[lo, hi)` in seconds; `i64::MIN` / `i64::MAX` stand for open ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub lo: i64,
    pub hi: i64,
}

impl Span {
    /// The span of a time range.
    pub(crate) fn of(range: &TimeRange) -> Self {
        Span {
            lo: range.from.map_or(i64::MIN, Timestamp::unix),
            hi: range.to.map_or(i64::MAX, Timestamp::unix),
        }
    }

    /// Back to a time range (open ends become `None`).
    pub(crate) fn range(self) -> TimeRange {
        TimeRange {
            from: (self.lo != i64::MIN).then(|| Timestamp::from_unix(self.lo)),
            to: (self.hi != i64::MAX).then(|| Timestamp::from_unix(self.hi)),
        }
    }
}

fn ceil_to(x: i64, g: i64) -> i64 {
    if x == i64::MIN {
        return x;
    }
    let r = x.rem_euclid(g);
    if r == 0 { x } else { x.saturating_add(g - r) }
}

fn floor_to(x: i64, g: i64) -> i64 {
    if x == i64::MAX {
        x
    } else {
        x - x.rem_euclid(g)
    }
}

/// A window split into whole rollup buckets and raw edges.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Pieces {
    /// `(gran, span)`: every bucket of width `gran` starting inside `span` lies in the window.
    pub rollups: Vec<(i64, Span)>,
    /// Parts of the window to scan row by row.
    pub raws: Vec<Span>,
}

/// Splits `span` using the widths `grans` (largest first, each dividing the previous one).
pub(crate) fn decompose(span: Span, grans: &[i64]) -> Pieces {
    let mut pieces = Pieces::default();
    split(span, grans, &mut pieces);
    pieces
}

fn split(span: Span, grans: &[i64], out: &mut Pieces) {
    if span.lo >= span.hi {
        return;
    }
    let Some((&g, rest)) = grans.split_first() else {
        out.raws.push(span);
        return;
    };
    let (a, b) = (ceil_to(span.lo, g), floor_to(span.hi, g));
    if a >= b {
        split(span, rest, out);
        return;
    }
    out.rollups.push((g, Span { lo: a, hi: b }));
    split(Span { lo: span.lo, hi: a }, rest, out);
    split(Span { lo: b, hi: span.hi }, rest, out);
}

/// How to answer a question from one rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The time field the window (and buckets) refer to.
    pub tf: TimeField,
    pub dim: Dim,
    /// Restrict to this `k1` (an `equals` condition the rollup absorbs).
    pub k1: Option<String>,
    /// Bucket widths available.
    pub grans: &'static [i64],
    /// The window on `tf`.
    pub window: Span,
}

fn dim_of(field: TermField, tf: TimeField) -> Option<Dim> {
    let dim = match field {
        TermField::PeerType => Dim::PeerType,
        TermField::SourceCountry => Dim::Country,
        TermField::TargetCountry => Dim::TargetCountry,
        TermField::TargetPort => Dim::Port,
        TermField::SourceLocation => Dim::Location,
        TermField::TargetLocation => Dim::LocationDest,
        _ => return None,
    };
    rollup_for(tf, dim).map(|r| r.dim)
}

/// Whether `filter` has conditions no rollup keeps (lists, networks, AS numbers, port
/// ranges, search text, exclusions): only a scan of the rows answers it.
fn needs_rows(filter: &AlertFilter) -> bool {
    filter.source_net.is_some()
        || filter.text.is_some()
        || !filter.one_of.is_empty()
        || filter.source_as_numbers.is_some()
        || !filter.port_ranges.is_empty()
        || !filter.excluded.is_empty()
}

/// Whether a rollup can answer for `filter`, grouped by `group` (or counted when `None`),
/// with buckets on `bucket_field` when given. `None` means: scan rows.
pub(crate) fn plan(
    filter: &AlertFilter,
    bucket_field: Option<TimeField>,
    group: Option<TermField>,
) -> Option<Plan> {
    if needs_rows(filter) {
        return None;
    }
    let tf = match (
        filter.received.is_unbounded(),
        filter.created.is_unbounded(),
    ) {
        (true, true) => bucket_field.unwrap_or(TimeField::Received),
        (false, true) => TimeField::Received,
        (true, false) => TimeField::Created,
        (false, false) => return None,
    };
    if bucket_field.is_some_and(|f| f != tf) {
        return None;
    }
    let window = Span::of(match tf {
        TimeField::Received => &filter.received,
        TimeField::Created => &filter.created,
    });
    let is_webpage = |(f, v): &(TermField, String)| *f == TermField::PeerType && v == WEBPAGE;
    let (dim, k1) = match (group, filter.equals.as_slice()) {
        (None, []) => (Dim::Total, None),
        (None, [(field, value)]) => (dim_of(*field, tf)?, Some(value.clone())),
        (None, [a, b]) if is_webpage(a) || is_webpage(b) => {
            let other = if is_webpage(a) { b } else { a };
            if other.0 != TermField::RequestString {
                return None;
            }
            (Dim::WebRequest, Some(other.1.clone()))
        }
        (Some(field), []) => (dim_of(field, tf)?, None),
        (Some(TermField::RequestString), [only]) if is_webpage(only) => (Dim::WebRequest, None),
        _ => return None,
    };
    let rollup = rollup_for(tf, dim)?;
    Some(Plan {
        tf,
        dim,
        k1,
        grans: rollup.grans,
        window,
    })
}

/// The installations rollups apply when the filter is a domain and a received window only.
pub(crate) fn installations_window(filter: &AlertFilter) -> Option<Span> {
    (!needs_rows(filter) && filter.equals.is_empty() && filter.created.is_unbounded())
        .then(|| Span::of(&filter.received))
}
