//! `modelvet approve`: record that one revision meets a criterion.

use super::{Ctx, Format, Outcome};
use crate::policy::Policy;
use clap::Args;

/// Arguments of `approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// NAME@REV: an approval binds a revision (a unique prefix of REV is enough), never a name.
    pub model: String,
    /// The criterion the revision meets.
    #[arg(long = "criteria", value_name = "C")]
    pub criterion: String,
    /// Why.
    #[arg(long)]
    pub note: Option<String>,
    /// The last day the approval holds (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Check the criterion against this policy's `approvals.criteria`.
    #[arg(long)]
    pub policy: Option<std::path::PathBuf>,
}

/// Runs `approve`.
pub fn run(ctx: &Ctx, args: ApproveArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let policy = args.policy.as_deref().map(Policy::load).transpose()?;
    let catalogue = ctx.catalogue()?;
    let row = ctx.block_on(async {
        let rev = crate::vet::registry::decided_revision(&catalogue, &args.model).await?;
        crate::vet::registry::approve(
            &catalogue,
            &rev,
            &args.criterion,
            args.note.as_deref(),
            args.expires.as_deref(),
            policy.as_ref(),
        )
        .await
    })?;
    if format == Format::Json {
        super::print_json(&row)?;
    } else {
        let until = row
            .expires_on
            .as_deref()
            .map(|d| format!(" until {d}"))
            .unwrap_or_default();
        super::print(&format!(
            "approved {}@{} for `{}`{until} (by {})\n",
            row.model, row.revision, row.criterion, row.approved_by
        ))?;
    }
    Ok(Outcome::Ok)
}
