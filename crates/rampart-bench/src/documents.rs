//! `rampart-bench documents`: document control over gRPC on loopback, on the embedded default
//! (surrealkv, fsync on every commit):
//!
//! - versions written per second by 16 concurrent writers, each revising its own document;
//! - authorized reads per second (`GetDocument` of published documents by a reader on the
//!   distribution list, so every read runs the need-to-know policies);
//! - `DiffVersions` of two 1 MB versions;
//! - a 50 MB attachment uploaded and downloaded, and what it adds to the server's peak RSS.

use std::time::{Duration, Instant};

use anyhow::bail;
use rampart_proto::v1 as pb;
use rampart_proto::v1::document_service_client::DocumentServiceClient;
use tonic::transport::Channel;

use crate::{cpu_seconds, ms, peak_rss_mib, percentile, req, reset_peak_rss, rss_mib};

const WRITERS: usize = 16;
/// How long the writers write, unless RAMPART_BENCH_WRITE_SECONDS says otherwise (a longer run
/// shows how the rate holds as the store grows).
const WRITE_SECONDS: u64 = 10;

fn write_seconds() -> u64 {
    std::env::var("RAMPART_BENCH_WRITE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(WRITE_SECONDS)
}
const READERS: usize = 16;
const READ_SECONDS: u64 = 10;
const DIFF_RUNS: usize = 10;
const ATTACHMENT: usize = 50 * 1024 * 1024;
const LISTED: usize = 10_000;
const LIST_RUNS: usize = 5;

async fn client(url: &str) -> anyhow::Result<DocumentServiceClient<Channel>> {
    Ok(
        DocumentServiceClient::new(Channel::from_shared(url.to_string())?.connect().await?)
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024),
    )
}

fn fields(title: String) -> pb::DocumentFields {
    pb::DocumentFields {
        kind: "record".into(),
        title,
        owner: "maria".into(),
        classification: "internal".into(),
        approvers: vec!["raj".into()],
        ..Default::default()
    }
}

/// About `bytes` of Markdown in numbered lines; `variant` changes every 50th line.
fn text(bytes: usize, variant: u32) -> String {
    let mut s = String::with_capacity(bytes + 100);
    let mut i = 0u32;
    while s.len() < bytes {
        if variant > 0 && i.is_multiple_of(50) {
            s.push_str(&format!("Line {i}: revised in version {variant}.\n"));
        } else {
            s.push_str(&format!(
                "Line {i}: access to the production database is granted by the asset owner.\n"
            ));
        }
        i += 1;
    }
    s
}

