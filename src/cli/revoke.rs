//! `modelvet revoke`: withdraw a revision's approval for a criterion.

use super::{Ctx, Format, Outcome};
use clap::Args;

/// Arguments of `revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// NAME@REV whose approval to withdraw.
    pub model: String,
    /// The criterion whose approval to withdraw.
    #[arg(long = "criteria", value_name = "C")]
    pub criterion: String,
    /// Why.
    #[arg(long)]
    pub note: Option<String>,
}

/// Runs `revoke`.
pub fn run(ctx: &Ctx, args: RevokeArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let catalogue = ctx.catalogue()?;
    let rev = ctx.block_on(async {
        let rev = crate::vet::registry::decided_revision(&catalogue, &args.model).await?;
        catalogue
            .revoke_approval(&rev, &args.criterion, args.note.as_deref())
            .await?;
        Ok::<_, crate::vet::VetError>(rev)
    })?;
    if format == Format::Json {
        super::print_json(&serde_json::json!({"revoked": rev.id(), "criterion": args.criterion}))?;
    } else {
        super::print(&format!(
            "revoked the `{}` approval of {}\n",
            args.criterion,
            rev.id()
        ))?;
    }
    Ok(Outcome::Ok)
}
