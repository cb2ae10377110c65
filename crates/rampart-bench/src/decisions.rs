//! Cedar decisions: latency with the default policy set, with 1,000 more policies (personal
//! permits, as grants and per-person exceptions are), and the 10,000 decisions that filter an
//! authorized list of 10,000 documents.

use std::time::{Duration, Instant};

use rampart_authz::{
    Authorizer, DocumentFacts, Principal, Resource, default_policy_files, default_schema,
    with_platform,
};
use time::OffsetDateTime;

use crate::percentile;

fn user(id: &str) -> Principal {
    Principal::User {
        organisation: "acme".into(),
        id: id.into(),
        roles: vec!["employee".into()],
        department: "Sales".into(),
        job_title: "Account manager".into(),
        clearance: "restricted".into(),
        clearance_rank: 2,
        active: true,
    }
}

fn document(i: usize) -> Resource {
    Resource::Document(Box::new(DocumentFacts {
        organisation: "acme".into(),
        id: format!("doc-{i}"),
        owner: "maria".into(),
        kind: "procedure".into(),
        classification: ["internal", "restricted", "confidential"][i % 3].into(),
        classification_rank: 1 + (i % 3) as i64,
        status: ["published", "draft", "published", "obsolete"][i % 4].into(),
        version: 2,
        version_author: "bob".into(),
        reviewers: vec!["rita".into()],
        approvers: vec!["ann".into(), "carl".into()],
        distribution_departments: vec![if i.is_multiple_of(2) { "Sales" } else { "Ops" }.into()],
        distribution_job_titles: vec!["Engineer".into()],
        ..Default::default()
    }))
}

fn measure(authz: &Authorizer, label: &str) {
    let sam = user("sam");
    let docs: Vec<Resource> = (0..1000).map(document).collect();
    // Warm up.
    for d in &docs {
        let _ = authz.decide(&sam, "document.read", d, None);
    }
    let mut times = Vec::with_capacity(20_000);
    for round in 0..20 {
        for d in &docs {
            let t = Instant::now();
            let decision = authz.decide(&sam, "document.read", d, None);
            times.push(t.elapsed());
            std::hint::black_box((round, decision));
        }
    }
    times.sort();
    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    println!(
        "decisions, {label}: {} decisions, p50 {}, p99 {} (largest slice {} policies)",
        times.len(),
        us(percentile(&times, 0.5)),
        us(percentile(&times, 0.99)),
        authz.largest_slice()
    );
}

pub fn run() -> anyhow::Result<()> {
    let defaults = std::sync::Arc::new(Authorizer::with_defaults()?);
    println!(
        "default set: {} policies and {} templates",
        defaults.policy_ids().len(),
        defaults.template_ids().len()
    );
    measure(&defaults, "default policies");

    let mut files = with_platform(&default_policy_files());
    let mut more = String::new();
    for i in 0..1000 {
        // Personal permits over different actions and resources, as an organisation's
        // exceptions and grants look.
        let action = [
            "document.read",
            "asset.update",
            "document.edit",
            "asset.classify",
        ][i % 4];
        let resource = if action.starts_with("document") {
            "Document"
        } else {
            "Asset"
        };
        more.push_str(&format!(
            "@id(\"p{i}\")\npermit (principal == Rampart::User::\"acme/u{i}\", action == Rampart::Action::\"{action}\", resource is Rampart::{resource}) when {{ resource.classification_rank <= {} }};\n",
            i % 4
        ));
    }
    files.push(("exceptions.cedar".into(), more));
    let big = Authorizer::build(default_schema(), &files, &[], OffsetDateTime::now_utc())?;
    println!("with 1,000 more: {} policies", big.policy_ids().len());
    measure(&big, "default + 1,000 policies");

    // The filtering an authorized List does (`Authorizer::filter`, as ListDocuments uses it):
    // one decision per class of documents that differ only in their id.
    let sam = user("sam");
    let docs: Vec<Resource> = (0..10_000).map(document).collect();
    filtering(
        &defaults,
        &sam,
        &docs,
        "the documents in 9 classes (3 levels × 3 status-and-list pairs)",
    );
    // Every document owned by someone else: the users a document names are keyed by their
    // relation to the reader, so these fall into the same classes.
    let own_owner: Vec<Resource> = docs
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, d)| match d {
            Resource::Document(mut f) => {
                f.owner = format!("owner-{i}");
                Resource::Document(f)
            }
            other => other,
        })
        .collect();
    filtering(
        &defaults,
        &sam,
        &own_owner,
        "every document owned by someone else",
    );
    // The worst case: with policies that name particular users, users count by their ids and
    // every one of these documents is its own class.
    filtering(
        &std::sync::Arc::new(big),
        &sam,
        &own_owner,
        "every document owned by someone else, with the 1,000 policies naming users (every document its own class)",
    );
    Ok(())
}

fn filtering(
    authz: &std::sync::Arc<Authorizer>,
    reader: &Principal,
    docs: &[Resource],
    label: &str,
) {
    let mut best = Duration::MAX;
    let mut readable = 0;
    let mut decisions = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let mut filter = authz.filter(reader, "document.read");
        readable = docs.iter().filter(|d| filter.allows(d)).count();
        best = best.min(t.elapsed());
        decisions = filter.decisions();
    }
    println!(
        "filtering {} documents for one reader, {label}: {:.1} ms (best of 5), {readable} readable, {decisions} Cedar decisions",
        docs.len(),
        best.as_secs_f64() * 1000.0
    );
}
