//! `modelvet list`.

use super::{Ctx, Format, Outcome};
use clap::Args;

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {}

/// Runs `list`.
pub fn run(ctx: &Ctx, _args: ListArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let catalogue = ctx.catalogue()?;
    let models = ctx.block_on(catalogue.list())?;
    if format == Format::Json {
        super::print_json(&models)?;
        return Ok(Outcome::Ok);
    }
    if models.is_empty() {
        eprintln!("the catalogue is empty; add a model with `modelvet add PATH`");
        return Ok(Outcome::Ok);
    }
    let width = models
        .iter()
        .map(|m| m.id.to_string().len())
        .max()
        .unwrap_or(0)
        .max(2);
    let mut out = format!("{:<width$}  {:>4}  {:<24}  SOURCE\n", "ID", "REVS", "ADDED");
    for m in &models {
        out.push_str(&format!(
            "{:<width$}  {:>4}  {:<24}  {}\n",
            m.id, m.revisions, m.added_at, m.source
        ));
    }
    super::print(&out)?;
    Ok(Outcome::Ok)
}
