//! The two write shapes every aggregate uses: create a record that must not exist, and replace a
//! record at the revision the caller read. Failures are thrown as `rampart:*` so [`crate::Database`]
//! turns them into the right [`crate::StoreError`].

use serde_json::Value;

use crate::database::Change;
use crate::json::vars;

/// Creates `table:key` with `content`, failing with AlreadyExists if it is there.
/// `p` is a variable prefix unique within the change.
pub fn create(change: &mut Change, p: &str, table: &str, key: &str, content: Value, what: &str) {
    // Two statements and no answer: nobody reads what a change's statements return, and the
    // commit loop that runs them is the writers' bottleneck (docs/benchmarks.md, session 13).
    let q = format!(
        "IF record::exists(type::record('{table}', ${p}_key)) {{ THROW string::concat('rampart:exists:', ${p}_what) }};\n\
         CREATE type::record('{table}', ${p}_key) CONTENT ${p}_content RETURN NONE;"
    );
    change.push(
        &q,
        vars([
            (&format!("{p}_key"), Value::from(key)),
            (&format!("{p}_content"), content),
            (&format!("{p}_what"), Value::from(what)),
        ]),
    );
}

/// Replaces `table:key` with `content` if its stored revision is still `expected`; the content
/// carries the next revision. NotFound if it is gone, Conflict if someone else changed it.
pub fn replace(
    change: &mut Change,
    p: &str,
    table: &str,
    key: &str,
    expected: u64,
    content: Value,
    what: &str,
) {
    // Every record has a revision, so none means no record. One read of the record for both
    // checks, and no answer (see `create`).
    let q = format!(
        "LET ${p}_now = type::record('{table}', ${p}_key).revision;\n\
         IF ${p}_now = NONE {{ THROW string::concat('rampart:not-found:', ${p}_what) }} \
         ELSE IF ${p}_now != ${p}_expected {{ THROW string::concat('rampart:stale:', ${p}_what, ' was changed by someone else: revision ', type::string(${p}_now), ' is current, the request named ', type::string(${p}_expected), '; read it again and retry') }};\n\
         UPDATE type::record('{table}', ${p}_key) CONTENT ${p}_content RETURN NONE;"
    );
    change.push(
        &q,
        vars([
            (&format!("{p}_key"), Value::from(key)),
            (&format!("{p}_expected"), Value::from(expected)),
            (&format!("{p}_content"), content),
            (&format!("{p}_what"), Value::from(what)),
        ]),
    );
}
