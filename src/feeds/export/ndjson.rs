//! NDJSON export: one JSON object per line, the legacy alert document with its `id`.

use crate::domain::Alert;

/// One line per alert.
pub fn lines(alerts: &[Alert]) -> Vec<u8> {
    let mut out = Vec::with_capacity(alerts.len() * 1024);
    for alert in alerts {
        let mut document = alert.to_document();
        if let Some(fields) = document.as_object_mut() {
            fields.insert("id".to_owned(), serde_json::Value::String(alert.id.clone()));
        }
        // A JSON value always serialises.
        let _ = serde_json::to_writer(&mut out, &document);
        out.push(b'\n');
    }
    out
}
