//! `modelvet token`: API tokens for the registry server.

use super::{Ctx, Format, Outcome};
use crate::record::Role;
use clap::{Args, Subcommand, ValueEnum};

/// Arguments of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub action: TokenAction,
}

/// What to do with tokens.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once (only its SHA-256 is stored).
    Create {
        /// A name for the token: who or what uses it (letters, digits, `-`, `_`).
        name: String,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The last day the token is accepted (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke the live token of this name.
    Revoke { name: String },
}

/// `--role`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Reader,
    Auditor,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Reader => Role::Reader,
            RoleArg::Auditor => Role::Auditor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// Runs `token`.
pub fn run(ctx: &Ctx, args: TokenArgs) -> anyhow::Result<Outcome> {
    let format = ctx.require_format(&[Format::Human, Format::Json])?;
    let catalogue = ctx.catalogue()?;
    match args.action {
        TokenAction::Create {
            name,
            role,
            expires,
        } => {
            let new = ctx.block_on(crate::vet::registry::create_token(
                &catalogue,
                &name,
                role.into(),
                expires.as_deref(),
            ))?;
            if format == Format::Json {
                super::print_json(
                    &serde_json::json!({"token": new.secret, "name": new.row.name,
                    "role": new.row.role, "expires_on": new.row.expires_on}),
                )?;
            } else {
                eprintln!(
                    "created token `{}` ({}); it is shown once, store it now:",
                    new.row.name, new.row.role
                );
                super::print(&format!("{}\n", new.secret))?;
            }
        }
        TokenAction::List => {
            let tokens = ctx.block_on(catalogue.tokens())?;
            if format == Format::Json {
                super::print_json(&tokens)?;
            } else if tokens.is_empty() {
                eprintln!("no tokens; create one with `modelvet token create NAME --role reader`");
            } else {
                let today = crate::catalogue::today();
                let mut out = format!(
                    "{:<20}  {:<8}  {:<10}  {:<10}  CREATED\n",
                    "NAME", "ROLE", "STATE", "EXPIRES"
                );
                for t in &tokens {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else if crate::catalogue::approval_expired(t.expires_on.as_deref(), &today) {
                        "expired"
                    } else {
                        "live"
                    };
                    out.push_str(&format!(
                        "{:<20}  {:<8}  {:<10}  {:<10}  {} by {}\n",
                        t.name,
                        t.role.as_str(),
                        state,
                        t.expires_on.as_deref().unwrap_or("never"),
                        t.created_at,
                        t.created_by
                    ));
                }
                super::print(&out)?;
            }
        }
        TokenAction::Revoke { name } => {
            ctx.block_on(catalogue.revoke_token(&name))?;
            if format == Format::Json {
                super::print_json(&serde_json::json!({"revoked": name}))?;
            } else {
                super::print(&format!("revoked token `{name}`\n"))?;
            }
        }
    }
    Ok(Outcome::Ok)
}
