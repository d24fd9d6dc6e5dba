//! The read path. Every question is answered either from a rollup (whole buckets) plus raw
//! scans of the window's partial edges, or, when no rollup fits the filter, by one raw scan.
//! Both give the same answer.

use super::codec::{ALERT_COLUMNS, alert_from_row, ip_key, label_column, term_column, time_column};
use super::error::DbError;
use super::rollup::{DAY, Dim, Plan, Span, decompose, installations_window, plan, tf_code};
use crate::domain::{
    Alert, AlertFilter, AlertPage, DataDomain, HistogramBucket, HistogramQuery, Installation,
    PortField, PortRange, SearchText, TermCount, TermField, TimeField, UNDEFINED_HOSTNAME,
    rank_terms,
};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Accumulated terms: key → (count, smallest label).
type TermMap = HashMap<String, (u64, Option<String>)>;

fn add_term(map: &mut TermMap, key: String, n: u64, label: Option<String>) {
    let entry = map.entry(key).or_insert((0, None));
    entry.0 += n;
    entry.1 = match (entry.1.take(), label) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
}

fn ranked(map: TermMap, limit: usize, labelled: bool) -> Vec<TermCount> {
    let mut terms: Vec<TermCount> = map
        .into_iter()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(key, (count, label))| TermCount {
            key,
            count,
            label: if labelled { label } else { None },
        })
        .collect();
    rank_terms(&mut terms);
    terms.truncate(limit);
    terms
}

pub(super) fn count_of(n: i64) -> Result<u64, DbError> {
    u64::try_from(n).map_err(|_| DbError::Corrupt(format!("negative count {n}")))
}

/// A WHERE clause with its parameters.
struct Where {
    sql: String,
    params: Vec<Value>,
}

impl Where {
    fn push(&mut self, cond: &str, values: impl IntoIterator<Item = Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(cond);
        self.params.extend(values);
    }
}

/// The condition that `field` holds `value`, with its parameters.
fn equals_condition(field: TermField, value: &str) -> (String, Vec<Value>) {
    if field == TermField::SourceIp {
        match value.parse::<IpAddr>() {
            Ok(ip) => ("src_ip_key = ?".to_owned(), vec![Value::Blob(ip_key(ip))]),
            Err(_) => ("0".to_owned(), vec![]),
        }
    } else {
        (
            format!("{} = ?", term_column(field)),
            vec![Value::Text(value.to_owned())],
        )
    }
}

fn raw_where(filter: &AlertFilter) -> Where {
    let mut w = Where {
        sql: "1".to_owned(),
        params: Vec::new(),
    };
    if let Some(dom) = filter.domain.client_domain() {
        w.push(if dom { "dom = 1" } else { "dom = 0" }, []);
    }
    for (field, range) in [
        (TimeField::Received, &filter.received),
        (TimeField::Created, &filter.created),
    ] {
        let col = time_column(field);
        if let Some(from) = range.from {
            w.push(&format!("{col} >= ?"), [Value::Integer(from.unix())]);
        }
        if let Some(to) = range.to {
            w.push(&format!("{col} < ?"), [Value::Integer(to.unix())]);
        }
    }
    for (field, value) in &filter.equals {
        let (cond, values) = equals_condition(*field, value);
        w.push(&cond, values);
    }
    for (field, values) in &filter.one_of {
        let mut conds = vec!["0".to_owned()];
        let mut params = Vec::new();
        for value in values {
            let (cond, values) = equals_condition(*field, value);
            conds.push(cond);
            params.extend(values);
        }
        w.push(&format!("({})", conds.join(" OR ")), params);
    }
    if let Some(net) = filter.source_net {
        w.push(
            "src_ip_key BETWEEN ? AND ?",
            [
                Value::Blob(ip_key(net.network())),
                Value::Blob(ip_key(net.broadcast())),
            ],
        );
    }
    if let Some(numbers) = &filter.source_as_numbers {
        let (cond, params) = as_numbers_condition(numbers);
        w.push(&cond, params);
    }
    for (field, range) in &filter.port_ranges {
        let (cond, params) = port_range_condition(*field, *range);
        w.push(&cond, params);
    }
    if let Some(text) = &filter.text {
        w.push(
            "rowid IN (SELECT rowid FROM alert_text WHERE alert_text MATCH ?)",
            [Value::Text(text_phrase(text))],
        );
    }
    for sub in &filter.excluded {
        // A condition on a NULL column is NULL: the sub-filter matches only when it is true.
        let sub = raw_where(sub);
        w.push(&format!("NOT IFNULL(({}), 0)", sub.sql), sub.params);
    }
    w
}

