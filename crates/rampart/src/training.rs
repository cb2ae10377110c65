//! `rampart training`: courses and awareness campaigns, completions, and the gaps.

use rampart_proto::v1 as pb;

use crate::cli::TrainingCmd;
use crate::client::{Client, explain};
use crate::output::{json, record, table};

fn show_course(c: &pb::Course, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(c);
    }
    let audience = [
        c.roles.join(", "),
        c.departments.join(", "),
        c.job_titles.join(", "),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join("; ");
    record(&[
        ("id", c.id.clone()),
        ("title", c.title.clone()),
        ("kind", c.kind.clone()),
        ("owner", c.owner.clone()),
        (
            "who",
            if audience.is_empty() {
                "every active member of staff".into()
            } else {
                audience
            },
        ),
        (
            "every",
            match c.frequency_months {
                0 => "once".into(),
                n => format!("{n} months"),
            },
        ),
        ("documents", c.documents.join(", ")),
        ("revision", c.revision.to_string()),
    ]);
    println!();
    table(
        &["user", "at", "recorded by", "note"],
        c.completions
            .iter()
            .map(|x| {
                vec![
                    x.user.clone(),
                    x.at.get(..10).unwrap_or(&x.at).to_string(),
                    x.recorded_by.clone(),
                    x.note.clone(),
                ]
            })
            .collect(),
    );
    Ok(())
}

pub async fn run(client: &Client, cmd: TrainingCmd, as_json: bool) -> anyhow::Result<()> {
    let mut svc = client.training();
    let get = |id: String| {
        let mut svc = client.training();
        async move {
            svc.get_course(client.req(pb::GetCourseRequest { id }))
                .await
                .map(|r| r.into_inner())
        }
    };
    let c = match cmd {
        TrainingCmd::List => {
            let list = svc
                .list_courses(client.req(pb::ListCoursesRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&list);
            }
            let status = svc
                .get_training_status(client.req(pb::GetTrainingStatusRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            table(
                &[
                    "id",
                    "title",
                    "kind",
                    "owner",
                    "every",
                    "must take",
                    "current",
                ],
                list.courses
                    .iter()
                    .map(|c| {
                        let rows = status.people.iter().filter(|p| p.course == c.id);
                        let current = rows.clone().filter(|p| p.standing == "current").count();
                        vec![
                            c.id.clone(),
                            c.title.clone(),
                            c.kind.clone(),
                            c.owner.clone(),
                            match c.frequency_months {
                                0 => "once".into(),
                                n => format!("{n} mo"),
                            },
                            rows.count().to_string(),
                            current.to_string(),
                        ]
                    })
                    .collect(),
            );
            return Ok(());
        }
        TrainingCmd::Show { id } => get(id).await.map_err(explain)?,
        TrainingCmd::Define {
            id,
            title,
            kind,
            owner,
            roles,
            departments,
            job_titles,
            every_months,
            documents,
            description,
        } => {
            // Redefining names the revision read; a new course starts at 0.
            let expected_revision = match get(id.clone()).await {
                Ok(c) => c.revision,
                Err(s) if s.code() == tonic::Code::NotFound => 0,
                Err(s) => return Err(explain(s)),
            };
            svc.put_course(client.req(pb::PutCourseRequest {
                course: Some(pb::Course {
                    id,
                    title,
                    kind,
                    description,
                    roles,
                    departments,
                    job_titles,
                    frequency_months: every_months,
                    documents,
                    owner,
                    ..Default::default()
                }),
                expected_revision,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
        TrainingCmd::Record {
            id,
            users,
            at,
            note,
        } => {
            let now = get(id.clone()).await.map_err(explain)?;
            svc.record_training(client.req(pb::RecordTrainingRequest {
                id,
                expected_revision: now.revision,
                users,
                at,
                note,
            }))
            .await
            .map_err(explain)?
            .into_inner()
        }
        TrainingCmd::Status { gaps } => {
            let s = svc
                .get_training_status(client.req(pb::GetTrainingStatusRequest {}))
                .await
                .map_err(explain)?
                .into_inner();
            if as_json {
                return json(&s);
            }
            if !gaps {
                table(
                    &["user", "department", "course", "standing", "last", "until"],
                    s.people
                        .iter()
                        .map(|p| {
                            vec![
                                p.user.clone(),
                                p.department.clone(),
                                p.course.clone(),
                                p.standing.clone(),
                                p.last.get(..10).unwrap_or("never").to_string(),
                                p.until.get(..10).unwrap_or("").to_string(),
                            ]
                        })
                        .collect(),
                );
                println!();
            }
            for g in &s.gaps {
                println!("{}", g.summary);
            }
            if s.gaps.is_empty() {
                println!("everyone is current with what they must take");
            }
            println!(
                "people without current awareness training: {}   training records: {}",
                s.people_without_awareness, s.records
            );
            return Ok(());
        }
    };
    show_course(&c, as_json)
}
