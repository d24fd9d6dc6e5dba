//! `GET /alert/getStats`: pre-computed community statistics (decision 3): documents whose
//! `UTCtimeFrom` lies in `[gte, lt]` (inclusive), reduced to the requested ratios. Answers
//! `Nope` when the store holds none.

use super::cache::{Legacy, OrAnswer, route_params};
use super::params::{Param, unquote_plus};
use super::response::{json, plain};
use crate::app::AppState;
use crate::domain::Timestamp;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::time::Duration;

const TTL: Duration = Duration::from_secs(1800);

route_params! {
    /// What `getStats` reads.
    pub struct StatsParams {
        /// First `UTCtimeFrom` (inclusive).
        gte: Param = "gte",
        /// Last `UTCtimeFrom` (inclusive).
        lt: Param = "lt",
        /// The honeypot types whose ratios are wanted, comma-separated.
        values: Param = "values",
    }
}

/// The honeypot types `values` may name.
pub const TYPES: &[&str] = &[
    "E-Mail(mailoney)",
    "Industrial(conpot)",
    "Network(cisco-asa)",
    "Network(Dionaea)",
    "Network(glutton)",
    "Network(honeytrap)",
    "Network(suricata)",
    "Passwords(heralding)",
    "RDP(rdpy)",
    "SSH/console(cowrie)",
    "Service(ES)",
    "Service(emobility)",
    "Service(Medicine)",
    "VNC(vnclowpot)",
    "Webpage",
    "Unclassified",
];

/// The fields returned for the requested `values`.
pub fn fields(values: Option<&str>) -> Vec<String> {
    let mut fields = vec![
        "UTCtimeFrom".to_owned(),
        "UTCtimeTo".to_owned(),
        "comm_totalRatio".to_owned(),
    ];
    if let Some(values) = values {
        let decoded = unquote_plus(values);
        for name in decoded.split(',') {
            if TYPES.contains(&name) {
                fields.push(format!("comm_ratio_{name}"));
            }
        }
    }
    fields
}

fn bound(param: &Param) -> Option<Timestamp> {
    let text = unquote_plus(param.get()?);
    Timestamp::parse_legacy(&text).ok()
}

/// `GET /alert/getStats`.
pub async fn get_stats(State(state): State<AppState>, request: Legacy<StatsParams>) -> Response {
    let params = &request.params;
    state
        .answers
        .answer(&request, None, Some(TTL), async {
            let nope = || plain(&state.settings.default_response);
            let now = state.clock.now();
            let from = bound(&params.gte).unwrap_or(now.plus_seconds(-Timestamp::DAY));
            let to = bound(&params.lt).unwrap_or(now);
            let wanted = fields(params.values.get());
            let documents = state.query.statistics(from, to).await.or_answer(nope)?;
            let mut out = Map::new();
            for document in documents {
                let Some(key) = document.get("UTCtimeFrom").map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }) else {
                    continue;
                };
                let projected: Map<String, Value> = wanted
                    .iter()
                    .filter_map(|f| document.get(f).map(|v| (f.clone(), v.clone())))
                    .collect();
                out.insert(key, Value::Object(projected));
            }
            if out.is_empty() {
                return Ok(nope());
            }
            Ok(json(&Value::Object(out)))
        })
        .await
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_fields() {
        assert_eq!(fields(None).len(), 3);
        let f = fields(Some(
            "Network(Dionaea),SSH%2Fconsole(cowrie),Nonsense,Unclassified",
        ));
        assert_eq!(
            &f[3..],
            &[
                "comm_ratio_Network(Dionaea)".to_owned(),
                "comm_ratio_SSH/console(cowrie)".to_owned(),
                "comm_ratio_Unclassified".to_owned()
            ]
        );
    }
}
