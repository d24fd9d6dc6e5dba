//! The CSV feed: `address,count,first_seen,last_seen,honeypot_types,ports`, times in RFC 3339,
//! lists separated by `;`.

use super::Feed;

/// The header and one row per attacker.
pub fn render(feed: &Feed) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<(), ::csv::Error> {
        writer.write_record([
            "address",
            "count",
            "first_seen",
            "last_seen",
            "honeypot_types",
            "ports",
        ])?;
        for a in feed.attackers.iter() {
            let ports: Vec<String> = a.ports.iter().map(u16::to_string).collect();
            writer.write_record([
                a.address.to_string(),
                a.count.to_string(),
                a.first_seen.format_rfc3339(),
                a.last_seen.format_rfc3339(),
                a.honeypot_types.join(";"),
                ports.join(";"),
            ])?;
        }
        Ok(())
    };
    // Writing to memory cannot fail.
    let _ = write();
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
