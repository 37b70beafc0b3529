use crate::cli::BatchArgs;
use crate::error::{Error, Result};
use crate::Context;

pub fn run(_ctx: &Context, _args: &crate::cli::BatchArgs) -> Result<()> {
    let _: &BatchArgs = _args;
    Err(Error::usage("batch is not built yet"))
}
