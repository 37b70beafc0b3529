//! The six single calls (track, identify, page, screen, group, alias): build
//! the envelope from `--file` and flags, check it, then print it (dry run) or send it.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::cli::CallArgs;
use crate::client::{Client, Encoding, RetryNotice, SendError};
use crate::context::Context;
use crate::envelope::{self, CallType, Fill, SENT_AT_BYTES};
use crate::error::{Error, ExitCode, Result};
use crate::input;
use crate::items::{apply_extras, insert_items, Item};
use crate::spool::{AppendError, Spool};
use crate::timestamp;

/// What one subcommand contributes beyond the shared flags.
pub struct CallSpec<'a> {
    pub call_type: CallType,
    /// Scalar fields from positional arguments and flags (`event`, `name`, `groupId`, ...).
    pub fields: Vec<(&'static str, Option<String>)>,
    /// Items and the object they go into (`properties` or `traits`).
    pub items: Option<(&'static str, &'a [Item])>,
}

pub fn run(ctx: &Context, spec: CallSpec, args: &CallArgs) -> Result<()> {
    // Before the call is built: building it may write the machine's
    // anonymousId, and a first run with no key must leave nothing behind.
    if !args.dry_run {
        ctx.settings.require_write_key()?;
    }
    let mut call = build(ctx, &spec, args)?;
    let mut new_id = || uuid::Uuid::new_v4().to_string();
    let now = timestamp::now();
    let mut fill = Fill {
        now: &now,
        message_id: &mut new_id,
        force_library: true,
        page_from_url: true,
        any_time: args.allow_old_timestamps,
    };
    let unsendable = |e: envelope::InvalidCall| Error::Unsendable {
        call_type: spec.call_type.to_string(),
        reason: e.message,
    };
    envelope::complete(&mut call, &mut fill).map_err(unsendable)?;

    if args.strict {
        strict(ctx, spec.call_type, &call)?;
    }

    let json = serde_json::to_string(&call).map_err(|e| Error::Internal(e.to_string()))?;
    envelope::check_size(json.len() + SENT_AT_BYTES).map_err(unsendable)?;
    let message_id = call["messageId"].as_str().unwrap_or_default().to_string();

    if args.dry_run {
        call.insert("sentAt".into(), Value::String(timestamp::now()));
        let text = if ctx.stdout_is_terminal {
            serde_json::to_string_pretty(&call)
        } else {
            serde_json::to_string(&call)
        };
        crate::output::stdout_line(text.map_err(|e| Error::Internal(e.to_string()))?);
        return Ok(());
    }

    let client = Client::new(&ctx.settings, ctx.report)?;
    let path = format!("/{}", spec.call_type);
    let size = json.len() + SENT_AT_BYTES;
    client.show_request(
        &path,
        &format!("{size} bytes, sentAt set at each attempt"),
        false,
        || json.clone(),
    );
    let make_body = |sent_at: &str, out: &mut Vec<u8>| out.extend(with_sent_at(&json, sent_at));
    let on_retry = |notice: RetryNotice| {
        announce_retry(ctx, notice);
        None
    };
    let sending = client.send(&path, &make_body, Encoding::Identity, &on_retry);
    let attempts = if ctx.settings.spool {
        block_on_until_stopped(sending)?
    } else {
        Ok(ctx.block_on_interruptible(sending)?)
    };
    let Ok(delivered) = attempts else {
        let code = ExitCode::Interrupted;
        return spool(
            ctx,
            spec.call_type,
            &json,
            &message_id,
            Error::Interrupted,
            code,
        );
    };
    let url = client.url(&path);
    let delivered = match delivered {
        Ok(delivered) => delivered,
        // Worth another try later: keep it, if asked to (see `spooled_exit`).
        Err(e) if ctx.settings.spool && spooled_exit(&e).is_some() => {
            let code = spooled_exit(&e).unwrap_or(ExitCode::Spooled);
            let error = crate::explain::send_error(e, &url, &ctx.settings);
            return spool(ctx, spec.call_type, &json, &message_id, error, code);
        }
        Err(e) => return Err(crate::explain::send_error(e, &url, &ctx.settings)),
    };

    if ctx.report.json {
        let result = json!({
            "ok": true,
            "type": spec.call_type.as_str(),
            "messageId": message_id,
            "status": delivered.status,
            "attempts": delivered.attempts,
        });
        crate::output::stdout_line(&result);
    } else if !ctx.report.quiet {
        crate::output::stdout_line(&message_id);
    }
    Ok(())
}

