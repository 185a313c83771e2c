//! Users and passwords, as Redis's ACL sees them in the two forms this server supports: `requirepass` (the
//! default user's password, a setting `CONFIG SET requirepass` changes) and named users with every permission.

use crate::config::{Password, ServerConfig};

/// Redis's reply to a failed AUTH, whatever failed (unknown user or wrong password).
pub(crate) const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Redis's reply to a command before authentication.
pub(crate) const NOAUTH: &str = "NOAUTH Authentication required.";

/// The named users of a server.
#[derive(Debug)]
pub(crate) struct Users {
    named: Vec<(String, Password)>,
}

impl Users {
    pub(crate) fn new(config: &ServerConfig) -> Users {
        Users {
            named: config
                .users
                .iter()
                .map(|user| (user.name.clone(), user.password.clone()))
                .collect(),
        }
    }

    /// Whether the pair is valid, given the default user's password (`requirepass`, empty: `nopass`, which
    /// takes any password, as in Redis).
    pub(crate) fn authenticate(&self, requirepass: &str, user: &[u8], password: &[u8]) -> bool {
        if user == b"default" {
            return requirepass.is_empty() || Password::new(requirepass).matches(password);
        }
        self.named
            .iter()
            .any(|(name, expected)| name.as_bytes() == user && expected.matches(password))
    }
}
