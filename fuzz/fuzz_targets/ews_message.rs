//! The EWS XML ingest parser and document builder: any body must either be refused with an
//! error or turn into documents, without panicking or allocating without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peba::domain::Timestamp;
use peba::ingest::{BuildContext, Classification, GeoIp, build_alerts, parse_message};
use std::sync::LazyLock;

static GEOIP: LazyLock<GeoIp> = LazyLock::new(GeoIp::disabled);

fuzz_target!(|body: &[u8]| {
    let Ok(message) = parse_message(body) else {
        return;
    };
    for classification in [Classification::Extended, Classification::Legacy] {
        let built = build_alerts(
            &message,
            &BuildContext {
                client_domain: true,
                client: peba::domain::COMMUNITY_CLIENT,
                max_field_bytes: 1_024,
                received: Timestamp::from_unix(1_719_230_400),
                classification,
                geoip: &GEOIP,
            },
        );
        assert_eq!(built.alerts.len() + built.skipped.len(), message.alerts.len());
        for alert in &built.alerts {
            // Every document serialises (the store and Elasticsearch write this form).
            let _ = alert.to_document();
        }
    }
});
