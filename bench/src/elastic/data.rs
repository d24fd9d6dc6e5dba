//! The Elasticsearch copy of the embedded data set: the same generator, seed, size and end
//! time, written through peba's own `Store` trait (`ElasticStore`), so both stores hold the
//! same alerts and statistics documents.

use super::node::Node;
use crate::load::{self, Loaded};
use peba::config::Settings;
use std::path::Path;

/// The index of the benchmark's bookkeeping document (which data set the node holds).
const META_INDEX: &str = "peba-bench-meta";
/// The id of that document.
const META_ID: &str = "dataset";
/// The indices peba's default settings use; emptied before a load.
const DATA_INDICES: &[&str] = &["ews-*", "ews2017.1", "ewscve", "users", "statistics"];

/// Settings from `key=value` pairs, as `peba serve --set` would read them.
pub fn settings(pairs: &[(String, String)]) -> Settings {
    Settings::load(None, |_| None, pairs).expect("valid settings")
}

/// Makes the node hold the data set `embedded` describes: reused when the node already holds
/// it (the bookkeeping document says so), else loaded from scratch with peba's default index
/// names. `geoip` is the embedded data set's directory of GeoIP databases.
pub async fn prepare(node: &mut Node, url: &str, embedded: &Loaded, geoip: &Path) -> Loaded {
    if let Some(meta) = node
        .document(META_INDEX, META_ID)
        .await
        .expect("node answers")
        .as_ref()
        .and_then(Loaded::from_json)
        && meta.alerts == embedded.alerts
        && meta.days == embedded.days
        && meta.end == embedded.end
    {
        eprintln!("reusing the data set on {url} ({} alerts)", meta.alerts);
        return meta;
    }
    node.delete_indices(&[META_INDEX])
        .await
        .expect("old bookkeeping deleted");
    node.delete_indices(DATA_INDICES)
        .await
        .expect("old data deleted");
    // 20,000-alert bulks may take longer than the default timeout on a busy machine.
    let store = peba::app::open_store(&settings(&[
        ("elasticsearch_host".to_owned(), url.to_owned()),
        ("elastictimeout".to_owned(), "300".to_owned()),
    ]))
    .await
    .expect("the Elasticsearch store opens");
    eprintln!(
        "loading {} alerts over {} days into {url}",
        embedded.alerts, embedded.days
    );
    let loaded = load::load(
        store,
        (&geoip.join("city.mmdb"), &geoip.join("asn.mmdb")),
        embedded.alerts,
        embedded.days,
        embedded.end,
        load::BATCH,
        load::SEED,
    )
    .await
    .expect("load into Elasticsearch");
    eprintln!(
        "loaded {} alerts in {:.1}s ({:.0} alerts/s through the Store trait)",
        loaded.alerts,
        loaded.seconds,
        loaded.alerts as f64 / loaded.seconds
    );
    node.put_document(META_INDEX, META_ID, &loaded.to_json())
        .await
        .expect("bookkeeping stored");
    loaded
}