/// Whether a `--spool` call that failed is kept in the spool, and its exit
/// code then: what another try may deliver later (network, timeouts, 5xx,
/// 429, attempts cut short), never what the server refused on its merits.
fn spooled_exit(e: &SendError) -> Option<ExitCode> {
    match e {
        // Network, timeouts, 5xx, 429, and an endpoint that is not the API (yet).
        SendError::Undelivered { .. } | SendError::NotTheApi { .. } => Some(ExitCode::Spooled),
        SendError::Interrupted => Some(ExitCode::Interrupted),
        SendError::Rejected { .. }
        | SendError::Unauthorized { .. }
        | SendError::Forbidden { .. } => None,
    }
}

/// Runs the send of a `--spool` call; Ctrl-C, SIGTERM or SIGHUP ends it with
/// `Stopped`, so the call is spooled rather than lost (`run` does it at once,
/// before a second signal could end the process).
fn block_on_until_stopped<F: std::future::Future>(
    work: F,
) -> Result<std::result::Result<F::Output, Stopped>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the runtime", &e))?;
    Ok(runtime.block_on(async {
        let stops = crate::signals::listen();
        tokio::select! {
            out = work => Ok(out),
            _ = crate::signals::interrupts(&stops, 1) => Err(Stopped),
        }
    }))
}

/// A `--spool` call's attempts ended by a signal.
struct Stopped;

/// Keeps an undelivered call in the spool, as it would have been sent
/// (messageId and timestamp fixed), and says so: exit `code` (7 for an
/// outage, 130 when interrupted), or 8 when full.
fn spool(
    ctx: &Context,
    call_type: CallType,
    json: &str,
    message_id: &str,
    why: Error,
    code: ExitCode,
) -> Result<()> {
    let spool = Spool::for_settings(&ctx.settings)?;
    match spool.append(json.as_bytes()) {
        Ok(()) => {}
        Err(AppendError::Full { used, max }) => {
            return Err(Error::SpoolFull(format!(
                "{why}; the spool is full ({used} of {max} bytes), so the call was not kept: run `cio flush`, or raise --spool-max-bytes"
            )))
        }
        // Nothing else holds the call now: it goes to stderr whole, to be sent again.
        Err(AppendError::Failed(e)) => {
            return Err(Error::Undelivered(format!(
                "{why}; and it could not be spooled: {e}; not delivered, messageId {message_id}: {json}"
            )))
        }
    }
    ctx.report.warn(format!(
        "{why}; kept in the spool {} (`cio flush` delivers it)",
        spool.dir().display()
    ));
    if ctx.report.json {
        let result = json!({
            "ok": false,
            "spooled": true,
            "type": call_type.as_str(),
            "messageId": message_id,
            "error": why.to_string(),
            "exit_code": code.code(),
        });
        crate::output::stdout_line(&result);
    } else if !ctx.report.quiet {
        crate::output::stdout_line(message_id);
    }
    Err(Error::Reported(code))
}

/// `--strict`: warnings are printed; lint errors refuse the call before anything is sent.
fn strict(ctx: &Context, call_type: CallType, call: &Map<String, Value>) -> Result<()> {
    let findings = crate::lint::Linter::new(&[]).check(call);
    let mut errors = Vec::new();
    for f in &findings {
        match f.severity() {
            crate::lint::Severity::Warning => ctx.report.warn(f.text_without_severity()),
            crate::lint::Severity::Error => errors.push(f.text_without_severity()),
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "cannot send this {call_type} call (--strict): {}",
        errors.join(" | ")
    )))
}

/// `{...}` + `sentAt` without parsing the call again.
fn with_sent_at(json: &str, sent_at: &str) -> Vec<u8> {
    let mut body = String::with_capacity(json.len() + SENT_AT_BYTES);
    body.push_str(&json[..json.len() - 1]);
    body.push_str(",\"sentAt\":\"");
    body.push_str(sent_at);
    body.push_str("\"}");
    body.into_bytes()
}

