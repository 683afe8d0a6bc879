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
    /// The kernel trees scenarios run on (`mainline`, `lts`), by name.
    #[serde(default)]
    pub bases: BTreeMap<String, Base>,
    /// Feature builds a scenario can also run on (`features = [...]`).
    #[serde(default)]
    pub features: BTreeMap<String, Feature>,
    /// The scenarios, in the order they run and print.
    pub scenario: Vec<Scenario>,
}

/// One kernel base: which scenarios run on it.
#[derive(Deserialize, Clone)]
pub struct Base {
    /// What the base is, for the table's legend.
    pub doc: String,
    /// Names (after expansion) of the scenarios that run on this base;
    /// absent: all of them.
    pub scenarios: Option<Vec<String>>,
    /// Names of scenarios this base leaves out.
    #[serde(default)]
    pub skip: Vec<String>,
    /// Names of scenarios this base runs only in `make check-extended`
    /// (their feature kernels are then built only there).
    #[serde(default)]
    pub extended: Vec<String>,
}

impl Base {
    /// Whether scenario `name` runs on this base.
    pub fn runs(&self, name: &str) -> bool {
        !self.skip.iter().any(|n| n == name)
            && self
                .scenarios
                .as_ref()
                .is_none_or(|l| l.iter().any(|n| n == name))
    }

    /// The first name in this base's lists for which `exists` is false.
    pub fn unknown_name<'a>(&'a self, exists: impl Fn(&str) -> bool) -> Option<&'a str> {
        self.scenarios
            .iter()
            .flatten()
            .chain(&self.skip)
            .chain(&self.extended)
            .map(String::as_str)
            .find(|n| !exists(n))
    }

    /// The suite scenario `s` belongs to on this base.
    pub fn suite_of<'a>(&self, s: &'a Scenario) -> &'a str {
        if self.extended.iter().any(|n| *n == s.name) {
            "extended"
        } else {
            &s.suite
        }
    }
}

/// A feature build (`<kernel>-<name>`, scripts/build-kernel.sh) that
/// scenarios listing it in `features` also run on, as `<scenario>-<name>`.
#[derive(Deserialize, Clone)]
pub struct Feature {
    /// Suite of the copies (see `Scenario::suite`).
    pub suite: String,
    /// More of kernel A's command line.
    #[serde(default)]
    pub append: String,
    /// The copies' timeout is the scenario's times this.
    #[serde(default = "one")]
    pub timeout_scale: u64,
    /// The kernels the feature is built for.
    pub kernels: Vec<String>,
}

