//! Scenarios as data: read from `tests/scenarios.toml`.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole scenario file.
#[derive(Deserialize)]
pub struct File {
    /// Values a scenario inherits unless it sets its own.
    pub defaults: Defaults,
    /// Named text snippets, used in `expect` as `@name`.
    #[serde(default)]
    pub snippets: BTreeMap<String, String>,
    /// The scenarios, in the order they run and print.
    pub scenario: Vec<Scenario>,
}

/// Defaults for every scenario.
#[derive(Deserialize)]
pub struct Defaults {
    pub mem: String,
    pub smp: u32,
    pub timeout: u64,
    #[serde(default)]
    pub append: String,
}

/// One scenario: how to boot kernel A and what the console must show.
#[derive(Deserialize, Clone)]
pub struct Scenario {
    pub name: String,
    /// One line of what it proves, printed with failures.
    pub doc: String,
    /// Guest script (`tests/guest/<script>.sh`); defaults to `name`.
    pub script: Option<String>,
    pub mem: Option<String>,
    pub smp: Option<u32>,
    /// `-cpu` model and options, e.g. `rv64,sv48=on`.
    pub cpu: Option<String>,
    pub timeout: Option<u64>,
    /// Extra kernel command line for kernel A.
    #[serde(default)]
    pub append: String,
    /// Console lines that must appear, in this order.
    pub expect: Vec<String>,
    /// Kernels on which the scenario is expected to fail (and why).
    #[serde(default)]
    pub xfail: BTreeMap<String, String>,
    /// The guest is allowed to panic (crash kexec).
    #[serde(default)]
    pub allow_panic: bool,
    /// Prefixes of console lines to show in the result table.
    #[serde(default)]
    pub report: Vec<String>,
}

/// A console-line pattern: a literal that may hold one `{>N}`, an integer
/// greater than N at that place.
#[derive(Debug, PartialEq)]
pub struct Pattern {
    prefix: String,
    number_above: Option<u64>,
    suffix: String,
}

impl Pattern {
    /// Parses `text`; `{>N}` marks a number that must exceed N.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(open) = text.find("{>") else {
            return Ok(Pattern {
                prefix: text.to_string(),
                number_above: None,
                suffix: String::new(),
            });
        };
        let close = text[open..]
            .find('}')
            .ok_or_else(|| format!("unclosed {{> in {text:?}"))?
            + open;
        let n = text[open + 2..close]
            .parse()
            .map_err(|_| format!("bad number in {text:?}"))?;
        Ok(Pattern {
            prefix: text[..open].to_string(),
            number_above: Some(n),
            suffix: text[close + 1..].to_string(),
        })
    }

    /// Whether `line` matches.
    pub fn matches(&self, line: &str) -> bool {
        let Some(min) = self.number_above else {
            return line.contains(&self.prefix);
        };
        line.match_indices(&self.prefix).any(|(at, _)| {
            let rest = &line[at + self.prefix.len()..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0
                && rest[..digits].parse::<u64>().is_ok_and(|n| n > min)
                && rest[digits..].starts_with(&self.suffix)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn literal() {
        let p = Pattern::parse("RVK-MARKER abc").unwrap();
        assert!(p.matches("[ 1.0] RVK-MARKER abc from stage 2"));
        assert!(!p.matches("RVK-MARKER abd"));
    }

    #[test]
    fn number_above() {
        let p = Pattern::parse("size={>0} magic=7f").unwrap();
        assert!(p.matches("RVK-VMCORE size=4096 magic=7f454c46"));
        assert!(!p.matches("RVK-VMCORE size=0 magic=7f454c46"));
        assert!(!p.matches("RVK-VMCORE size= magic=7f"));
        assert!(!p.matches("RVK-VMCORE size=12 magic=00"));
    }
}
