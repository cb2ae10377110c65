//! `rampart raci`: the responsibility matrix, per activity or per person, or exported.

use std::path::PathBuf;

use rampart_proto::v1 as pb;

use crate::client::{Client, explain};
use crate::output::{json, table};

pub async fn run(
    client: &Client,
    person: String,
    kind: String,
    export: Option<String>,
    out: Option<PathBuf>,
    as_json: bool,
) -> anyhow::Result<()> {
    if let Some(format) = export {
        let f = client
            .risks()
            .export_report(client.req(pb::ExportReportRequest {
                kind: "raci".into(),
                format,
                ..Default::default()
            }))
            .await
            .map_err(explain)?
            .into_inner();
        return crate::output::write_report(f, out, as_json);
    }
    let per_person = !person.is_empty();
    let m = client
        .responsibilities()
        .get_responsibility_matrix(client.req(pb::GetResponsibilityMatrixRequest {
            person: person.clone(),
            kind,
        }))
        .await
        .map_err(explain)?
        .into_inner();
    if as_json {
        return json(&m);
    }
    let letters = |a: &pb::ResponsibilityActivity, p: &str| {
        a.people
            .iter()
            .find(|r| r.person == p)
            .map(|r| r.letters.clone())
            .unwrap_or_default()
    };
    if per_person {
        table(
            &["kind", "id", "activity", "role"],
            m.activities
                .iter()
                .map(|a| {
                    vec![
                        a.kind.clone(),
                        a.id.clone(),
                        a.title.clone(),
                        letters(a, &person),
                    ]
                })
                .collect(),
        );
    } else {
        let mut headers = vec!["kind", "id", "activity"];
        headers.extend(m.people.iter().map(String::as_str));
        table(
            &headers,
            m.activities
                .iter()
                .map(|a| {
                    let mut row = vec![a.kind.clone(), a.id.clone(), a.title.clone()];
                    row.extend(m.people.iter().map(|p| letters(a, p)));
                    row
                })
                .collect(),
        );
    }
    println!();
    table(
        &["person", "R", "A", "C", "I"],
        m.load
            .iter()
            .map(|l| {
                vec![
                    l.person.clone(),
                    l.responsible.to_string(),
                    l.accountable.to_string(),
                    l.consulted.to_string(),
                    l.informed.to_string(),
                ]
            })
            .collect(),
    );
    if !m.without_accountable.is_empty() {
        println!(
            "\nnobody is accountable for: {}",
            m.without_accountable.join(", ")
        );
    }
    Ok(())
}