/// The search index query for `text`: one phrase of the folded text (the index holds folded
/// fields, see the layout's version 3), quoted so that no character is query syntax.
fn text_phrase(text: &SearchText) -> String {
    format!("\"{}\"", text.folded().replace('"', "\"\""))
}

/// The condition that `source_as` names one of `numbers` (see [`crate::domain::names_as_number`]).
fn as_numbers_condition(numbers: &[u32]) -> (String, Vec<Value>) {
    let mut conds = vec!["0".to_owned()];
    let mut params = Vec::new();
    for number in numbers {
        let exact = format!("AS{number}");
        let prefix = format!("{exact} ");
        conds.push("source_as = ? OR substr(source_as, 1, ?) = ?".to_owned());
        params.extend([
            Value::Text(exact),
            Value::Integer(prefix.len() as i64),
            Value::Text(prefix),
        ]);
    }
    (format!("({})", conds.join(" OR ")), params)
}

/// The condition that a port column holds a number in `range` (see
/// [`PortRange::contains_text`]).
fn port_range_condition(field: PortField, range: PortRange) -> (String, Vec<Value>) {
    let col = match field {
        PortField::Source => "src_port",
        PortField::Target => "target_port",
    };
    (
        format!(
            "({col} GLOB '[0-9]*' AND NOT {col} GLOB '*[^0-9]*' AND length({col}) <= {} \
             AND CAST({col} AS INTEGER) BETWEEN ? AND ?)",
            PortRange::MAX_DIGITS
        ),
        vec![
            Value::Integer(range.from.into()),
            Value::Integer(range.to.into()),
        ],
    )
}

/// Runs `SELECT {select} FROM alerts WHERE <filter> {tail}` and feeds every row to `f`.
pub(super) fn raw_rows(
    conn: &Connection,
    filter: &AlertFilter,
    select: &str,
    extra: Option<(&str, Vec<Value>)>,
    tail: &str,
    mut f: impl FnMut(&Row<'_>) -> Result<(), DbError>,
) -> Result<(), DbError> {
    let mut w = raw_where(filter);
    if let Some((cond, values)) = extra {
        w.push(cond, values);
    }
    let sql = format!("SELECT {select} FROM alerts WHERE {} {tail}", w.sql);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(w.params))?;
    while let Some(row) = rows.next()? {
        f(row)?;
    }
    Ok(())
}

/// Runs a query over the rollup counters of `plan` at width `gran` with buckets in `span`.
fn rollup_rows(
    conn: &Connection,
    plan: &Plan,
    domain: DataDomain,
    (gran, span): (i64, Span),
    select: &str,
    group: &str,
    mut f: impl FnMut(&Row<'_>) -> Result<(), DbError>,
) -> Result<(), DbError> {
    // Keyed questions on the keyed dimensions read the partial index `rollup_keyed`
    // (the `dim IN` term below repeats its condition so SQLite accepts it).
    let keyed =
        plan.k1.is_some() && matches!(plan.dim, Dim::PeerType | Dim::Port | Dim::WebRequest);
    let table = if keyed {
        "rollup INDEXED BY rollup_keyed"
    } else {
        "rollup"
    };
    let mut sql = format!(
        "SELECT {select} FROM {table} WHERE tf = ? AND dim = ? AND gran = ? \
         AND bucket >= ? AND bucket < ?"
    );
    let mut params = vec![
        Value::Integer(tf_code(plan.tf)),
        Value::Integer(plan.dim as i64),
        Value::Integer(gran),
        Value::Integer(span.lo),
        Value::Integer(span.hi),
    ];
    if let Some(dom) = domain.client_domain() {
        sql.push_str(if dom { " AND dom = 1" } else { " AND dom = 0" });
    }
    if let Some(k1) = &plan.k1 {
        sql.push_str(" AND k1 = ?");
        params.push(Value::Text(k1.clone()));
        if keyed {
            sql.push_str(" AND dim IN (1, 4, 5)");
        }
    }
    if !group.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(group);
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        f(row)?;
    }
    Ok(())
}

