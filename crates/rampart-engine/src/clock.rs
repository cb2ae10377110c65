//! The server's clock as the API shows it, and moving a simulated one forward.

use rampart_authz::Resource;
use rampart_domain::Invalid;

use crate::{Caller, Engine, EngineError};

/// The clock as the API reports it.
#[derive(Debug, Clone)]
pub struct ClockView {
    pub now: String,
    pub offset_seconds: i64,
    pub simulated: bool,
}

/// The caller's own organisation ("" for operators, who stand outside every organisation).
fn own_organisation(caller: &Caller) -> Resource {
    Resource::Organisation {
        id: caller.principal.organisation().unwrap_or("").to_string(),
    }
}

/// The most one call moves the clock: a hundred years.
pub const MAX_ADVANCE_DAYS: u32 = 36_500;

impl Engine {
    /// Lets operators move this process's clock forward (`rampart serve --simulated-clock`).
    pub fn with_simulated_clock(mut self, simulated: bool) -> Engine {
        self.simulated_clock = simulated;
        self
    }

    /// The clock, for a caller the policies let read it.
    pub fn read_clock(&self, caller: &Caller) -> Result<ClockView, EngineError> {
        self.authorize(caller, "clock.read", &own_organisation(caller))?;
        Ok(self.clock())
    }

    /// The implementation estimate (published figures, no organisation's data).
    pub fn estimate(
        &self,
        caller: &Caller,
        employees: u32,
        departments: u32,
        people_trained: u32,
    ) -> Result<rampart_domain::estimate::Estimate, EngineError> {
        self.authorize(caller, "implementation.estimate", &own_organisation(caller))?;
        if employees == 0 {
            return Err(Invalid::new(
                "employees",
                "give the number of employees in the ISMS scope (at least 1)",
            )
            .into());
        }
        Ok(rampart_domain::estimate::estimate(
            employees,
            departments,
            people_trained,
        ))
    }

    fn clock(&self) -> ClockView {
        ClockView {
            now: rampart_store::now(),
            offset_seconds: rampart_domain::clock::offset().whole_seconds(),
            simulated: self.simulated_clock,
        }
    }

    /// Moves the clock forward by `days` and generates what fell due in every organisation.
    /// Platform operators only, on a server started with a simulated clock.
    pub async fn advance_clock(
        &self,
        caller: &Caller,
        days: u32,
    ) -> Result<ClockView, EngineError> {
        self.authorize(caller, "clock.advance", &Resource::Platform)?;
        if !self.simulated_clock {
            return Err(EngineError::FailedPrecondition(
                "this server keeps real time: start it with --simulated-clock to move its clock (tests and demonstrations only)".into(),
            ));
        }
        if days == 0 || days > MAX_ADVANCE_DAYS {
            return Err(Invalid::new("days", format!("must be 1 to {MAX_ADVANCE_DAYS}")).into());
        }
        rampart_domain::clock::advance(time::Duration::days(days as i64));
        let generated = self.generate_due_everywhere().await;
        tracing::info!(days, generated, "clock moved forward");
        Ok(self.clock())
    }
}
