//! The estimate of an ISO/IEC 27001 implementation: how long, how much of whose time, and what
//! it costs, by the number of employees in scope and the way it is done. Every figure is one the
//! specification's articles publish (`isms-do-phase-articles.txt`, figures in US dollars); where
//! they give none, the estimate says so instead of inventing one. Assumptions are named in the
//! `basis` of each line.

use serde::Serialize;

/// Hours a full-time person works in a month, to turn "20 % of their time" into hours.
pub const HOURS_PER_MONTH: f64 = 160.0;
/// Maintenance of the system after the implementation, as a share of the initial effort.
pub const MAINTENANCE_SHARE: f64 = 0.25;
pub const SOURCE: &str = "duration, effort and cost figures of the ISO 27001 implementation articles (isms-do-phase-articles.txt); US dollars";

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Range {
    /// 0 with a positive `high` means "up to `high`".
    pub low: f64,
    pub high: f64,
}

impl Range {
    fn new(low: f64, high: f64) -> Range {
        Range { low, high }
    }
    fn times(self, k: f64) -> Range {
        Range::new(self.low * k, self.high * k)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffortLine {
    pub who: String,
    pub hours: Range,
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    pub item: String,
    pub usd: Range,
    pub basis: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Approach {
    /// The organisation's own people, without a consultant or a tool.
    Alone,
    OnlineTool,
    Consultant,
}

impl Approach {
    pub const ALL: [Approach; 3] = [Approach::Alone, Approach::OnlineTool, Approach::Consultant];

    pub fn as_str(self) -> &'static str {
        match self {
            Approach::Alone => "alone",
            Approach::OnlineTool => "online-tool",
            Approach::Consultant => "consultant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionEstimate {
    pub approach: Approach,
    /// None where the articles give no figure (doing it alone).
    pub months: Option<Range>,
    pub duration_note: String,
    pub effort: Vec<EffortLine>,
    pub costs: Vec<CostLine>,
    pub total_usd: Range,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub employees: u32,
    pub size_band: &'static str,
    pub options: Vec<OptionEstimate>,
    pub maintenance_share: f64,
    pub advice: Vec<String>,
}

/// The size band and its duration with a consultant or a tool, in months.
fn band(employees: u32) -> (&'static str, Range) {
    match employees {
        0..=20 => ("up to 20", Range::new(0.0, 3.0)),
        21..=50 => ("20 to 50", Range::new(3.0, 5.0)),
        51..=200 => ("50 to 200", Range::new(5.0, 8.0)),
        _ => ("over 200", Range::new(8.0, 20.0)),
    }
}

/// The project manager's share of their time: about 20 % up to 200 employees, full time at a
/// couple of thousand; in between the estimate interpolates (said in the line's basis).
fn project_manager_share(employees: u32) -> f64 {
    if employees <= 200 {
        0.2
    } else if employees >= 2000 {
        1.0
    } else {
        0.2 + 0.8 * (employees - 200) as f64 / 1800.0
    }
}

pub fn estimate(employees: u32, departments: u32, people_trained: u32) -> Estimate {
    let (size_band, months) = band(employees);
    let (departments, departments_basis) = if departments == 0 {
        let d = (employees as f64 / 25.0).round().clamp(1.0, 50.0) as u32;
        (
            d,
            format!("{d} departments assumed (about one per 25 employees; give the real number)"),
        )
    } else {
        (departments, format!("{departments} departments"))
    };
    let trained = people_trained.max(1);
    let share = project_manager_share(employees);
    let pm_hours = months.times(share * HOURS_PER_MONTH);
    let pm_basis = if employees <= 200 {
        format!(
            "about 20 % of their time (a day a week) for the {} months of the project, {HOURS_PER_MONTH} working hours a month",
            months_text(months)
        )
    } else {
        format!(
            "{:.0} % of their time: 20 % up to 200 employees growing to full time at about 2,000 (interpolated), for {} months",
            share * 100.0,
            months_text(months)
        )
    };
    let mut effort = vec![EffortLine {
        who: "project manager".into(),
        hours: pm_hours,
        basis: pm_basis,
    }];
    if employees >= 200 {
        effort.push(EffortLine {
            who: "security officer (if not the project manager)".into(),
            hours: pm_hours,
            basis: "the same time as the project manager".into(),
        });
    }
    effort.push(EffortLine {
        who: "heads of departments".into(),
        hours: Range::new(7.0, 7.0).times(departments as f64),
        basis: format!(
            "about 7 hours per department for risk assessment and treatment and reviewing documents; {departments_basis}"
        ),
    });
    effort.push(EffortLine {
        who: "top management".into(),
        hours: Range::new(5.0, 5.0),
        basis: "about 5 hours for the approvals".into(),
    });

    let course = CostLine {
        item: "ISO 27001 courses".into(),
        usd: Range::new(250.0, 1700.0).times(trained as f64),
        basis: format!("250 to 1,700 per person, {trained} trained"),
    };
    let standard = CostLine {
        item: "the standard".into(),
        usd: Range::new(100.0, 100.0),
        basis: "about 100".into(),
    };
    let certification = CostLine {
        item: "certification audit".into(),
        usd: Range::new(7500.0, 7500.0),
        basis: if employees <= 50 {
            "about 7,500 for a smaller company".into()
        } else {
            "about 7,500 for a smaller company; it grows with size (no published figure)".into()
        },
    };

    let options = Approach::ALL
        .iter()
        .map(|&approach| {
            let mut costs = vec![course.clone(), standard.clone()];
            match approach {
                Approach::OnlineTool => {
                    let years = |m: f64| (m / 12.0).ceil().max(1.0);
                    costs.push(CostLine {
                        item: "online tool".into(),
                        usd: Range::new(2000.0 * years(months.low), 2000.0 * years(months.high)),
                        basis: "about 2,000 a year, for the years of the project".into(),
                    });
                }
                Approach::Consultant => costs.push(CostLine {
                    item: "consultant".into(),
                    usd: Range::new(15000.0, 15000.0),
                    basis: "about 15,000 for a small company in the United States; differs greatly between countries".into(),
                }),
                Approach::Alone => {}
            }
            costs.push(certification.clone());
            let total_usd = costs.iter().fold(Range::new(0.0, 0.0), |t, c| {
                Range::new(t.low + c.usd.low, t.high + c.usd.high)
            });
            let (months, duration_note) = match approach {
                Approach::Alone => (
                    None,
                    format!(
                        "considerably longer than the {} months with help, with more effort; the articles give no figure",
                        months_text(months)
                    ),
                ),
                Approach::OnlineTool => (
                    Some(months),
                    format!("{} months with an online tool", months_text(months)),
                ),
                Approach::Consultant => (
                    Some(months),
                    format!(
                        "{} months; a consultant doing most of the work is usually the quickest and the most expensive",
                        months_text(months)
                    ),
                ),
            };
            let mut effort = effort.clone();
            if approach == Approach::Alone {
                for line in &mut effort {
                    line.basis
                        .push_str("; at least this much: doing it alone takes considerably more");
                }
            }
            OptionEstimate {
                approach,
                months,
                duration_note,
                effort,
                costs,
                total_usd,
            }
        })
        .collect();

    let mut advice = Vec::new();
    if employees < 50 {
        advice.push("Include the whole company in the ISMS scope: below 50 employees that is usually easier than scoping a part.".into());
    } else {
        advice.push(
            "Consider scoping only part of the organisation first: it lowers the project's risk."
                .into(),
        );
    }
    if employees >= 200 {
        advice.push(
            "Set up a project team; a project manager alone will not coordinate this size.".into(),
        );
    } else {
        advice.push(
            "A project manager coordinating with colleagues is enough; no project team is needed."
                .into(),
        );
    }
    advice.push("Count only the employees inside the ISMS scope.".into());
    Estimate {
        employees,
        size_band,
        options,
        maintenance_share: MAINTENANCE_SHARE,
        advice,
    }
}

/// "up to 3" or "3 to 5".
pub fn months_text(r: Range) -> String {
    if r.low == 0.0 {
        format!("up to {}", r.high)
    } else {
        format!("{} to {}", r.low, r.high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(e: &Estimate, a: Approach) -> &OptionEstimate {
        e.options.iter().find(|o| o.approach == a).unwrap()
    }

    #[test]
    fn durations_follow_the_published_bands() {
        for (employees, band, text) in [
            (15, "up to 20", "up to 3"),
            (20, "up to 20", "up to 3"),
            (40, "20 to 50", "3 to 5"),
            (120, "50 to 200", "5 to 8"),
            (500, "over 200", "8 to 20"),
        ] {
            let e = estimate(employees, 0, 0);
            assert_eq!(e.size_band, band);
            let tool = option(&e, Approach::OnlineTool);
            assert_eq!(months_text(tool.months.unwrap()), text);
            assert!(option(&e, Approach::Alone).months.is_none());
        }
    }

    #[test]
    fn effort_and_cost_lines_use_the_published_figures() {
        let e = estimate(40, 4, 2);
        let c = option(&e, Approach::Consultant);
        let pm = &c.effort[0];
        // 20 % of 160 hours a month for 3 to 5 months.
        assert_eq!(pm.hours, Range::new(96.0, 160.0));
        assert_eq!(
            c.effort[1].hours,
            Range::new(28.0, 28.0),
            "7 hours x 4 heads"
        );
        assert_eq!(c.effort[2].hours, Range::new(5.0, 5.0));
        // courses 2 x 250..1,700 + standard 100 + consultant 15,000 + audit 7,500
        assert_eq!(c.total_usd, Range::new(23100.0, 26000.0));
        let t = option(&e, Approach::OnlineTool);
        assert_eq!(t.total_usd, Range::new(10100.0, 13000.0));
        assert_eq!(e.maintenance_share, 0.25);

        let big = estimate(500, 20, 1);
        let pm = &option(&big, Approach::Consultant).effort[0];
        assert!(pm.basis.contains("33 %"), "{}", pm.basis);
        assert_eq!(
            option(&big, Approach::Consultant).effort[1].who,
            "security officer (if not the project manager)"
        );
    }
}