/// The filter restricted to `span` on `tf` (`span` lies inside the filter's window).
fn narrowed(filter: &AlertFilter, tf: TimeField, span: Span) -> AlertFilter {
    filter.clone().within(tf, span.range())
}

/// Number of matching alerts.
pub(crate) fn count(conn: &Connection, filter: &AlertFilter) -> Result<u64, DbError> {
    let Some(plan) = plan(filter, None, None) else {
        return raw_count(conn, filter);
    };
    let pieces = decompose(plan.window, plan.grans);
    let mut total = 0;
    for (gran, span) in pieces.rollups {
        rollup_rows(
            conn,
            &plan,
            filter.domain,
            (gran, span),
            "COALESCE(SUM(n), 0)",
            "",
            |r| {
                total += count_of(r.get(0)?)?;
                Ok(())
            },
        )?;
    }
    for span in pieces.raws {
        total += raw_count(conn, &narrowed(filter, plan.tf, span))?;
    }
    Ok(total)
}

/// [`count`] by a scan of the rows.
pub(crate) fn raw_count(conn: &Connection, filter: &AlertFilter) -> Result<u64, DbError> {
    let mut total = 0;
    raw_rows(conn, filter, "COUNT(*)", None, "", |r| {
        total = count_of(r.get(0)?)?;
        Ok(())
    })?;
    Ok(total)
}

/// The top `limit` values of `field`.
pub(crate) fn terms(
    conn: &Connection,
    filter: &AlertFilter,
    field: TermField,
    limit: usize,
) -> Result<Vec<TermCount>, DbError> {
    let labelled = label_column(field).is_some();
    let Some(plan) = plan(filter, None, Some(field)) else {
        return Ok(ranked(raw_terms(conn, filter, field)?, limit, labelled));
    };
    let pieces = decompose(plan.window, plan.grans);
    let mut map = TermMap::new();
    for (gran, span) in pieces.rollups {
        rollup_rows(
            conn,
            &plan,
            filter.domain,
            (gran, span),
            "k1, SUM(n), MIN(k2)",
            "k1",
            |r| {
                add_term(&mut map, r.get(0)?, count_of(r.get(1)?)?, r.get(2)?);
                Ok(())
            },
        )?;
    }
    for span in pieces.raws {
        for (key, (n, label)) in raw_terms(conn, &narrowed(filter, plan.tf, span), field)? {
            add_term(&mut map, key, n, label);
        }
    }
    Ok(ranked(map, limit, labelled))
}

fn raw_terms(
    conn: &Connection,
    filter: &AlertFilter,
    field: TermField,
) -> Result<TermMap, DbError> {
    let col = term_column(field);
    let label = label_column(field).unwrap_or("NULL");
    let mut map = TermMap::new();
    raw_rows(
        conn,
        filter,
        &format!("{col}, COUNT(*), MIN({label})"),
        Some((&format!("{col} IS NOT NULL"), vec![])),
        &format!("GROUP BY {col}"),
        |r| {
            add_term(&mut map, r.get(0)?, count_of(r.get(1)?)?, r.get(2)?);
            Ok(())
        },
    )?;
    Ok(map)
}

/// Bucket widths of `grans` that divide `interval`.
fn dividing(grans: &[i64], interval: i64) -> Vec<i64> {
    grans
        .iter()
        .copied()
        .filter(|g| interval % g == 0)
        .collect()
}

fn floor(t: i64, interval: i64) -> i64 {
    t - t.rem_euclid(interval)
}

