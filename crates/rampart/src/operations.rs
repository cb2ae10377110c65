//! `rampart task|clock|estimate`: tasks, the server's clock and the implementation estimate.

use anyhow::bail;
use rampart_proto::v1 as pb;

use crate::cli::{ClockCmd, TaskCmd};
use crate::client::{Client, explain};
use crate::output::{json, record, table};

const TASK_HEADERS: [&str; 7] = ["id", "title", "assignee", "due", "status", "every", "on"];

fn task_row(t: &pb::Task) -> Vec<String> {
    let f = t.fields.clone().unwrap_or_default();
    vec![
        t.id.clone(),
        f.title,
        f.assignee,
        format!(
            "{}{}",
            f.due.get(..10).unwrap_or(&f.due),
            if t.overdue { " OVERDUE" } else { "" }
        ),
        t.status.clone(),
        if f.recurrence_months > 0 {
            format!("{} months", f.recurrence_months)
        } else {
            String::new()
        },
        f.link
            .map(|l| format!("{}:{}", l.kind, l.id))
            .unwrap_or_default(),
    ]
}

fn show(t: &pb::Task, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(t);
    }
    table(&TASK_HEADERS, vec![task_row(t)]);
    let f = t.fields.clone().unwrap_or_default();
    record(&[
        ("description", f.description),
        ("given by", t.given_by.clone()),
        ("origin", t.origin.clone()),
        ("created", t.created_at.clone()),
        (
            "completed",
            format!("{} {}", t.completed_at, t.completed_by),
        ),
        ("note", t.note.clone()),
        ("revision", t.revision.to_string()),
    ]);
    Ok(())
}

async fn current(client: &Client, id: &str) -> anyhow::Result<pb::Task> {
    Ok(client
        .tasks()
        .get_task(client.req(pb::GetTaskRequest { id: id.into() }))
        .await
        .map_err(explain)?
        .into_inner())
}

