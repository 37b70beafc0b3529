//! `cio config`: create the file, set, get and unset values, list profiles, print the path.
//! Only `init`, `set` and `unset` write; the write key never comes from an argument.

use std::io::{IsTerminal, Read};
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::cli::{ConfigAction, GlobalArgs};
use crate::config::{self, ConfigFile, Profile, PROFILE_KEYS};
use crate::error::{Error, Result};
use crate::output::{stdout_line, Reporter};
use crate::secret::WriteKey;

pub struct ConfigContext<'a> {
    pub path: &'a Path,
    pub file: ConfigFile,
    pub profile: String,
    pub global: &'a GlobalArgs,
    pub report: Reporter,
}

pub fn run(mut ctx: ConfigContext, action: &ConfigAction) -> Result<()> {
    match action {
        ConfigAction::Path => stdout_line(ctx.path.display()),
        ConfigAction::Get { key } => get(&ctx, key)?,
        ConfigAction::List => list(&ctx),
        ConfigAction::Init { force } => init(&ctx, *force)?,
        ConfigAction::Set { key, value } => set(&mut ctx, key, value.as_deref())?,
        ConfigAction::Unset { key } => {
            let profile = ctx.profile.clone();
            config::update(ctx.path, |file| {
                if key == "default_profile" {
                    file.default_profile = None;
                    Ok(())
                } else {
                    file.profiles.entry(profile).or_default().set(key, None)
                }
            })?;
            ctx.report
                .info(format!("unset {key} in {}", where_key(&ctx, key)));
        }
    }
    Ok(())
}

fn where_(ctx: &ConfigContext) -> String {
    format!("profile '{}' of {}", ctx.profile, ctx.path.display())
}

/// Where `key` lives: `default_profile` is a top-level key, the others are a profile's.
fn where_key(ctx: &ConfigContext, key: &str) -> String {
    if key == "default_profile" {
        ctx.path.display().to_string()
    } else {
        where_(ctx)
    }
}

fn get(ctx: &ConfigContext, key: &str) -> Result<()> {
    let value = if key == "default_profile" {
        ctx.file.default_profile.clone()
    } else {
        let profile = ctx
            .file
            .profiles
            .get(&ctx.profile)
            .cloned()
            .unwrap_or_default();
        let value = profile.get(key)?;
        match key {
            "write_key" => value.as_deref().and_then(WriteKey::new).map(|k| k.masked()),
            "proxy" => value.as_deref().map(crate::proxy::redact_raw),
            _ => value,
        }
    };
    match value {
        Some(v) if ctx.report.json => {
            let profile = (key != "default_profile").then_some(&ctx.profile);
            stdout_line(serde_json::json!({"key": key, "value": v, "profile": profile}));
            Ok(())
        }
        Some(v) => {
            stdout_line(&v);
            Ok(())
        }
        None => Err(Error::NotSet(format!(
            "{key} is not set in {}",
            where_key(ctx, key)
        ))),
    }
}

fn list(ctx: &ConfigContext) {
    let default = ctx
        .file
        .default_profile
        .as_deref()
        .unwrap_or(config::DEFAULT_PROFILE);
    if ctx.report.json {
        let mut profiles = Map::new();
        for (name, profile) in &ctx.file.profiles {
            profiles.insert(
                name.clone(),
                Value::Object(
                    shown_values(profile)
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), Value::String(v)))
                        .collect(),
                ),
            );
        }
        stdout_line(
            json!({"path": ctx.path.display().to_string(), "default_profile": default, "profiles": profiles}),
        );
        return;
    }
    if ctx.file.profiles.is_empty() {
        ctx.report.info(format!(
            "no profiles in {} (create one with `cio config init`)",
            ctx.path.display()
        ));
    }
    for (name, profile) in &ctx.file.profiles {
        let mark = if name == default { " (default)" } else { "" };
        stdout_line(format_args!("[{name}]{mark}"));
        for (key, value) in shown_values(profile) {
            stdout_line(format_args!("  {key} = {value}"));
        }
    }
}

/// The set values of a profile, write key masked, proxy credentials hidden.
fn shown_values(profile: &Profile) -> Vec<(&'static str, String)> {
    PROFILE_KEYS
        .iter()
        .filter_map(|key| {
            let value = profile.get(key).ok().flatten()?;
            let value = match *key {
                "write_key" => WriteKey::new(&value)
                    .map(|k| k.masked())
                    .unwrap_or_default(),
                "proxy" => crate::proxy::redact_raw(&value),
                _ => value,
            };
            Some((*key, value))
        })
        .collect()
}

fn set(ctx: &mut ConfigContext, key: &str, value: Option<&str>) -> Result<()> {
    // The key is read (perhaps at a prompt) before the file is locked.
    let secret = match (key, value) {
        ("write_key", Some(_)) => {
            return Err(Error::usage(
                "config set write_key takes no value argument (it would land in shell history): pipe it on stdin, or type it at the prompt",
            ))
        }
        ("write_key", None) => Some(
            read_secret("Write key (input hidden): ")?
                .ok_or_else(|| Error::usage("no write key given on stdin"))?,
        ),
        (_, None) => return Err(Error::usage(format!("config set {key} needs a value"))),
        _ => None,
    };
    let profile = ctx.profile.clone();
    config::update(ctx.path, |file| {
        if let Some(secret) = &secret {
            let profile = file.profiles.entry(profile).or_default();
            profile.write_key = Some(secret.expose().to_string());
            return Ok(());
        }
        match (key, value) {
            ("default_profile", Some(v)) => file.default_profile = Some(v.to_string()),
            (key, v) => file.profiles.entry(profile).or_default().set(key, v)?,
        }
        Ok(())
    })?;
    ctx.report
        .info(format!("set {key} in {}", where_key(ctx, key)));
    Ok(())
}

fn init(ctx: &ConfigContext, force: bool) -> Result<()> {
    if ctx.file.profiles.contains_key(&ctx.profile) && !force {
        return Err(already_exists(ctx));
    }
    let mut profile = Profile {
        region: ctx.global.region,
        endpoint: ctx.global.endpoint.clone(),
        timeout: ctx.global.timeout,
        retries: ctx.global.retries,
        ..Profile::default()
    };
    profile.write_key =
        read_secret("Write key (input hidden, Enter to skip): ")?.map(|k| k.expose().to_string());
    let has_key = profile.write_key.is_some();
    // Checked again under the lock: another process may have created it meanwhile.
    config::update(ctx.path, |file| {
        if file.profiles.contains_key(&ctx.profile) && !force {
            return Err(already_exists(ctx));
        }
        file.profiles.insert(ctx.profile.clone(), profile);
        Ok(())
    })?;
    ctx.report.info(format!(
        "created {}{}",
        where_(ctx),
        if has_key {
            ""
        } else {
            " without a write key (add one with `cio config set write_key`)"
        }
    ));
    Ok(())
}

fn already_exists(ctx: &ConfigContext) -> Error {
    Error::usage(format!(
        "{} already exists (use --force to replace it, or `cio config set`)",
        where_(ctx)
    ))
}

/// The key from a hidden prompt on a terminal, or from stdin otherwise.
fn read_secret(prompt: &str) -> Result<Option<WriteKey>> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).map_err(|e| Error::io("cannot read the key", &e))?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(|e| Error::io("cannot read the key from stdin", &e))?;
        text
    };
    Ok(WriteKey::new(&text))
}
