//! Accounts that submit alerts or read private data.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user name: non-empty, at most 128 characters, no whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

/// A user name that breaks the rules of [`UserName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid user name {0:?}: must be 1 to 128 characters without spaces or control characters"
)]
pub struct UserNameError(pub String);

impl UserName {
    /// Validates a user name.
    pub fn parse(name: &str) -> Result<Self, UserNameError> {
        let valid = !name.is_empty()
            && name.chars().count() <= 128
            && !name.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(UserName(name.to_owned()))
        } else {
            Err(UserNameError(name.to_owned()))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = UserNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        UserName::parse(&value)
    }
}

impl From<UserName> for String {
    fn from(name: UserName) -> String {
        name.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a user's token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenHash {
    /// Legacy PEBA: lowercase hex SHA-512 (128 characters).
    Sha512Hex(String),
    /// Legacy (MongoDB era): lowercase hex MD5 (32 characters).
    Md5Hex(String),
    /// An Argon2id hash in PHC string form.
    Argon2(String),
    /// Anything else: never matches.
    Unusable(String),
}

impl TokenHash {
    /// Classifies a stored hash string.
    pub fn from_stored(stored: &str) -> Self {
        let hex = stored.bytes().all(|b| b.is_ascii_hexdigit());
        match stored.len() {
            128 if hex => TokenHash::Sha512Hex(stored.to_owned()),
            32 if hex => TokenHash::Md5Hex(stored.to_owned()),
            _ if stored.starts_with("$argon2") => TokenHash::Argon2(stored.to_owned()),
            _ => TokenHash::Unusable(stored.to_owned()),
        }
    }

    /// The stored string.
    pub fn as_stored(&self) -> &str {
        match self {
            TokenHash::Sha512Hex(s)
            | TokenHash::Md5Hex(s)
            | TokenHash::Argon2(s)
            | TokenHash::Unusable(s) => s,
        }
    }
}

/// A stored account, in PEBA's `users` document shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name.
    #[serde(rename = "peerName")]
    pub name: UserName,
    /// Stored token hash.
    #[serde(rename = "token", with = "stored_hash")]
    pub token: TokenHash,
    /// May read but not submit.
    #[serde(rename = "getOnly", default)]
    pub read_only: bool,
    /// May read community data only.
    #[serde(rename = "community", default)]
    pub community_only: bool,
    /// Contact address.
    #[serde(default)]
    pub email: String,
}

mod stored_hash {
    use super::TokenHash;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &TokenHash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(hash.as_stored())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TokenHash, D::Error> {
        Ok(TokenHash::from_stored(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(UserName::parse("community-01-user").is_ok());
        for bad in ["", "a b", "tab\there", &"x".repeat(129)] {
            assert!(UserName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stored_hashes_are_classified() {
        assert!(matches!(
            TokenHash::from_stored(&"a".repeat(128)),
            TokenHash::Sha512Hex(_)
        ));
        assert!(matches!(
            TokenHash::from_stored(&"0".repeat(32)),
            TokenHash::Md5Hex(_)
        ));
        assert!(matches!(
            TokenHash::from_stored("$argon2id$v=19$m=19456,t=2,p=1$abc$def"),
            TokenHash::Argon2(_)
        ));
        assert!(matches!(
            TokenHash::from_stored("secret"),
            TokenHash::Unusable(_)
        ));
    }

    #[test]
    fn legacy_user_documents_read() {
        let doc = r#"{"peerName":"test","token":"00000000000000000000000000000000","getOnly":false,"community":false,"email":"t@t.de"}"#;
        let user: User = serde_json::from_str(doc).unwrap();
        assert_eq!(user.name.as_str(), "test");
        assert!(matches!(user.token, TokenHash::Md5Hex(_)));
    }
}
