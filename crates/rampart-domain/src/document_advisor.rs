//! The document advisor: whether to write a proposed policy or procedure, and how detailed to
//! make it, from the criteria the implementation articles give (eight to decide whether to write
//! it, five for the level of detail). Each criterion adds or takes points and says why, so the
//! advice can be argued with; a document an installed framework makes mandatory is always required.

use serde::{Deserialize, Serialize};

use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Degree {
    None,
    Low,
    Medium,
    High,
}

impl Degree {
    pub fn parse(field: &str, s: &str, allow_none: bool) -> Result<Degree, Invalid> {
        match s.trim() {
            "none" if allow_none => Ok(Degree::None),
            "low" => Ok(Degree::Low),
            "" | "medium" => Ok(Degree::Medium),
            "high" => Ok(Degree::High),
            other => Err(Invalid::new(
                field,
                format!(
                    "'{other}' is not one of {}low, medium, high",
                    if allow_none { "none, " } else { "" }
                ),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Maturity {
    /// Being set up, or changing.
    New,
    Established,
    /// Running the same way for years, finely tuned, everyone knows it.
    Mature,
}

impl Maturity {
    pub fn parse(field: &str, s: &str) -> Result<Maturity, Invalid> {
        match s.trim() {
            "new" => Ok(Maturity::New),
            "" | "established" => Ok(Maturity::Established),
            "mature" => Ok(Maturity::Mature),
            other => Err(Invalid::new(
                field,
                format!("'{other}' is not one of new, established, mature"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
    Rarely,
}

impl Frequency {
    pub fn parse(field: &str, s: &str) -> Result<Frequency, Invalid> {
        Ok(match s.trim() {
            "daily" => Frequency::Daily,
            "weekly" => Frequency::Weekly,
            "" | "monthly" => Frequency::Monthly,
            "quarterly" => Frequency::Quarterly,
            "yearly" => Frequency::Yearly,
            "rarely" => Frequency::Rarely,
            other => {
                return Err(Invalid::new(
                    field,
                    format!(
                        "'{other}' is not one of daily, weekly, monthly, quarterly, yearly, rarely"
                    ),
                ));
            }
        })
    }

    fn rare(self) -> bool {
        matches!(self, Frequency::Yearly | Frequency::Rarely)
    }

    fn frequent(self) -> bool {
        matches!(self, Frequency::Daily | Frequency::Weekly)
    }
}

/// A document someone is thinking of writing, described by the articles' criteria.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub title: String,
    /// Set when an installed framework makes the document mandatory: the requirement that does.
    pub mandatory_by: Option<String>,
    /// How much risk the activity carries; `None` when the risk assessment found none.
    pub risk: Degree,
    /// A law, regulation or contract requires the document.
    pub required_by_compliance: bool,
    /// Regulators' or clients' auditors expect a detailed document.
    pub auditors_expect_detail: bool,
    /// The organisation's size.
    pub employees: u32,
    pub importance: Degree,
    /// How many people perform the process or activity.
    pub people_involved: u32,
    pub complexity: Degree,
    pub maturity: Maturity,
    pub frequency: Frequency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recommendation {
    /// Mandatory (framework) or required by law or contract: write it.
    Required,
    Write,
    /// Write it only if there is a real need; the articles advise against unnecessary documents.
    Optional,
    DoNotWrite,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Required => "required",
            Recommendation::Write => "write",
            Recommendation::Optional => "optional",
            Recommendation::DoNotWrite => "do-not-write",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detail {
    /// A page or a checklist.
    Brief,
    Standard,
    /// Step by step, with roles, records and exceptions.
    Detailed,
}

impl Detail {
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Brief => "brief",
            Detail::Standard => "standard",
            Detail::Detailed => "detailed",
        }
    }
}

/// One criterion's contribution: its name, the points it gave (positive: for writing, or for more
/// detail) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub criterion: String,
    pub points: i32,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    pub recommendation: Recommendation,
    pub score: i32,
    pub reasons: Vec<Reason>,
    pub detail: Detail,
    pub detail_score: i32,
    pub detail_reasons: Vec<Reason>,
}

/// Points at or above which a document is worth writing, and below which it is not.
const WRITE_AT: i32 = 2;
const SKIP_BELOW: i32 = 0;

fn reason(criterion: &str, points: i32, why: impl Into<String>) -> Reason {
    Reason {
        criterion: criterion.into(),
        points,
        why: why.into(),
    }
}

pub fn advise(p: &Proposal) -> Advice {
    let mut reasons = Vec::new();
    if let Some(req) = &p.mandatory_by {
        reasons.push(reason(
            "mandatory",
            0,
            format!("{req} makes it mandatory: write it to be compliant"),
        ));
    }
    reasons.push(match p.risk {
        Degree::None => reason(
            "risks",
            -10,
            "the risk assessment found no risk here, so no control and no document is needed",
        ),
        Degree::Low => reason(
            "risks",
            0,
            "low risk: the control is needed, a document not necessarily",
        ),
        Degree::Medium => reason(
            "risks",
            1,
            "medium risk: a written rule helps the control work",
        ),
        Degree::High => reason("risks", 2, "high risk: people must know exactly what to do"),
    });
    if p.required_by_compliance {
        reasons.push(reason(
            "compliance",
            0,
            "a law, regulation or contract requires it",
        ));
    } else {
        reasons.push(reason(
            "compliance",
            0,
            "no law, regulation or contract requires it",
        ));
    }
    reasons.push(match p.employees {
        0..50 => reason(
            "size of the company",
            -1,
            format!("{} employees: a small company keeps few documents and avoids a procedure for every small process", p.employees),
        ),
        50..1000 => reason("size of the company", 0, format!("{} employees: a mid-size company documents its main processes", p.employees)),
        _ => reason(
            "size of the company",
            1,
            format!("{} employees: policies with procedures and work instructions under them make sense at this size", p.employees),
        ),
    });
    reasons.push(match p.importance {
        Degree::None | Degree::Low => reason(
            "importance",
            -1,
            "a minor activity: a breakdown costs little",
        ),
        Degree::Medium => reason("importance", 0, "moderately important"),
        Degree::High => reason(
            "importance",
            2,
            "an important process: everyone must perform it the same way to avoid breakdowns",
        ),
    });
    reasons.push(match p.people_involved {
        0 | 1 => reason(
            "number of people involved",
            2,
            "only one person performs it: write it down so the work can go on if they become unavailable",
        ),
        2..10 => reason(
            "number of people involved",
            -1,
            format!("{} people can be shown how it works in a single meeting", p.people_involved),
        ),
        10..50 => reason("number of people involved", 1, format!("{} people are hard to brief verbally", p.people_involved)),
        n => reason("number of people involved", 2, format!("{n} people cannot be taught verbally: a written procedure explains it to all")),
    });
    reasons.push(match p.complexity {
        Degree::None | Degree::Low => reason(
            "complexity",
            -1,
            "a few simple steps that are easily remembered",
        ),
        Degree::Medium => reason("complexity", 0, "moderately complex"),
        Degree::High => reason(
            "complexity",
            2,
            "too many steps to remember in sequence: at least a checklist is needed",
        ),
    });
    reasons.push(match p.maturity {
        Maturity::New => reason("maturity", 1, "a new process: writing it down establishes it"),
        Maturity::Established => reason("maturity", 0, "established"),
        Maturity::Mature => reason(
            "maturity",
            -3,
            "it has run for years, is finely tuned and everyone knows how to perform it: there is probably no need to document it",
        ),
    });
    reasons.push(if p.frequency.rare() {
        reason(
            "frequency",
            1,
            "performed rarely, so people forget how it is done",
        )
    } else if p.frequency.frequent() {
        reason(
            "frequency",
            -1,
            "performed so often that people know it by heart",
        )
    } else {
        reason("frequency", 0, "performed regularly")
    });
    let score: i32 = reasons.iter().map(|r| r.points).sum();
    let recommendation = if p.mandatory_by.is_some() || p.required_by_compliance {
        Recommendation::Required
    } else if score >= WRITE_AT {
        Recommendation::Write
    } else if score >= SKIP_BELOW {
        Recommendation::Optional
    } else {
        Recommendation::DoNotWrite
    };

    let mut detail_reasons = vec![
        match p.complexity {
            Degree::None | Degree::Low => reason("complexity", -1, "simple steps fit on a page"),
            Degree::Medium => reason("complexity", 0, "a moderately complex process"),
            Degree::High => reason(
                "complexity",
                2,
                "many difficult steps need to be spelled out",
            ),
        },
        match p.maturity {
            Maturity::New => reason("maturity", 1, "a new process needs its steps explained"),
            Maturity::Established => reason("maturity", 0, "established"),
            Maturity::Mature => reason(
                "maturity",
                -1,
                "employees have performed it the same way for years with few problems",
            ),
        },
        if p.frequency.rare() {
            reason(
                "frequency",
                1,
                "performed rarely: explain it in more detail",
            )
        } else if p.frequency.frequent() {
            reason(
                "frequency",
                -1,
                "performed very regularly: a short document suffices",
            )
        } else {
            reason("frequency", 0, "performed regularly")
        },
        match p.importance.max(p.risk) {
            Degree::None | Degree::Low => reason(
                "importance/risks",
                -1,
                "not really an issue: describe it only generally",
            ),
            Degree::Medium => reason("importance/risks", 0, "moderate importance and risk"),
            Degree::High => reason(
                "importance/risks",
                1,
                "important or risky: describe the rules in detail",
            ),
        },
        if p.auditors_expect_detail {
            reason(
                "compliance",
                3,
                "regulators' or clients' auditors expect a detailed document",
            )
        } else {
            reason("compliance", 0, "no auditor expects particular detail")
        },
    ];
    if p.employees < 50 {
        detail_reasons.push(reason(
            "size of the company",
            -1,
            "a small company keeps its documents short",
        ));
    }
    let detail_score: i32 = detail_reasons.iter().map(|r| r.points).sum();
    let detail = if detail_score >= 2 {
        Detail::Detailed
    } else if detail_score <= -2 {
        Detail::Brief
    } else {
        Detail::Standard
    };
    Advice {
        recommendation,
        score,
        reasons,
        detail,
        detail_score,
        detail_reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(employees: u32, people: u32) -> Proposal {
        Proposal {
            title: "Backup procedure".into(),
            mandatory_by: None,
            risk: Degree::Medium,
            required_by_compliance: false,
            auditors_expect_detail: false,
            employees,
            importance: Degree::Medium,
            people_involved: people,
            complexity: Degree::Medium,
            maturity: Maturity::Established,
            frequency: Frequency::Monthly,
        }
    }

    #[test]
    fn a_small_company_skips_what_a_multinational_writes() {
        let small = advise(&proposal(20, 4));
        assert_eq!(
            small.recommendation,
            Recommendation::DoNotWrite,
            "{small:?}"
        );
        let large = advise(&proposal(10_000, 200));
        assert_eq!(large.recommendation, Recommendation::Write, "{large:?}");
    }

    #[test]
    fn a_one_person_process_is_written_down() {
        let a = advise(&proposal(20, 1));
        assert_eq!(a.recommendation, Recommendation::Write, "{a:?}");
        assert!(a.reasons.iter().any(|r| r.why.contains("unavailable")));
    }

    #[test]
    fn a_mature_process_needs_no_document() {
        let mut p = proposal(300, 30);
        assert_eq!(advise(&p).recommendation, Recommendation::Write);
        p.maturity = Maturity::Mature;
        assert_eq!(advise(&p).recommendation, Recommendation::DoNotWrite);
    }

    #[test]
    fn mandatory_and_contractual_documents_are_required_whatever_the_score() {
        let mut p = proposal(20, 4);
        p.mandatory_by = Some("ISO/IEC 27001:2022 5.2".into());
        assert_eq!(advise(&p).recommendation, Recommendation::Required);
        let mut p = proposal(20, 4);
        p.required_by_compliance = true;
        assert_eq!(advise(&p).recommendation, Recommendation::Required);
        let mut p = proposal(20, 4);
        p.risk = Degree::None;
        assert_eq!(advise(&p).recommendation, Recommendation::DoNotWrite);
    }

    #[test]
    fn detail_follows_complexity_frequency_and_auditors() {
        let mut p = proposal(300, 30);
        assert_eq!(advise(&p).detail, Detail::Standard);
        p.complexity = Degree::High;
        p.frequency = Frequency::Rarely;
        assert_eq!(advise(&p).detail, Detail::Detailed);
        let mut p = proposal(20, 3);
        p.complexity = Degree::Low;
        p.frequency = Frequency::Daily;
        p.maturity = Maturity::Mature;
        assert_eq!(advise(&p).detail, Detail::Brief);
        p.auditors_expect_detail = true;
        assert_ne!(advise(&p).detail, Detail::Brief);
    }
}
