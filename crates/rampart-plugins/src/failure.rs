//! How a plugin call fails: always naming the plugin and what it broke.

use std::fmt;

/// What a plugin broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broke {
    /// Ran longer than its CPU budget (an endless loop, say).
    CpuBudget,
    /// Asked for more memory than it may have.
    Memory,
    /// Recursed deeper than the call stack allows.
    Stack,
    /// Returned more data than a result may carry.
    Output,
    /// Trapped, panicked or raised a script error.
    Crashed,
    /// Returned data of the wrong shape, or a result the contract does not allow.
    Contract,
}

impl Broke {
    pub fn as_str(self) -> &'static str {
        match self {
            Broke::CpuBudget => "cpu-budget",
            Broke::Memory => "memory",
            Broke::Stack => "stack",
            Broke::Output => "output",
            Broke::Crashed => "crashed",
            Broke::Contract => "contract",
        }
    }
}

/// A plugin call that failed because of the plugin, not because of its inputs. The engine reports
/// it and goes on; the plugin stays loaded and its next call starts from a fresh instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFailure {
    pub plugin: String,
    pub broke: Broke,
    pub detail: String,
}

impl PluginFailure {
    pub fn new(plugin: &str, broke: Broke, detail: impl Into<String>) -> Self {
        PluginFailure {
            plugin: plugin.to_string(),
            broke,
            detail: crate::risk::truncate(&detail.into(), 2048),
        }
    }
}

impl fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.broke {
            Broke::CpuBudget => "exceeded its CPU budget",
            Broke::Memory => "exceeded its memory limit",
            Broke::Stack => "exceeded its call depth",
            Broke::Output => "returned more output than allowed",
            Broke::Crashed => "crashed",
            Broke::Contract => "broke the plugin contract",
        };
        write!(f, "plugin {} {what}: {}", self.plugin, self.detail)
    }
}

impl std::error::Error for PluginFailure {}