/// `writes_only`: stop after the concurrent writers (`rampart-bench documents writes`), for a
/// profile of the write path alone.
pub async fn run(writes_only: bool) -> anyhow::Result<()> {
    let running = crate::start()?;
    let maria = running.token("maria")?;
    let tom = running.token("tom")?;
    let url = running.url.clone();

    // Versions written per second: each writer revises its own document (1 KB texts). The
    // documents and connections are made first, so the clock starts with every writer ready.
    let mut setup = client(&url).await?;
    let mut ready = Vec::new();
    for w in 0..WRITERS {
        let d = setup
            .create_document(req(
                pb::CreateDocumentRequest {
                    id: format!("bench-{w}"),
                    fields: Some(fields(format!("Bench record {w}"))),
                    content: text(1024, 0),
                    change_note: String::new(),
                },
                &maria,
            ))
            .await?
            .into_inner();
        ready.push((w, d.revision, client(&url).await?));
    }
    crate::profile(running.pid, true)?;
    let cpu_before = (cpu_seconds(running.pid)?, cpu_seconds(std::process::id())?);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(write_seconds());
    let mut workers = Vec::new();
    for (w, mut revision, mut c) in ready {
        let token = maria.clone();
        workers.push(tokio::spawn(async move {
            // Each write's latency and when it ended, from the start.
            let mut written = Vec::new();
            let mut n = 1u32;
            while Instant::now() < deadline && written.len() < 1_000_000 {
                n += 1;
                let t = Instant::now();
                let r = c
                    .revise_document(req(
                        pb::ReviseDocumentRequest {
                            id: format!("bench-{w}"),
                            expected_revision: revision,
                            content: text(1024, n),
                            change_note: format!("revision {n}"),
                        },
                        &token,
                    ))
                    .await?
                    .into_inner();
                written.push((t.elapsed(), started.elapsed()));
                revision = r.revision;
            }
            Ok::<_, tonic::Status>(written)
        }));
    }
    let mut written = Vec::new();
    for w in workers {
        written.extend(w.await??);
    }
    let write_time = started.elapsed();
    crate::profile(running.pid, false)?;
    let write_cpu = (
        cpu_seconds(running.pid)? - cpu_before.0,
        cpu_seconds(std::process::id())? - cpu_before.1,
    );
    let mut writes: Vec<Duration> = written.iter().map(|(latency, _)| *latency).collect();
    if write_seconds() > WRITE_SECONDS {
        // A longer run says how the rate holds as the store grows, ten seconds at a time.
        // Whole windows only: the writes that end after the deadline are left out.
        let mut per_window = vec![0usize; (write_time.as_secs() / WRITE_SECONDS) as usize];
        for (_, at) in &written {
            if let Some(count) = per_window.get_mut((at.as_secs() / WRITE_SECONDS) as usize) {
                *count += 1;
            }
        }
        let rates: Vec<String> = per_window
            .iter()
            .map(|n| format!("{:.0}", *n as f64 / WRITE_SECONDS as f64))
            .collect();
        println!("versions/s in each {WRITE_SECONDS} s: {}", rates.join(", "));
    }
    writes.sort();
    if writes_only {
        print_writes(&writes, write_time, write_cpu);
        return Ok(());
    }

    // Authorized reads: Tom (Engineering) reads published documents distributed to him, with
    // one reader (latency) and with READERS (throughput).
    let mut read_runs = Vec::new();
    for readers in [1, READERS] {
        read_runs.push((readers, reads(&url, &tom, readers).await?));
    }

    // Diff of two 1 MB versions.
    let mut c = client(&url).await?;
    let d = c
        .create_document(req(
            pb::CreateDocumentRequest {
                id: "bench-large".into(),
                fields: Some(fields("A large record".into())),
                content: text(1024 * 1024, 0),
                change_note: String::new(),
            },
            &maria,
        ))
        .await?
        .into_inner();
    c.revise_document(req(
        pb::ReviseDocumentRequest {
            id: "bench-large".into(),
            expected_revision: d.revision,
            content: text(1024 * 1024, 2),
            change_note: "every 50th line".into(),
        },
        &maria,
    ))
    .await?;
    let mut diffs = Vec::new();
    let mut changed = 0;
    for _ in 0..DIFF_RUNS {
        let t = Instant::now();
        let r = c
            .diff_versions(req(
                pb::DiffVersionsRequest {
                    id: "bench-large".into(),
                    from: 1,
                    to: 2,
                },
                &maria,
            ))
            .await?
            .into_inner();
        diffs.push(t.elapsed());
        changed = r.lines_added;
    }
    diffs.sort();

    // 50 MB up and down, and the server's peak RSS around it: the peak is reset first, or an
    // earlier phase's peak (the concurrent writers) would hide the transfer's.
    reset_peak_rss(running.pid)?;
    let rss_before = rss_mib(running.pid)?;
    let d = c
        .get_document(req(
            pb::GetDocumentRequest {
                id: "bench-large".into(),
                version: 0,
            },
            &maria,
        ))
        .await?
        .into_inner()
        .document
        .unwrap_or_default();
    let header = pb::UploadAttachmentRequest {
        part: Some(pb::upload_attachment_request::Part::Header(
            pb::AttachmentHeader {
                document_id: "bench-large".into(),
                expected_revision: d.revision,
                name: "bench.bin".into(),
                content_type: "application/octet-stream".into(),
                size: ATTACHMENT as u64,
                change_note: String::new(),
            },
        )),
    };
    const PIECE: usize = 256 * 1024;
    let body = (0..ATTACHMENT / PIECE).map(|i| pb::UploadAttachmentRequest {
        part: Some(pb::upload_attachment_request::Part::Chunk(
            (0..PIECE).map(|j| ((i * 31 + j * 7) % 251) as u8).collect(),
        )),
    });
    let t = Instant::now();
    let d = c
        .upload_attachment(req(
            tokio_stream::iter(std::iter::once(header).chain(body)),
            &maria,
        ))
        .await?
        .into_inner();
    let upload_time = t.elapsed();
    let peak_upload = peak_rss_mib(running.pid)?;
    let rss_between = rss_mib(running.pid)?;
    reset_peak_rss(running.pid)?;
    let attachment = d
        .versions
        .last()
        .and_then(|v| v.attachments.first())
        .cloned()
        .unwrap_or_default();
    let t = Instant::now();
    let mut stream = c
        .download_attachment(req(
            pb::DownloadAttachmentRequest {
                document_id: "bench-large".into(),
                version: 0,
                attachment_id: attachment.id,
            },
            &maria,
        ))
        .await?
        .into_inner();
    let mut got = 0usize;
    while let Some(part) = stream.message().await? {
        got += part.data.len();
    }
    let download_time = t.elapsed();
    if got != ATTACHMENT {
        bail!("downloaded {got} bytes of {ATTACHMENT}");
    }
    let peak_download = peak_rss_mib(running.pid)?;
    let rss_after = peak_upload.max(peak_download);

    // An authorized ListDocuments over the register after 10,000 more documents (drafts owned
    // in turn by maria, raj and tom, all written by maria): tom pages through all of it and
    // sees the ones he owns, the published ones on his list, nothing else. He lists once
    // before they are written, so the server's document register is loaded from the store
    // then and follows the 10,000 creations commit by commit, as in a server that has run a
    // while.
    let t = Instant::now();
    let early = list_all(&mut c, &tom).await?;
    let first_early = t.elapsed();
    let started = Instant::now();
    let mut creators = Vec::new();
    for w in 0..WRITERS {
        let mut c = client(&url).await?;
        let token = maria.clone();
        creators.push(tokio::spawn(async move {
            for i in (w..LISTED).step_by(WRITERS) {
                let owner = ["maria", "raj", "tom"][i % 3];
                create_draft(&mut c, &format!("listed-{i:05}"), owner, &token).await?;
            }
            Ok::<_, tonic::Status>(())
        }));
    }
    for w in creators {
        w.await??;
    }
    let created = started.elapsed();
    // Each round changes the register first (one more document of maria's, which tom cannot
    // read), then lists twice: right after the change, and again with nothing changed.
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut listed = 0;
    for round in 0..LIST_RUNS {
        create_draft(&mut c, &format!("listing-round-{round}"), "maria", &maria).await?;
        for times in [&mut cold, &mut warm] {
            let t = Instant::now();
            listed = list_all(&mut c, &tom).await?;
            times.push(t.elapsed());
        }
    }
    cold.sort();
    warm.sort();
    // The same listing right after a restart loads the whole register from the store.
    let running = running.restart()?;
    let mut c = client(&running.url).await?;
    let t = Instant::now();
    list_all(&mut c, &tom).await?;
    let after_restart = t.elapsed();
    let t = Instant::now();
    list_all(&mut c, &tom).await?;
    let after_load = t.elapsed();
    drop(running);

    print_writes(&writes, write_time, write_cpu);
    for (readers, (reads, read_time)) in &read_runs {
        println!(
            "| authorized GetDocument, {readers} concurrent reader(s), {READ_SECONDS} s | {:.0} reads/s ({} reads), p50 / p99 {} / {} |",
            reads.len() as f64 / read_time.as_secs_f64(),
            reads.len(),
            ms(percentile(reads, 0.50)),
            ms(percentile(reads, 0.99))
        );
    }
    println!(
        "| DiffVersions of two 1 MB versions ({changed} lines changed), {DIFF_RUNS} runs: min / p50 | {} / {} |",
        ms(diffs[0]),
        ms(percentile(&diffs, 0.50))
    );
    println!(
        "| 50 MB attachment: upload / download | {:.2} s / {:.2} s |",
        upload_time.as_secs_f64(),
        download_time.as_secs_f64()
    );
    println!(
        "| server RSS before / peak RSS during the 50 MB transfer | {rss_before:.1} / {rss_after:.1} MiB (+{:.1} MiB) |",
        rss_after - rss_before
    );
    println!(
        "| peak RSS during the upload / RSS after it / peak during the download | {peak_upload:.1} / {rss_between:.1} / {peak_download:.1} MiB |"
    );
    println!(
        "| CreateDocument x {LISTED}, {WRITERS} writers | {:.0}/s |",
        LISTED as f64 / created.as_secs_f64()
    );
    println!(
        "| tom's first ListDocuments since the server started, before the {LISTED} ({early} readable; it loads the document register) | {} |",
        ms(first_early)
    );
    println!(
        "| the listing below, the first after a restart (it loads the register of {LISTED}+ documents) / the next one | {} / {} |",
        ms(after_restart),
        ms(after_load)
    );
    for (when, times) in [("first after a change", &cold), ("again, unchanged", &warm)] {
        println!(
            "| authorized ListDocuments by a reader over {LISTED}+ documents, all pages of 1,000 ({listed} readable), {when}, {LIST_RUNS} runs: min / p50 | {} / {} |",
            ms(times[0]),
            ms(percentile(times, 0.50))
        );
    }
    Ok(())
}