pub async fn run_task(client: &Client, cmd: TaskCmd, as_json: bool) -> anyhow::Result<()> {
    let mut tasks = client.tasks();
    match cmd {
        TaskCmd::List {
            view,
            closed,
            assignee,
        } => {
            let list = tasks
                .list_tasks(client.req(pb::ListTasksRequest {
                    view,
                    include_closed: closed,
                    assignee,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&list);
            }
            table(&TASK_HEADERS, list.tasks.iter().map(task_row).collect());
        }
        TaskCmd::Show { id } => show(&current(client, &id).await?, as_json)?,
        TaskCmd::Create {
            title,
            assignee,
            due,
            description,
            every_months,
            link,
            id,
        } => {
            let link = match link {
                None => None,
                Some(l) => match l.split_once(':') {
                    Some((kind, id)) => Some(pb::TaskLink {
                        kind: kind.into(),
                        id: id.into(),
                    }),
                    None => bail!("--link: write KIND:ID, e.g. document:infosec-policy"),
                },
            };
            let t = tasks
                .create_task(client.req(pb::CreateTaskRequest {
                    id,
                    fields: Some(pb::TaskFields {
                        title,
                        description,
                        assignee,
                        due,
                        recurrence_months: every_months,
                        link,
                    }),
                }))
                .await
                .map_err(explain)?
                .into_inner();
            show(&t, as_json)?;
        }
        TaskCmd::Complete { id, note } => {
            let t = current(client, &id).await?;
            let done = tasks
                .complete_task(client.req(pb::CompleteTaskRequest {
                    id,
                    expected_revision: t.revision,
                    note,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&done);
            }
            let mut rows: Vec<Vec<String>> = done.task.iter().map(task_row).collect();
            rows.extend(done.next.iter().map(task_row));
            table(&TASK_HEADERS, rows);
            if done.next.is_some() {
                println!("The task recurs: its next occurrence is open.");
            }
        }
        TaskCmd::Cancel { id, note } => {
            let t = current(client, &id).await?;
            let t = tasks
                .cancel_task(client.req(pb::CancelTaskRequest {
                    id,
                    expected_revision: t.revision,
                    note,
                }))
                .await
                .map_err(explain)?
                .into_inner();
            show(&t, as_json)?;
        }
        TaskCmd::Generate => {
            let g = tasks
                .generate_tasks(client.req(pb::GenerateTasksRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&g);
            }
            println!(
                "{} task(s) created, {} fell due.",
                g.created.len(),
                g.fell_due.len()
            );
            if !g.created.is_empty() {
                table(&TASK_HEADERS, g.created.iter().map(task_row).collect());
            }
        }
    }
    Ok(())
}

pub async fn run_clock(client: &Client, cmd: ClockCmd, as_json: bool) -> anyhow::Result<()> {
    let mut clock = client.clock();
    let c = match cmd {
        ClockCmd::Show => clock.get_clock(client.req(pb::GetClockRequest {})).await,
        ClockCmd::Advance { days } => {
            clock
                .advance_clock(client.req(pb::AdvanceClockRequest { days }))
                .await
        }
    }
    .map_err(explain)?
    .into_inner();
    if as_json {
        return json(&c);
    }
    record(&[
        ("now", c.now),
        ("ahead by", format!("{} days", c.offset_seconds / 86_400)),
        ("simulated", c.simulated.to_string()),
    ]);
    Ok(())
}

fn range(r: &Option<pb::AmountRange>, unit: &str) -> String {
    let r = r.unwrap_or_default();
    let n = |x: f64| {
        let whole = x.round() as i64;
        let digits = whole.abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    if r.low == r.high {
        format!("{} {unit}", n(r.high))
    } else if r.low == 0.0 {
        format!("up to {} {unit}", n(r.high))
    } else {
        format!("{}–{} {unit}", n(r.low), n(r.high))
    }
}

pub async fn run_estimate(
    client: &Client,
    employees: u32,
    departments: u32,
    people_trained: u32,
    as_json: bool,
) -> anyhow::Result<()> {
    let e = client
        .implementation()
        .estimate(client.req(pb::EstimateRequest {
            employees,
            departments,
            people_trained,
        }))
        .await
        .map_err(explain)?
        .into_inner();
    if as_json {
        return json(&e);
    }
    println!(
        "ISO 27001 implementation for {} employees ({}):",
        e.employees, e.size_band
    );
    table(
        &["approach", "duration", "cost (USD)"],
        e.options
            .iter()
            .map(|o| {
                vec![
                    o.option.clone(),
                    if o.has_duration {
                        range(&o.months, "months")
                    } else {
                        "longer (no published figure)".into()
                    },
                    range(&o.total_usd, ""),
                ]
            })
            .collect(),
    );
    if let Some(o) = e.options.iter().find(|o| o.option == "consultant") {
        table(
            &["effort", "hours", "basis"],
            o.effort
                .iter()
                .map(|l| vec![l.who.clone(), range(&l.hours, "h"), l.basis.clone()])
                .collect(),
        );
    }
    let mut costs: Vec<Vec<String>> = Vec::new();
    for o in &e.options {
        for c in &o.costs {
            if !costs.iter().any(|r| r[0] == c.item) {
                costs.push(vec![c.item.clone(), range(&c.usd, ""), c.basis.clone()]);
            }
        }
    }
    table(&["cost item", "USD", "basis"], costs);
    println!(
        "Maintenance afterwards: about {:.0} % of the initial effort.",
        e.maintenance_share * 100.0
    );
    for a in &e.advice {
        println!("- {a}");
    }
    println!("Source: {}", e.source);
    Ok(())
}

pub async fn run_project(client: &Client, framework: &str, as_json: bool) -> anyhow::Result<()> {
    let p = client
        .implementation()
        .get_implementation_project(client.req(pb::GetImplementationProjectRequest {
            framework: framework.into(),
        }))
        .await
        .map_err(explain)?
        .into_inner();
    if as_json {
        return json(&p);
    }
    println!(
        "{}: {:.0} % of the checked steps done ({} employees)",
        p.framework, p.percent, p.employees
    );
    table(
        &[
            "step",
            "title",
            "requirements",
            "progress",
            "what the check found",
        ],
        p.steps
            .iter()
            .map(|s| {
                let found: Vec<String> = s
                    .findings
                    .iter()
                    .filter(|f| f.status != "met")
                    .map(|f| format!("{} {}: {}", f.requirement, f.status, f.detail))
                    .chain(s.advice.iter().cloned())
                    .collect();
                vec![
                    s.order.to_string(),
                    s.title.clone(),
                    s.requirements.join(" "),
                    if s.checked {
                        format!("{:.0} % {}", s.percent, s.status)
                    } else {
                        "not checked".into()
                    },
                    found.join("\n"),
                ]
            })
            .collect(),
    );
    if let Some(e) = &p.estimate {
        let with_help = e
            .options
            .iter()
            .find(|o| o.option == "online-tool")
            .map(|o| range(&o.months, "months"))
            .unwrap_or_default();
        println!(
            "Estimate for {} employees: {with_help} with a consultant or a tool (`rampart estimate --employees {}` for effort and cost).",
            e.employees, e.employees
        );
    }
    Ok(())
}
