//! `modelvet remove`.

use super::{Ctx, Format, Outcome};
use clap::Args;

/// Arguments of `remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// NAME removes the model with all its revisions; NAME@REV removes one revision.
    pub model: String,
}

/// Runs `remove`.
pub fn run(ctx: &Ctx, args: RemoveArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let catalogue = ctx.catalogue()?;
    let removed = ctx.block_on(catalogue.remove(&args.model))?;
    if format == Format::Json {
        super::print_json(&removed)?;
    } else {
        let revs: Vec<String> = removed
            .revisions
            .iter()
            .map(|r| format!("{}@{r}", removed.name))
            .collect();
        let mut out = format!("removed {}\n", revs.join(", "));
        if removed.model_removed {
            out.push_str(&format!(
                "`{}` is no longer in the catalogue\n",
                removed.name
            ));
        }
        super::print(&out)?;
    }
    Ok(Outcome::Ok)
}