fn one() -> u64 {
    1
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
    /// `-machine`: options after `virt,` (e.g. `aia=aplic-imsic`), or
    /// another board with its options when the first word has no `=`
    /// (e.g. `sifive_u`).
    pub machine: Option<String>,
    /// `riscv32`: boot on `qemu-system-riscv32` (default `riscv64`).
    pub arch: Option<String>,
    /// Guest RAM that QEMU fills before the boot, `<address>:<size>:<word>`
    /// (hex address, size with K/M/G, a 32-bit word repeated), e.g. RAM
    /// that Linux never writes, to see whether anything executes it.
    pub fill: Option<String>,
    /// The initramfs `out/rootfs-<rootfs>.cpio` instead of the suite's
    /// (e.g. `platforms`: the one that carries the platforms builds).
    pub rootfs: Option<String>,
    /// The serial console's device (`console=`; default `ttyS0`). Another
    /// one is also passed on as `rvk.console=`, for the next kernels.
    pub console: Option<String>,
    /// `edk2`: boot kernel A through UEFI firmware (EDK2 in pflash after
    /// OpenSBI; the kernel's EFI stub) instead of straight from OpenSBI.
    pub firmware: Option<String>,
    pub timeout: Option<u64>,
    /// Extra kernel command line for kernel A.
    #[serde(default)]
    pub append: String,
    /// Console lines that must appear, in this order.
    pub expect: Vec<String>,
    /// Per kernel, lines that replace `expect` on that kernel (where the
    /// right outcome differs, e.g. an alias only the Rust layer maps).
    #[serde(default)]
    pub expect_on: BTreeMap<String, Vec<String>>,
    /// Boot kernel A from the feature build `<kernel>-<build>` (e.g.
    /// `c-cfi`: the c kernel with kCFI) instead of `<kernel>`.
    pub build: Option<String>,
    /// Where the scenario is expected to fail (and why), keyed by
    /// `<base>.<kernel>`, `<kernel>` or `<base>`, in that order of precedence.
    #[serde(default)]
    pub xfail: BTreeMap<String, String>,
    /// Console text that fails the run at once (e.g. KTAP's `not ok`).
    #[serde(default)]
    pub fatal: Vec<String>,
    /// Only these kernels run the scenario (empty: every kernel).
    #[serde(default)]
    pub kernels: Vec<String>,
    /// The guest is allowed to panic (crash kexec).
    #[serde(default)]
    pub allow_panic: bool,
    /// Splats (see `SPLATS` in main.rs) this scenario provokes on purpose.
    #[serde(default)]
    pub allow_splats: Vec<String>,
    /// The suite the scenario belongs to: `main` (`make check`) or
    /// `extended` (`make check-extended`: feature kernels too slow to build
    /// within `make check`'s budget).
    #[serde(default = "main_suite")]
    pub suite: String,
    /// Size of a raw virtio disk (`-drive`, `virtio-blk-device`) given to
    /// the guest, e.g. `1G`; the file is `out/logs/<run>.disk`.
    pub disk: Option<String>,
    /// Host script `tests/host/<post>.sh` run after the guest passed, with
    /// `RVK_DISK`, `RVK_VMLINUX`, `RVK_MARKER`; its output must then show
    /// `post_expect`, in order.
    pub post: Option<String>,
    #[serde(default)]
    pub post_expect: Vec<String>,
    /// Feature builds (`[features]`) the scenario also runs on ...
    #[serde(default)]
    pub features: Vec<String>,
    /// ... for these of its expansions only (empty: all of them).
    #[serde(default)]
    pub features_for: Vec<String>,
    /// Also run on the baseline kernel (pristine 6.12), for comparison.
    #[serde(default)]
    pub baseline: bool,
    /// Prefixes of console lines to show in the result table.
    #[serde(default)]
    pub report: Vec<String>,
    /// Run once per paging mode (`sv39`, `sv48`, `sv57`) ...
    #[serde(default)]
    pub pagings: Vec<String>,
    /// ... and once per memory size; the name gets `-<paging>-<mem>`.
    #[serde(default)]
    pub mems: Vec<String>,
}

fn main_suite() -> String {
    "main".to_string()
}

impl Scenario {
    /// QEMU's `-machine` argument: `virt` with the scenario's options, or
    /// the board it names; under EDK2 without ACPI asked for, `acpi=off`
    /// (EDK2 then passes QEMU's device tree on).
    pub fn qemu_machine(&self) -> Result<String, String> {
        let opts = self.machine.as_deref().unwrap_or("");
        let board = opts.split(',').next().filter(|w| !w.is_empty() && !w.contains('='));
        let mut machine = match board {
            // The EDK2 images are virt's.
            Some(b) if self.firmware.is_some() => return Err(format!("firmware on board {b}: EDK2 is for virt only")),
            Some(_) => opts.to_string(),
            None if opts.is_empty() => "virt".to_string(),
            None => format!("virt,{opts}"),
        };
        match self.firmware.as_deref() {
            None => {}
            Some("edk2") if opts.split(',').any(|o| o.starts_with("acpi=")) => {}
            Some("edk2") => machine.push_str(",acpi=off"),
            Some(other) => return Err(format!("unknown firmware {other:?} (edk2 or none)")),
        }
        Ok(machine)
    }

