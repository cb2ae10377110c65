//! How a request moves a document: the context of the handling actions (export, transfer), so
//! that the handling matrix (level × medium and channel) is enforced by policies.

use cedar_policy::{Context, RestrictedExpression};
use serde::{Deserialize, Serialize};

/// The actions whose requests carry a [`Handling`] context (declared so in the schema).
pub const HANDLING_ACTIONS: [&str; 2] = ["document.export", "document.transfer"];

/// The channels a request can name.
pub const CHANNELS: [&str; 5] = [
    "download",
    "print",
    "email",
    "transfer-inside",
    "transfer-outside",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Handling {
    /// download, print, email, transfer-inside, transfer-outside.
    pub channel: String,
    /// electronic or paper.
    pub medium: String,
    pub encrypted: bool,
    pub return_receipt: bool,
}

impl Default for Handling {
    fn default() -> Self {
        Handling {
            channel: "download".into(),
            medium: "electronic".into(),
            encrypted: false,
            return_receipt: false,
        }
    }
}

impl Handling {
    /// Checks the channel and medium are known words, so a typo cannot slip past a rule.
    pub fn validate(&self) -> Result<(), String> {
        if !CHANNELS.contains(&self.channel.as_str()) {
            return Err(format!(
                "unknown channel {:?}: use one of {}",
                self.channel,
                CHANNELS.join(", ")
            ));
        }
        if !["electronic", "paper"].contains(&self.medium.as_str()) {
            return Err(format!(
                "unknown medium {:?}: use electronic or paper",
                self.medium
            ));
        }
        Ok(())
    }

    pub(crate) fn context(&self) -> Context {
        Context::from_pairs([
            (
                "channel".to_string(),
                RestrictedExpression::new_string(self.channel.clone()),
            ),
            (
                "medium".to_string(),
                RestrictedExpression::new_string(self.medium.clone()),
            ),
            (
                "encrypted".to_string(),
                RestrictedExpression::new_bool(self.encrypted),
            ),
            (
                "return_receipt".to_string(),
                RestrictedExpression::new_bool(self.return_receipt),
            ),
        ])
        .expect("distinct literal keys")
    }
}