/// A new draft `id` owned by `owner`, created by the holder of `token`.
/// The table's head and the rows of the concurrent writers.
fn print_writes(writes: &[Duration], write_time: Duration, write_cpu: (f64, f64)) {
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| versions written, {WRITERS} concurrent writers, {} s (fsync on commit) | {:.0} versions/s ({} versions) |",
        write_seconds(),
        writes.len() as f64 / write_time.as_secs_f64(),
        writes.len()
    );
    println!(
        "| server CPU per version written (cores busy); the load generator's | {:.3} ms ({:.2}); {:.2} cores |",
        write_cpu.0 * 1e3 / writes.len() as f64,
        write_cpu.0 / write_time.as_secs_f64(),
        write_cpu.1 / write_time.as_secs_f64(),
    );
    println!(
        "| ReviseDocument latency p50 / p99 | {} / {} |",
        ms(percentile(writes, 0.50)),
        ms(percentile(writes, 0.99))
    );
}

async fn create_draft(
    c: &mut DocumentServiceClient<Channel>,
    id: &str,
    owner: &str,
    token: &str,
) -> Result<(), tonic::Status> {
    let mut f = fields(format!("Listed record {id}"));
    f.owner = owner.into();
    c.create_document(req(
        pb::CreateDocumentRequest {
            id: id.into(),
            fields: Some(f),
            content: text(256, 0),
            change_note: String::new(),
        },
        token,
    ))
    .await?;
    Ok(())
}