/// `--file` first, then the flags over it, then the identity fallbacks.
fn build(ctx: &Context, spec: &CallSpec, args: &CallArgs) -> Result<Map<String, Value>> {
    let mut call = match &args.file {
        Some(path) => read_call_file(path)?,
        None => Map::new(),
    };
    let type_name = spec.call_type.as_str();
    match call.get("type") {
        Some(Value::String(t)) if t == type_name => {}
        None => {}
        Some(other) => {
            return Err(Error::file(
                input::display_name(args.file.as_deref().unwrap_or("-".as_ref())),
                format_args!("the file's \"type\" is {other} but the command is {type_name}"),
            ))
        }
    }
    call.insert("type".into(), Value::String(type_name.into()));

    for (field, value) in &spec.fields {
        if let Some(value) = value {
            call.insert(field.to_string(), Value::String(value.clone()));
        }
    }
    if let Some((field, items)) = spec.items {
        insert_items(&mut call, field, items)?;
    }
    apply_extras(&mut call, &args.extras.context, &args.extras.integrations)?;

    let identity = &args.identity;
    if let Some(id) = &identity.user_id {
        call.insert("userId".into(), Value::String(id.clone()));
    }
    if let Some(id) = &identity.anonymous_id {
        call.insert("anonymousId".into(), Value::String(id.clone()));
    }
    let has_identity = |c: &Map<String, Value>| {
        ["userId", "anonymousId"]
            .iter()
            .any(|k| c.get(*k).is_some_and(|v| !v.is_null()))
    };
    if !has_identity(&call) {
        if let Some(id) = &ctx.settings.user_id {
            call.insert("userId".into(), Value::String(id.clone()));
        }
        if let Some(id) = &ctx.settings.anonymous_id {
            call.insert("anonymousId".into(), Value::String(id.clone()));
        }
    }
    // Alias names people explicitly; a machine id would merge the wrong person.
    if !has_identity(&call) && spec.call_type != CallType::Alias {
        let id = crate::config::machine_anonymous_id(&ctx.settings.config_path, &ctx.report)?;
        call.insert("anonymousId".into(), Value::String(id));
    }

    if let Some(ts) = &args.timestamp {
        let ts = timestamp::from_text(ts.trim(), &timestamp::now(), args.allow_old_timestamps)
            .map_err(|reason| Error::usage(format!("--timestamp: {reason}")))?;
        call.insert("timestamp".into(), Value::String(ts));
        call.remove("originalTimestamp");
    }
    if let Some(id) = &args.message_id {
        call.insert("messageId".into(), Value::String(id.clone()));
    }
    Ok(call)
}

fn read_call_file(path: &std::path::Path) -> Result<Map<String, Value>> {
    let name = input::display_name(path);
    // Pretty-printed JSON may be larger than the call it holds: twice the API's
    // limit is read before the file is refused.
    let text = input::read_to_string(path, 2 * envelope::MAX_CALL_BYTES as u64)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let located =
        |e: serde_json::Error, what: &str| Error::usage(input::json_error_at(&name, &e, what));
    let value: Value = serde_json::from_str(text).map_err(|e| located(e, "invalid JSON: "))?;
    // Numbers parse as written; one beyond a float is refused, as serde_json did.
    if let Some(number) = crate::numbers::out_of_range(text) {
        return Err(Error::usage(format!(
            "{name}:{}:{}: invalid JSON: number out of range",
            number.line, number.column
        )));
    }
    match value {
        Value::Object(map) => {
            // Which of two values would the server take? Refuse, as batch does.
            envelope::top_level_fields(text).map_err(|e| located(e, ""))?;
            Ok(map)
        }
        other => Err(Error::invalid(
            name,
            "a JSON object (one call)",
            input::json_kind(&other),
        )),
    }
}

/// A wait of more than a second is not left silent on a terminal (`-v` already says it).
fn announce_retry(ctx: &Context, notice: RetryNotice) {
    let quiet = ctx.report.quiet || ctx.report.verbose > 0;
    // A refused connection is said at once, whatever the wait: nothing
    // listens there, and a person should see why within a second.
    let why = match (notice.status, &notice.reason) {
        (Some(status), _) => status.to_string(),
        (None, Some(reason)) => crate::explain::plain(
            reason
                .strip_prefix("cannot connect: ")
                .unwrap_or(reason.as_str()),
        ),
        (None, None) => "no answer".to_string(),
    };
    let refused = why.contains("refused");
    let short = notice.wait <= Duration::from_secs(1) && !refused;
    if quiet || short || !std::io::stderr().is_terminal() {
        return;
    }
    let wait = notice.wait.as_secs_f64();
    let wait = match wait < 1.0 {
        true => format!("{wait:.1}"),
        false => format!("{}", wait.round()),
    };
    crate::output::note(format_args!("retrying in {wait} s ({why})"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_at_is_appended_as_last_field() {
        let body = with_sent_at(r#"{"type":"track"}"#, "2026-11-28T15:01:30.212Z");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["sentAt"], "2026-11-28T15:01:30.212Z");
        assert_eq!(body.len(), r#"{"type":"track"}"#.len() + SENT_AT_BYTES);
    }
}