    /// The QEMU program for `arch`.
    pub fn qemu_binary(&self) -> Result<&'static str, String> {
        match self.arch.as_deref() {
            None | Some("riscv64") => Ok("qemu-system-riscv64"),
            Some("riscv32") => Ok("qemu-system-riscv32"),
            Some(other) => Err(format!("unknown arch {other:?} (riscv64 or riscv32)")),
        }
    }

    /// `fill` as (address, size in bytes, word).
    pub fn fill_spec(&self) -> Result<Option<(u64, u64, u32)>, String> {
        let Some(f) = self.fill.as_deref() else {
            return Ok(None);
        };
        let bad = || format!("fill {f:?}: want <0xaddress>:<size[K|M|G]>:<0xword>");
        let hex = |t: &str| t.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok());
        let mut it = f.split(':');
        let (Some(a), Some(z), Some(w), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(bad());
        };
        let (num, unit) = z.split_at(z.find(|c: char| !c.is_ascii_digit()).unwrap_or(z.len()));
        let shift = match unit {
            "" => 0,
            "K" => 10,
            "M" => 20,
            "G" => 30,
            _ => return Err(bad()),
        };
        let size = num
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(1 << shift))
            .ok_or_else(bad)?;
        let word = hex(w).and_then(|w| u32::try_from(w).ok()).ok_or_else(bad)?;
        let addr = hex(a).ok_or_else(bad)?;
        if size == 0 || size % 4 != 0 {
            return Err(bad());
        }
        Ok(Some((addr, size, word)))
    }

    /// Why the scenario is expected to fail on `kernel` of `base`, if it is.
    pub fn xfail_reason(&self, base: &str, kernel: &str) -> Option<&String> {
        self.xfail
            .get(&format!("{base}.{kernel}"))
            .or_else(|| self.xfail.get(kernel))
            .or_else(|| self.xfail.get(base))
    }

    /// The lines that must appear on `kernel`'s console.
    pub fn expect_for(&self, kernel: &str) -> &[String] {
        self.expect_on.get(kernel).unwrap_or(&self.expect)
    }

    /// The build directory of kernel A: `kernel`, or its feature build.
    pub fn build_of(&self, kernel: &str) -> String {
        match &self.build {
            Some(b) => format!("{kernel}-{b}"),
            None => kernel.to_string(),
        }
    }

    /// Whether the scenario runs on `kernel` at all.
    pub fn runs_on(&self, kernel: &str) -> bool {
        self.kernels.is_empty() || self.kernels.iter().any(|k| k == kernel)
    }

    /// Expands `pagings` x `mems` into one scenario each, and each of those
    /// into one more per feature build; `timeout` is the default timeout.
    pub fn expand(
        &self,
        features: &BTreeMap<String, Feature>,
        timeout: u64,
    ) -> Result<Vec<Scenario>, String> {
        let pagings: Vec<Option<&str>> = if self.pagings.is_empty() {
            vec![None]
        } else {
            self.pagings.iter().map(|p| Some(p.as_str())).collect()
        };
        let mems: Vec<Option<&str>> = if self.mems.is_empty() {
            vec![None]
        } else {
            self.mems.iter().map(|m| Some(m.as_str())).collect()
        };
        let mut out = Vec::new();
        for p in &pagings {
            for m in &mems {
                let mut s = self.clone();
                s.pagings.clear();
                s.mems.clear();
                if s.script.is_none() {
                    s.script = Some(self.name.clone());
                }
                if let Some(p) = p {
                    // QEMU's default CPU offers Sv57; these options cap the kernel.
                    let opt = match *p {
                        "sv39" => "no4lvl",
                        "sv48" => "no5lvl",
                        "sv57" => "",
                        _ => return Err(format!("{}: unknown paging mode {p}", self.name)),
                    };
                    s.name = format!("{}-{p}", s.name);
                    s.append = format!("{} {opt}", s.append).trim().to_string();
                }
                if let Some(m) = m {
                    s.name = format!("{}-{}", s.name, m.to_lowercase());
                    s.mem = Some(m.to_string());
                }
                out.push(s);
            }
        }
        if let Some(n) = self.features_for.iter().find(|n| !out.iter().any(|s| &s.name == *n)) {
            return Err(format!("{}: features_for names {n}, which is not one of its runs", self.name));
        }
        let mut copies = Vec::new();
        for s in &out {
            if !self.features_for.is_empty() && !self.features_for.contains(&s.name) {
                continue;
            }
            for name in &self.features {
                let f = features
                    .get(name)
                    .ok_or_else(|| format!("{}: no [features.{name}]", self.name))?;
                if s.build.is_some() {
                    return Err(format!("{}: a feature build cannot have features", self.name));
                }
                let mut c = s.clone();
                c.name = format!("{}-{name}", s.name);
                c.build = Some(name.clone());
                c.suite = f.suite.clone();
                c.append = format!("{} {}", s.append, f.append).trim().to_string();
                c.timeout = Some(s.timeout.unwrap_or(timeout) * f.timeout_scale);
                // The feature's kernels, of those the scenario runs on.
                c.kernels = f.kernels.iter().filter(|k| s.runs_on(k)).cloned().collect();
                c.features.clear();
                c.features_for.clear();
                copies.push(c);
            }
        }
        out.extend(copies);
        Ok(out)
    }
}

