//! One module per subcommand; `dispatch` is the table that routes to them.

pub mod batch;
pub mod call;
pub mod config;
pub mod events;
pub mod flush;
pub mod generate;
pub mod lint;
pub mod listen;
pub mod ping;

use crate::cli::Command;
use crate::context::Context;
use crate::envelope::CallType;
use crate::error::Result;
use call::CallSpec;

pub fn dispatch(ctx: &Context, command: &Command) -> Result<()> {
    let own = |v: &Option<String>| v.clone();
    match command {
        Command::Track { event, props, call } => {
            let spec = CallSpec {
                call_type: CallType::Track,
                fields: vec![("event", own(event))],
                items: Some(("properties", props)),
            };
            call::run(ctx, spec, call)
        }
        Command::Identify { traits, call } => {
            let spec = CallSpec {
                call_type: CallType::Identify,
                fields: vec![],
                items: Some(("traits", traits)),
            };
            call::run(ctx, spec, call)
        }
        Command::Page {
            name,
            category,
            props,
            call,
        } => {
            let spec = CallSpec {
                call_type: CallType::Page,
                fields: vec![("name", own(name)), ("category", own(category))],
                items: Some(("properties", props)),
            };
            call::run(ctx, spec, call)
        }
        Command::Screen { name, props, call } => {
            let spec = CallSpec {
                call_type: CallType::Screen,
                fields: vec![("name", own(name))],
                items: Some(("properties", props)),
            };
            call::run(ctx, spec, call)
        }
        Command::Group {
            group_id,
            traits,
            call,
        } => {
            let spec = CallSpec {
                call_type: CallType::Group,
                fields: vec![("groupId", own(group_id))],
                items: Some(("traits", traits)),
            };
            call::run(ctx, spec, call)
        }
        Command::Alias { previous_id, call } => {
            let spec = CallSpec {
                call_type: CallType::Alias,
                fields: vec![("previousId", own(previous_id))],
                items: None,
            };
            call::run(ctx, spec, call)
        }
        Command::Batch(args) => batch::run(ctx, args),
        Command::Flush(args) => flush::flush(ctx, args),
        Command::Spool {
            action: crate::cli::SpoolAction::Status,
        } => flush::status(ctx),
        Command::Ping { send_event } => ping::run(ctx, *send_event),
        // Handled before settings are resolved (they need no config), or, for
        // listen, where the explicit write key is known (`lib.rs`).
        Command::Config { .. }
        | Command::Completions { .. }
        | Command::Man
        | Command::Version
        | Command::Lint(_)
        | Command::Events { .. }
        | Command::Listen(_) => Ok(()),
    }
}