/// Non-empty buckets of a date histogram.
pub(crate) fn histogram(
    conn: &Connection,
    q: &HistogramQuery,
) -> Result<Vec<HistogramBucket>, DbError> {
    let interval = q.interval_seconds;
    if interval <= 0 {
        return Err(DbError::Invalid(format!("histogram interval {interval}")));
    }
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    match plan(&q.filter, Some(q.field), None) {
        Some(p) if !dividing(p.grans, interval).is_empty() => {
            let pieces = decompose(p.window, &dividing(p.grans, interval));
            for (gran, span) in pieces.rollups {
                rollup_rows(
                    conn,
                    &p,
                    q.filter.domain,
                    (gran, span),
                    "bucket, SUM(n)",
                    "bucket",
                    |r| {
                        *counts.entry(floor(r.get(0)?, interval)).or_default() +=
                            count_of(r.get(1)?)?;
                        Ok(())
                    },
                )?;
            }
            for span in pieces.raws {
                raw_histogram(
                    conn,
                    &narrowed(&q.filter, p.tf, span),
                    q.field,
                    interval,
                    &mut counts,
                )?;
            }
        }
        _ => raw_histogram(conn, &q.filter, q.field, interval, &mut counts)?,
    }
    let mut splits: BTreeMap<i64, TermMap> = BTreeMap::new();
    let mut labelled = false;
    if let Some((field, _)) = q.split {
        labelled = label_column(field).is_some();
        match plan(&q.filter, Some(q.field), Some(field)) {
            Some(p) if !dividing(p.grans, interval).is_empty() => {
                let pieces = decompose(p.window, &dividing(p.grans, interval));
                for (gran, span) in pieces.rollups {
                    rollup_rows(
                        conn,
                        &p,
                        q.filter.domain,
                        (gran, span),
                        "bucket, k1, SUM(n), MIN(k2)",
                        "bucket, k1",
                        |r| {
                            let map = splits.entry(floor(r.get(0)?, interval)).or_default();
                            add_term(map, r.get(1)?, count_of(r.get(2)?)?, r.get(3)?);
                            Ok(())
                        },
                    )?;
                }
                for span in pieces.raws {
                    raw_split(
                        conn,
                        &narrowed(&q.filter, p.tf, span),
                        q.field,
                        interval,
                        field,
                        &mut splits,
                    )?;
                }
            }
            _ => raw_split(conn, &q.filter, q.field, interval, field, &mut splits)?,
        }
    }
    let top = q.split.map_or(0, |(_, n)| n);
    Ok(counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(start, count)| HistogramBucket {
            start: crate::domain::Timestamp::from_unix(start),
            count,
            split: splits
                .remove(&start)
                .map(|m| ranked(m, top, labelled))
                .unwrap_or_default(),
        })
        .collect())
}

fn bucket_expr(col: &str, interval: i64) -> String {
    format!("({col} - (({col} % {interval}) + {interval}) % {interval})")
}

fn raw_histogram(
    conn: &Connection,
    filter: &AlertFilter,
    field: TimeField,
    interval: i64,
    counts: &mut BTreeMap<i64, u64>,
) -> Result<(), DbError> {
    let b = bucket_expr(time_column(field), interval);
    raw_rows(
        conn,
        filter,
        &format!("{b}, COUNT(*)"),
        None,
        "GROUP BY 1",
        |r| {
            *counts.entry(r.get(0)?).or_default() += count_of(r.get(1)?)?;
            Ok(())
        },
    )
}

fn raw_split(
    conn: &Connection,
    filter: &AlertFilter,
    field: TimeField,
    interval: i64,
    split: TermField,
    splits: &mut BTreeMap<i64, TermMap>,
) -> Result<(), DbError> {
    let b = bucket_expr(time_column(field), interval);
    let col = term_column(split);
    let label = label_column(split).unwrap_or("NULL");
    raw_rows(
        conn,
        filter,
        &format!("{b}, {col}, COUNT(*), MIN({label})"),
        Some((&format!("{col} IS NOT NULL"), vec![])),
        "GROUP BY 1, 2",
        |r| {
            let map = splits.entry(r.get(0)?).or_default();
            add_term(map, r.get(1)?, count_of(r.get(2)?)?, r.get(3)?);
            Ok(())
        },
    )
}

/// The order of an alert listing by its time, ties by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Newest first, ties by id descending.
    NewestFirst,
    /// Oldest first, ties by id ascending.
    OldestFirst,
}