/// A console-line pattern: literal text that may hold `{>N}` holes, each an
/// integer greater than N at that place.
#[derive(Debug, PartialEq)]
pub struct Pattern {
    /// Literal pieces; a hole sits between each two.
    lits: Vec<String>,
    /// Lower bounds (exclusive) of the holes.
    holes: Vec<u64>,
}

impl Pattern {
    /// Parses `text`; `{>N}` marks a number that must exceed N.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lits = Vec::new();
        let mut holes = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{>") {
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("unclosed {{> in {text:?}"))?
                + open;
            holes.push(
                rest[open + 2..close]
                    .parse()
                    .map_err(|_| format!("bad number in {text:?}"))?,
            );
            lits.push(rest[..open].to_string());
            rest = &rest[close + 1..];
        }
        lits.push(rest.to_string());
        Ok(Pattern { lits, holes })
    }

    /// Whether `line` matches.
    pub fn matches(&self, line: &str) -> bool {
        line.match_indices(self.lits[0].as_str())
            .any(|(at, _)| self.matches_from(&line[at + self.lits[0].len()..], 0))
    }

    /// Matches hole `i` and everything after it at the start of `rest`.
    fn matches_from(&self, rest: &str, i: usize) -> bool {
        let Some(&min) = self.holes.get(i) else {
            return true;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0
            && rest[..digits].parse::<u64>().is_ok_and(|n| n > min)
            && rest[digits..].starts_with(self.lits[i + 1].as_str())
            && self.matches_from(&rest[digits + self.lits[i + 1].len()..], i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{Base, Pattern, Scenario};

    fn scenario(xfail: &[(&str, &str)]) -> Scenario {
        let mut s: Scenario = toml::from_str("name = \"x\"\ndoc = \"d\"\nexpect = []").unwrap();
        for (k, v) in xfail {
            s.xfail.insert(k.to_string(), v.to_string());
        }
        s
    }

    #[test]
    fn xfail_precedence() {
        let s = scenario(&[("lts", "base"), ("stock", "kernel"), ("lts.rust", "both")]);
        assert_eq!(s.xfail_reason("lts", "rust").unwrap(), "both");
        assert_eq!(s.xfail_reason("lts", "stock").unwrap(), "kernel");
        assert_eq!(s.xfail_reason("lts", "c").unwrap(), "base");
        assert_eq!(s.xfail_reason("mainline", "stock").unwrap(), "kernel");
        assert!(s.xfail_reason("mainline", "rust").is_none());
    }

    #[test]
    fn qemu_machine() {
        let m = |machine: Option<&str>, firmware: Option<&str>| {
            let mut s = scenario(&[]);
            s.machine = machine.map(str::to_string);
            s.firmware = firmware.map(str::to_string);
            s.qemu_machine()
        };
        assert_eq!(m(None, None).unwrap(), "virt");
        assert_eq!(m(Some("aia=aplic"), None).unwrap(), "virt,aia=aplic");
        assert_eq!(m(None, Some("edk2")).unwrap(), "virt,acpi=off");
        assert_eq!(m(Some("acpi=on,aia=aplic"), Some("edk2")).unwrap(), "virt,acpi=on,aia=aplic");
        assert_eq!(m(Some("sifive_u"), None).unwrap(), "sifive_u");
        assert!(m(None, Some("uboot")).is_err());
        assert!(m(Some("sifive_u"), Some("edk2")).is_err());
    }

    #[test]
    fn arch_and_fill() {
        let mut s = scenario(&[]);
        assert_eq!(s.qemu_binary().unwrap(), "qemu-system-riscv64");
        assert_eq!(s.fill_spec().unwrap(), None);
        s.arch = Some("riscv32".into());
        s.fill = Some("0xc0000000:1G:0x0000006f".into());
        assert_eq!(s.qemu_binary().unwrap(), "qemu-system-riscv32");
        assert_eq!(s.fill_spec().unwrap(), Some((0xc000_0000, 1 << 30, 0x6f)));
        s.arch = Some("arm".into());
        assert!(s.qemu_binary().is_err());
        for bad in ["c0000000:1G:0x6f", "0xc0000000:1T:0x6f", "0x0:99999999999G:0x6f", "0xc0000000:1G:0x100000000", "0xc0000000:3:0x6f", "0x1:1G"] {
            s.fill = Some(bad.into());
            assert!(s.fill_spec().is_err(), "{bad}");
        }
    }

    #[test]
    fn base_moves_a_scenario_to_extended() {
        let b: Base = toml::from_str("doc = \"d\"\nscenarios = [\"x\", \"y\"]\nextended = [\"y\"]").unwrap();
        let x = scenario(&[]);
        let mut y = scenario(&[]);
        y.name = "y".into();
        assert!(b.runs("x") && b.runs("y") && !b.runs("z"));
        assert_eq!((b.suite_of(&x), b.suite_of(&y)), ("main", "extended"));
        assert_eq!(b.unknown_name(|n| n == "x" || n == "y"), None);
        assert_eq!(b.unknown_name(|n| n == "x"), Some("y"));
    }

    #[test]
    fn feature_copies() {
        let spec: super::File = toml::from_str(
            "[defaults]\nmem = \"512M\"\nsmp = 2\ntimeout = 100\n\
             [features.debug]\nsuite = \"extended\"\nappend = \"dp=on\"\ntimeout_scale = 3\nkernels = [\"rust\", \"c\"]\n\
             [[scenario]]\nname = \"pt\"\ndoc = \"d\"\nexpect = []\nappend = \"x=1\"\n\
             pagings = [\"sv39\", \"sv57\"]\nfeatures = [\"debug\"]\nfeatures_for = [\"pt-sv57\"]\n",
        )
        .unwrap();
        let all = spec.scenario[0].expand(&spec.features, spec.defaults.timeout).unwrap();
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["pt-sv39", "pt-sv57", "pt-sv57-debug"]);
        let d = &all[2];
        assert_eq!(d.build_of("c"), "c-debug");
        assert_eq!((d.suite.as_str(), d.append.as_str(), d.timeout), ("extended", "x=1 dp=on", Some(300)));
        assert!(d.runs_on("rust") && !d.runs_on("stock"));
        assert_eq!(all[1].suite, "main");
    }

    #[test]
    fn base_subset() {
        let all = Base { doc: String::new(), scenarios: None, skip: vec!["churn-short".into()], extended: vec![] };
        let some = Base { doc: String::new(), scenarios: Some(vec!["kdump".into()]), skip: vec![], extended: vec![] };
        assert!(all.runs("churn"));
        assert!(!all.runs("churn-short"));
        assert!(some.runs("kdump"));
        assert!(!some.runs("kdump-from-hart3"));
    }

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

    #[test]
    fn two_numbers() {
        let p = Pattern::parse("size={>0} read={>0} magic=7f").unwrap();
        assert!(p.matches("RVK-VMCORE size=4096 read=4096 magic=7f454c46"));
        assert!(!p.matches("RVK-VMCORE size=4096 read=0 magic=7f454c46"));
    }
}