/// Pages of 1,000 through every document the holder of `token` may read: how many.
async fn list_all(c: &mut DocumentServiceClient<Channel>, token: &str) -> anyhow::Result<usize> {
    let mut listed = 0;
    let mut page_token = String::new();
    loop {
        let page = c
            .list_documents(req(
                pb::ListDocumentsRequest {
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                },
                token,
            ))
            .await?
            .into_inner();
        listed += page.documents.len();
        page_token = page.next_page_token;
        if page_token.is_empty() {
            return Ok(listed);
        }
    }
}

/// `readers` clients reading for READ_SECONDS: their sorted latencies and the elapsed time.
async fn reads(
    url: &str,
    token: &str,
    readers: usize,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let ids = [
        "information-security-policy",
        "isms-scope",
        "classification-policy",
        "backup-procedure",
    ];
    let deadline = Instant::now() + Duration::from_secs(READ_SECONDS);
    let mut workers = Vec::new();
    for r in 0..readers {
        let mut c = client(url).await?;
        let token = token.to_string();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = r;
            while Instant::now() < deadline && latencies.len() < 5_000_000 {
                let id = ids[i % ids.len()].to_string();
                i += 1;
                let t = Instant::now();
                c.get_document(req(pb::GetDocumentRequest { id, version: 0 }, &token))
                    .await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, tonic::Status>(latencies)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await??);
    }
    let elapsed = started.elapsed();
    all.sort();
    Ok((all, elapsed))
}
