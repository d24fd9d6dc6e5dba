//! The opaque cursors of alert listings: `<order tag>:<unix time>:<id>`, base64url.

use crate::domain::{self, Alert, Timestamp};
use crate::graphql::errors::bad_input;
use async_graphql::Result;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn order_tag(order_by: domain::TimeField) -> char {
    match order_by {
        domain::TimeField::Received => 'r',
        domain::TimeField::Created => 'c',
    }
}

/// The opaque cursor of `alert` in a listing ordered by `order_by`.
pub fn encode_cursor(order_by: domain::TimeField, alert: &Alert) -> String {
    let time = match order_by {
        domain::TimeField::Received => alert.recieved_time,
        domain::TimeField::Created => alert.create_time,
    };
    URL_SAFE_NO_PAD.encode(format!(
        "{}:{}:{}",
        order_tag(order_by),
        time.unix(),
        alert.id
    ))
}

/// Reads a cursor of a listing ordered by `order_by`.
pub fn decode_cursor(order_by: domain::TimeField, cursor: &str) -> Result<domain::AlertCursor> {
    let invalid = || bad_input("invalid cursor: pass a cursor of the same listing");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, ':');
    let (Some(tag), Some(time), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if tag.chars().ne([order_tag(order_by)]) {
        return Err(invalid());
    }
    let time = time.parse::<i64>().map_err(|_| invalid())?;
    Ok(domain::AlertCursor {
        time: Timestamp::from_unix(time),
        id: id.to_owned(),
    })
}