/// A page of alerts in `order` by the chosen time, continuing after the page's cursor.
pub(crate) fn alerts(
    conn: &Connection,
    page: &AlertPage,
    order: Order,
) -> Result<Vec<Alert>, DbError> {
    let col = time_column(page.order_by);
    let (beyond, not_before, direction) = match order {
        Order::NewestFirst => ("<", "<=", "DESC"),
        Order::OldestFirst => (">", ">=", "ASC"),
    };
    let extra = page.after.as_ref().map(|c| {
        let t = Value::Integer(c.time.unix());
        (
            // The leading bound limits the index range, so a page does not re-scan the pages
            // before it.
            format!("{col} {not_before} ? AND ({col} {beyond} ? OR ({col} = ? AND id {beyond} ?))"),
            vec![t.clone(), t.clone(), t, Value::Text(c.id.clone())],
        )
    });
    let limit = i64::try_from(page.limit).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    raw_rows(
        conn,
        &page.filter,
        ALERT_COLUMNS,
        extra.as_ref().map(|(c, v)| (c.as_str(), v.clone())),
        &format!("ORDER BY {col} {direction}, id {direction} LIMIT {limit}"),
        |r| {
            out.push(alert_from_row(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Alerts by id, in the order asked, missing ones left out.
pub(crate) fn alerts_by_id(conn: &Connection, ids: &[String]) -> Result<Vec<Alert>, DbError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"))?;
    let mut out = Vec::new();
    for id in ids {
        let mut rows = stmt.query([id])?;
        if let Some(row) = rows.next()? {
            out.push(alert_from_row(row)?);
        }
    }
    Ok(out)
}

/// Per installation: peerIdent counts and the set of peerTypes. Key: (by target IP?, key).
type InstallMap = BTreeMap<(bool, String), (TermMap, BTreeSet<String>)>;

fn add_install(map: &mut InstallMap, by_ip: bool, key: String, ident: String, ty: String, n: u64) {
    let entry = map.entry((by_ip, key)).or_default();
    add_term(&mut entry.0, ident, n, None);
    entry.1.insert(ty);
}

/// Installations among matching alerts: host-name groups first, then target-address groups.
pub(crate) fn installations(
    conn: &Connection,
    filter: &AlertFilter,
) -> Result<Vec<Installation>, DbError> {
    let mut map = InstallMap::new();
    match installations_window(filter) {
        Some(window) => {
            let pieces = decompose(window, &[DAY]);
            for (gran, span) in pieces.rollups {
                for (dim, by_ip) in [(Dim::InstallHost, false), (Dim::InstallIp, true)] {
                    let p = Plan {
                        tf: TimeField::Received,
                        dim,
                        k1: None,
                        grans: &[],
                        window,
                    };
                    rollup_rows(
                        conn,
                        &p,
                        filter.domain,
                        (gran, span),
                        "k1, k2, k3, SUM(n)",
                        "k1, k2, k3",
                        |r| {
                            add_install(
                                &mut map,
                                by_ip,
                                r.get(0)?,
                                r.get(1)?,
                                r.get(2)?,
                                count_of(r.get(3)?)?,
                            );
                            Ok(())
                        },
                    )?;
                }
            }
            for span in pieces.raws {
                raw_installations(conn, &narrowed(filter, TimeField::Received, span), &mut map)?;
            }
        }
        None => raw_installations(conn, filter, &mut map)?,
    }
    Ok(map
        .into_iter()
        .map(|((by_ip, key), (daemons, types))| Installation {
            hostname: (!by_ip).then(|| key.clone()),
            target_ip: by_ip.then_some(key),
            daemons: ranked(daemons, usize::MAX, false),
            peer_types: types.into_iter().collect(),
        })
        .collect())
}

fn raw_installations(
    conn: &Connection,
    filter: &AlertFilter,
    map: &mut InstallMap,
) -> Result<(), DbError> {
    raw_rows(
        conn,
        filter,
        &format!(
            "hostname = '{u}', CASE WHEN hostname = '{u}' THEN target_ip ELSE hostname END, \
             peer_ident, peer_type, COUNT(*)",
            u = UNDEFINED_HOSTNAME
        ),
        None,
        "GROUP BY 1, 2, 3, 4",
        |r| {
            add_install(
                map,
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                count_of(r.get(4)?)?,
            );
            Ok(())
        },
    )
}
