//! rvk-harness: boots each scenario of `tests/scenarios.toml` on each kernel
//! under `qemu-system-riscv64 -machine virt`, reads the serial console and
//! decides pass/fail only from what the guest prints.

mod scenario;

use scenario::{Pattern, Scenario};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Console lines that end a run as failed unless the scenario allows panics.
const FATAL: &[&str] = &["Kernel panic", "Oops", "Unable to handle kernel"];

/// Reports of the kernel's own checkers and oopses. Each fails a run,
/// panic or not, unless the scenario lists it in `allow_splats`; "Call
/// Trace:" is also allowed once a scenario that may panic has panicked (the
/// panic's own backtrace). On riscv an oops or BUG() prints no "Call
/// Trace:" header, hence their own lines.
const SPLATS: &[&str] = &[
    "BUG:",
    "kernel BUG at",
    "Kernel BUG",
    "Oops",
    "Unable to handle kernel",
    "WARNING:",
    "------------[ cut here ]------------",
    "KASAN:",
    "UBSAN:",
    "Call Trace:",
    "possible circular locking dependency",
    "possible recursive locking",
    "inconsistent lock state",
    "suspicious RCU usage",
    "INFO: trying to register non-static key",
    "page allocation failure",
];

struct Options {
    /// `~/.cache/rvkexec`; each base's kernels are in `<cache>/<base>/out`.
    cache: PathBuf,
    /// Kernel trees, in table order (`mainline`, `lts`).
    bases: Vec<String>,
    top: PathBuf,
    kernels: Vec<String>,
    /// Kernel run only by scenarios with `baseline = true`.
    baseline: Option<String>,
    only: Vec<String>,
    /// Scenario suite to run (`main` or `extended`).
    suite: String,
    jobs: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Verdict {
    Pass,
    Fail,
    /// Failed where the scenario says it should (counts as passed).
    XFail,
    /// Passed where the scenario says it should fail (counts as failed).
    XPass,
}

struct Outcome {
    verdict: Verdict,
    secs: f64,
    why: String,
    reports: Vec<String>,
    tail: Vec<String>,
    log: PathBuf,
}

/// `size` bytes of `word` (little-endian) repeated, into `path`.
fn write_fill(path: &Path, size: u64, word: u32) -> std::io::Result<()> {
    let chunk: Vec<u8> = word.to_le_bytes().iter().copied().cycle().take(1 << 20).collect();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64);
        f.write_all(&chunk[..n as usize])?;
        left -= n;
    }
    f.flush()
}

/// Removes its file, if any, when dropped.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Where each hart of a guest that went silent is: its `pc` and `ra`,
/// sampled three times half a second apart through QEMU's monitor (a pc
/// that moves is a hart that loops, one that stays is parked), named from
/// kernel A's `System.map` (every riscv64 build links at the same address:
/// a capture kernel or kernel B of another build gets A's names, hence the
/// label).
fn stall_report(monitor: &str, system_map: &Path) -> Vec<String> {
    use std::io::Read;
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixStream};
    let deadline = Instant::now() + Duration::from_secs(5);
    let sock = SocketAddr::from_abstract_name(monitor).and_then(|a| UnixStream::connect_addr(&a));
    let mut sock = match sock {
        Ok(s) => s,
        Err(e) => return vec![format!("RVK-STALL: no QEMU monitor {monitor}: {e}")],
    };
    let mut writer = match sock.try_clone() {
        Ok(w) => w,
        Err(e) => return vec![format!("RVK-STALL: the QEMU monitor: {e}")],
    };
    // Reads until the monitor has printed `n` prompts in all (the banner
    // ends with one, each command's output with the next) or the deadline.
    let mut text = String::new();
    let mut read_to_prompt = |n: usize, text: &mut String| {
        let mut buf = [0u8; 65536];
        while text.matches("(qemu) ").count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || sock.set_read_timeout(Some(left)).is_err() {
                return false;
            }
            match sock.read(&mut buf) {
                Ok(0) => return false,
                Ok(k) => text.push_str(&String::from_utf8_lossy(&buf[..k])),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    };
    let mut samples: Vec<Option<Vec<(usize, u64, u64)>>> = Vec::new();
    let mut ok = read_to_prompt(1, &mut text);
    for i in 0..3 {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(500));
        }
        let from = text.len();
        ok = ok && writer.write_all(b"info registers -a\n").is_ok() && read_to_prompt(i + 2, &mut text);
        samples.push(ok.then(|| hart_pcs(&text[from..])));
    }
    let mut addrs: Vec<u64> = samples.iter().flatten().flatten().flat_map(|&(_, pc, ra)| [pc, ra]).collect();
    addrs.sort_unstable();
    addrs.dedup();
    let (names, why) = match symbolize(system_map, &addrs) {
        Ok(n) => (n, None),
        Err(why) => (Default::default(), Some(why)),
    };
    let name = |a: u64| names.get(&a).map_or(String::new(), |n| format!(" {n}"));
    let mut out = Vec::new();
    let cpus: std::collections::BTreeSet<usize> = samples.iter().flatten().flatten().map(|h| h.0).collect();
    for cpu in cpus {
        let seen: Vec<String> = samples
            .iter()
            .map(|s| match s.as_ref().and_then(|s| s.iter().find(|h| h.0 == cpu)) {
                Some(&(_, pc, ra)) => format!("pc={pc:#x}{} ra={ra:#x}{}", name(pc), name(ra)),
                None => "-".to_string(),
            })
            .collect();
        out.push(format!("RVK-STALL CPU#{cpu} (A's symbols): {}", seen.join(" | ")));
    }
    if out.is_empty() {
        out.push("RVK-STALL: the QEMU monitor named no CPU in time".to_string());
    }
    if let Some(why) = why {
        out.push(format!("RVK-STALL: no names: {why}"));
    }
    out
}

/// `(cpu, pc, ra)` of each `CPU#n` block of QEMU's `info registers -a`.
fn hart_pcs(text: &str) -> Vec<(usize, u64, u64)> {
    let mut out = Vec::new();
    let mut cpu = None;
    let mut pc = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some(w), _) if w.starts_with("CPU#") => {
                cpu = w[4..].parse().ok();
                pc = None;
            }
            (Some("pc"), Some(v)) => pc = u64::from_str_radix(v, 16).ok(),
            (Some("x0/zero"), _) => {
                let ra = line.split("x1/ra").nth(1).and_then(|r| r.split_whitespace().next());
                let ra = ra.and_then(|r| u64::from_str_radix(r, 16).ok());
                if let (Some(c), Some(p), Some(r)) = (cpu, pc, ra) {
                    out.push((c, p, r));
                }
            }
            _ => {}
        }
    }
    out
}

/// `function+0xoff` of each address in kernel text (the head text before
/// `_stext` too) or init text, from the build's `System.map` (kbuild's
/// symbol table: scripts/mksysmap has dropped the `.L` and mapping-symbol
/// labels kallsyms would not name either); none elsewhere (firmware, a
/// physical address).
fn symbolize(map: &Path, addrs: &[u64]) -> Result<std::collections::BTreeMap<u64, String>, String> {
    let text = std::fs::read_to_string(map).map_err(|e| format!("{}: {e}", map.display()))?;
    let mut names = std::collections::BTreeMap::new();
    let mut syms: Vec<(u64, &str)> = Vec::new();
    let mut bounds = std::collections::HashMap::new();
    for line in text.lines() {
        let mut w = line.split_whitespace();
        let (Some(a), Some(t), Some(name)) = (w.next(), w.next(), w.next()) else {
            continue;
        };
        let Ok(a) = u64::from_str_radix(a, 16) else { continue };
        if matches!(name, "_start" | "_etext" | "_sinittext" | "_einittext") {
            bounds.insert(name, a);
        }
        if matches!(t, "t" | "T" | "W" | "w") {
            syms.push((a, name));
        }
    }
    // mksysmap sorts by address; a map from elsewhere may not be.
    syms.sort_by_key(|s| s.0);
    let range = |from, to| bounds.get(from).copied().zip(bounds.get(to).copied());
    let text_ranges = [range("_start", "_etext"), range("_sinittext", "_einittext")];
    if text_ranges.iter().all(Option::is_none) {
        return Err(format!("no _start/_etext in {}", map.display()));
    }
    for &a in addrs {
        if !text_ranges.iter().flatten().any(|&(lo, hi)| (lo..hi).contains(&a)) {
            continue;
        }
        let i = syms.partition_point(|s| s.0 <= a);
        if let Some(&(at, name)) = i.checked_sub(1).and_then(|i| syms.get(i)) {
            names.insert(a, format!("{name}+{:#x}", a - at));
        }
    }
    Ok(names)
}

impl Outcome {
    /// A run that failed before QEMU started, for `why`.
    fn failed(log: &Path, why: String) -> Self {
        Outcome {
            verdict: Verdict::Fail,
            secs: 0.0,
            tail: vec![why.clone()],
            why,
            reports: Vec::new(),
            log: log.to_path_buf(),
        }
    }
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rvk-harness: {e}");
            eprintln!("usage: rvk-harness --cache DIR --top DIR [--bases mainline,lts] --kernels rust,c [--baseline stock] [--suite main|extended] [--jobs N] [FILTER...]");
            std::process::exit(2);
        }
    };
    let file = opts.top.join("tests/scenarios.toml");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| die(&format!("{file:?}: {e}")));
    let spec: scenario::File =
        toml::from_str(&text).unwrap_or_else(|e| die(&format!("{file:?}: {e}")));
    let mut all = Vec::new();
    for s in &spec.scenario {
        all.extend(
            s.expand(&spec.features, spec.defaults.timeout)
                .unwrap_or_else(|e| die(&e)),
        );
    }
    for (i, a) in all.iter().enumerate() {
        if all[..i].iter().any(|b| b.name == a.name) {
            die(&format!("two scenarios are named {}", a.name));
        }
    }
    // A misspelt name in a base's lists would silently run a row in the
    // wrong suite, or not at all.
    for (b, base) in &spec.bases {
        if let Some(n) = base.unknown_name(|n| all.iter().any(|s| s.name == n)) {
            die(&format!("[bases.{b}] names {n}, which is not a scenario (after expansion)"));
        }
    }
    let scenarios: Vec<Scenario> = all
        .iter()
        .filter(|s| opts.only.is_empty() || opts.only.iter().any(|o| s.name.contains(o.as_str())))
        .cloned()
        .collect();
    if scenarios.is_empty() {
        die("no scenario matches the filter");
    }
    let logs = opts.top.join("out/logs");
    std::fs::create_dir_all(&logs).unwrap_or_else(|e| die(&format!("{logs:?}: {e}")));

    let mut columns = opts.kernels.clone();
    columns.extend(opts.baseline.iter().cloned());
    // Rows of the table: (base, scenario) for each scenario the base runs.
    let mut rows = Vec::new();
    for b in &opts.bases {
        let base = spec
            .bases
            .get(b)
            .unwrap_or_else(|| die(&format!("base {b:?} is not in [bases] of {file:?}")));
        for s in scenarios
            .iter()
            .filter(|s| base.runs(&s.name) && base.suite_of(s) == opts.suite)
        {
            // (The suite picks the initramfs: see run_one.)
            let mut s = s.clone();
            s.suite = opts.suite.clone();
            rows.push((b.clone(), s));
        }
    }
    if rows.is_empty() {
        die("no scenario runs on these bases");
    }
    let mut work = Vec::new();
    for (ri, (b, s)) in rows.iter().enumerate() {
        for (ki, k) in columns.iter().enumerate() {
            if (ki < opts.kernels.len() || s.baseline) && s.runs_on(k) {
                work.push((ri, ki, b.clone(), s.clone(), k.clone()));
            }
        }
    }
    work.reverse();
    let total = work.len();
    println!(
        "running {} scenario rows on {} x {} kernels ({total} runs, {} at a time); logs in {}",
        rows.len(),
        opts.bases.join(","),
        columns.len(),
        opts.jobs,
        logs.display()
    );
    let queue = Arc::new(Mutex::new(work));
    let results = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut threads = Vec::new();
    for _ in 0..opts.jobs {
        let queue = Arc::clone(&queue);
        let results = Arc::clone(&results);
        let cache = opts.cache.clone();
        let spec_defaults = (
            spec.defaults.mem.clone(),
            spec.defaults.smp,
            spec.defaults.timeout,
            spec.defaults.append.clone(),
        );
        let snippets = spec.snippets.clone();
        let logs = logs.clone();
        let top = opts.top.clone();
        threads.push(std::thread::spawn(move || loop {
            let Some((ri, ki, b, s, k)) = queue.lock().unwrap().pop() else {
                break;
            };
            let o = run_one(&s, &b, &k, &cache.join(&b), &spec_defaults, &snippets, &logs, &top);
            let tag = match o.verdict {
                Verdict::Pass => "PASS",
                Verdict::XFail => "XFAIL",
                Verdict::Fail => "FAIL",
                Verdict::XPass => "XPASS",
            };
            println!("  {tag:5} {:28} {:8} {:11} {:6.1}s {}", s.name, b, s.build_of(&k), o.secs, o.why);
            if matches!(o.verdict, Verdict::Fail | Verdict::XPass) {
                println!("        {}", s.doc);
                for l in &o.tail {
                    println!("        | {l}");
                }
                println!("        full log: {}", o.log.display());
            }
            results.lock().unwrap().push((ri, ki, o));
        }));
    }
    for t in threads {
        t.join().expect("worker thread panicked");
    }
    let results = results.lock().unwrap();
    print_table(&rows, &columns, &results, started.elapsed());
    for b in &opts.bases {
        println!("base {b}: {}", spec.bases[b].doc);
    }
    let failed = results
        .iter()
        .filter(|(_, _, o)| matches!(o.verdict, Verdict::Fail | Verdict::XPass))
        .count();
    println!("{} passed, {} failed", total - failed, failed);
    std::process::exit(if failed == 0 { 0 } else { 1 });
}

fn die(msg: &str) -> ! {
    eprintln!("rvk-harness: {msg}");
    std::process::exit(2)
}

fn parse_args() -> Result<Options, String> {
    let mut cache = None;
    let mut top = None;
    let mut kernels = vec!["rust".to_string(), "c".to_string()];
    let mut bases = vec!["mainline".to_string()];
    let mut baseline = None;
    let mut jobs = 2;
    let mut only = Vec::new();
    let mut suite = "main".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--cache" => cache = Some(PathBuf::from(val()?)),
            "--top" => top = Some(PathBuf::from(val()?)),
            "--kernels" => kernels = val()?.split(',').map(str::to_string).collect(),
            "--baseline" => baseline = Some(val()?),
            "--bases" => bases = val()?.split(',').map(str::to_string).collect(),
            "--jobs" => jobs = val()?.parse().map_err(|_| "bad --jobs")?,
            "--suite" => suite = val()?,
            f if f.starts_with("--") => return Err(format!("unknown option {f}")),
            f => only.push(f.to_string()),
        }
    }
    Ok(Options {
        cache: cache.ok_or("--cache is required")?,
        top: top.ok_or("--top is required")?,
        bases,
        kernels,
        baseline,
        only,
        suite,
        jobs: jobs.max(1),
    })
}

/// A marker unique to this run, so an old log or kernel A cannot fake it.
fn fresh_marker(scenario: &str, base: &str, kernel: &str) -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{scenario}.{base}.{kernel}.{:x}",
        (t ^ u128::from(std::process::id())) & 0xffff_ffff
    )
}

/// The patterns of `lines` with `@marker`, `@kernel`, `@other` and the
/// snippets filled in.
fn patterns(
    s: &Scenario,
    lines: &[String],
    kernel: &str,
    marker: &str,
    snippets: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, Pattern)> {
    lines
        .iter()
        .map(|e| {
            let other = if kernel == "rust" { "c" } else { "rust" };
            let mut t = e
                .replace("@marker", &marker)
                .replace("@kernel", kernel)
                .replace("@other", other);
            for (k, v) in snippets {
                t = t.replace(&format!("@{k}"), v);
            }
            let p = Pattern::parse(&t).unwrap_or_else(|err| die(&format!("{}: {err}", s.name)));
            (t, p)
        })
        .collect()
}

#[expect(clippy::too_many_arguments)]
fn run_one(
    s: &Scenario,
    base: &str,
    kernel: &str,
    cache: &Path,
    defaults: &(String, u32, u64, String),
    snippets: &std::collections::BTreeMap<String, String>,
    logs: &Path,
    top: &Path,
) -> Outcome {
    let marker = fresh_marker(&s.name, base, kernel);
    let log = logs.join(format!("{}.{base}.{kernel}.log", s.name));
    let expect = patterns(s, s.expect_for(kernel), kernel, &marker, snippets);
    let image = cache.join(format!("out/{}/arch/riscv/boot/Image", s.build_of(kernel)));
    // The extended suite's initramfs also carries the capture kernel with a
    // virtio disk driver (scripts/prepare.sh).
    let initrd = match (s.rootfs.as_deref(), s.suite.as_str()) {
        (Some(r), _) => cache.join(format!("out/rootfs-{r}.cpio")),
        (None, "main") => cache.join("out/rootfs.cpio"),
        (None, suite) => cache.join(format!("out/rootfs-{suite}.cpio")),
    };
    // RVK_APPEND: more of kernel A's command line (e.g. another rvk.seed=);
    // the guest's `arg` takes the last of a repeated option.
    let console = match s.console.as_deref() {
        None | Some("ttyS0") => "console=ttyS0".to_string(),
        Some(c) => format!("console={c} rvk.console={c}"),
    };
    let append = format!(
        "{console} earlycon {} rvk.scenario={} rvk.stage=1 rvk.marker={marker} rvk.column={kernel} {} {}",
        defaults.3,
        s.script.as_deref().unwrap_or(&s.name),
        s.append,
        std::env::var("RVK_APPEND").unwrap_or_default()
    );
    let qemu = match s.qemu_binary() {
        Ok(q) => q,
        Err(why) => return Outcome::failed(&log, why),
    };
    let mut cmd = Command::new(qemu);
    // With UEFI, OpenSBI jumps to EDK2 in pflash0, which loads -kernel and
    // -initrd from fw_cfg; acpi=off (unless the scenario asks for ACPI):
    // EDK2 then passes QEMU's device tree.
    let edk2 = cache.parent().unwrap_or(cache).join("tools/edk2");
    let vars = logs.join(format!("{}.{base}.{kernel}.vars.fd", s.name));
    // The run's copy of the variable store (32 MiB) goes when the run ends.
    let _vars_guard = RemoveOnDrop(s.firmware.is_some().then(|| vars.clone()));
    let machine = match s.qemu_machine() {
        Ok(m) => m,
        Err(why) => return Outcome::failed(&log, why),
    };
    cmd.args(["-machine", &machine, "-bios", "default", "-nographic", "-no-reboot"])
        .args(["-m", s.mem.as_deref().unwrap_or(&defaults.0)])
        .args(["-smp", &s.smp.unwrap_or(defaults.1).to_string()])
        .arg("-kernel")
        .arg(&image)
        .arg("-initrd")
        .arg(&initrd)
        .args(["-append", append.trim()]);
    if let Some(cpu) = &s.cpu {
        cmd.args(["-cpu", cpu]);
    }
    let disk = logs.join(format!("{}.{base}.{kernel}.disk", s.name));
    if let Some(size) = s.disk.as_ref().filter(|_| image.exists()) {
        // A fresh sparse file each run: nothing of an earlier run is read.
        let _ = std::fs::remove_file(&disk);
        let made = Command::new("truncate").arg("-s").arg(size).arg(&disk).status();
        if !made.is_ok_and(|st| st.success()) {
            return Outcome::failed(&log, format!("cannot make the {size} disk {}", disk.display()));
        }
        cmd.arg("-drive")
            .arg(format!("file={},format=raw,if=none,id=rvkdisk", disk.display()))
            .args(["-device", "virtio-blk-device,drive=rvkdisk"]);
    }
    // A monitor, for where the harts are if the guest goes silent: an
    // abstract socket (no file to leave behind, no path length or
    // character to worry about).
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let monitor = format!("rvk-harness-{}-{n}", std::process::id());
    cmd.arg("-monitor").arg(format!("unix:{monitor},abstract=on,server=on,wait=off"));
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut out = Outcome {
        verdict: Verdict::Fail,
        secs: 0.0,
        why: String::new(),
        reports: Vec::new(),
        tail: Vec::new(),
        log: log.clone(),
    };
    if !image.exists() {
        out.why = format!("kernel A is not built: {} (make kernels)", image.display());
        return out;
    }
    if s.firmware.is_some() {
        let code = edk2.join("RISCV_VIRT_CODE.fd");
        if !code.exists() {
            return Outcome::failed(&log, format!("no EDK2 firmware {} (make setup)", code.display()));
        }
        // Each run writes its own copy of the variable store.
        if let Err(e) = std::fs::copy(edk2.join("RISCV_VIRT_VARS.fd"), &vars) {
            let why = format!("no EDK2 variable store in {} (make setup): {e}", edk2.display());
            return Outcome::failed(&log, why);
        }
        cmd.arg("-drive")
            .arg(format!("if=pflash,format=raw,unit=0,readonly=on,file={}", code.display()))
            .arg("-drive")
            .arg(format!("if=pflash,format=raw,unit=1,file={}", vars.display()));
    }
    // The fill pattern, written for the run and removed after it (QEMU's
    // generic loader copies it into guest RAM at reset).
    let fill = logs.join(format!("{}.{base}.{kernel}.fill", s.name));
    let _fill_guard = RemoveOnDrop(s.fill.is_some().then(|| fill.clone()));
    match s.fill_spec() {
        Ok(None) => {}
        Ok(Some((addr, size, word))) => {
            if let Err(e) = write_fill(&fill, size, word) {
                return Outcome::failed(&log, format!("cannot write {}: {e}", fill.display()));
            }
            cmd.arg("-device")
                .arg(format!("loader,file={},addr={addr:#x},force-raw=on", fill.display()));
        }
        Err(why) => return Outcome::failed(&log, why),
    }
    let mut logf = std::fs::File::create(&log).ok();
    if let Some(f) = logf.as_mut() {
        let _ = writeln!(f, "# {cmd:?}");
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            out.why = format!("cannot start {qemu}: {e}");
            return out;
        }
    };
    let (tx, rx) = mpsc::channel::<String>();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stream);
            let mut buf = Vec::new();
            while r.read_until(b'\n', &mut buf).map(|n| n > 0).unwrap_or(false) {
                let line = String::from_utf8_lossy(&buf).trim_end().replace('\r', "");
                if tx.send(line).is_err() {
                    break;
                }
                buf.clear();
            }
        });
    }
    drop(tx);
    let timeout = Duration::from_secs(s.timeout.unwrap_or(defaults.2));
    // RVK_TIMESTAMPS=1: prefix each log line with milliseconds since QEMU
    // started (for the downtime benchmark).
    let stamps = std::env::var_os("RVK_TIMESTAMPS").is_some();
    let mut next = 0;
    let mut panicked = false;
    let mut tail: Vec<String> = Vec::new();
    let why = loop {
        let left = timeout.saturating_sub(started.elapsed());
        let line = match rx.recv_timeout(left) {
            Ok(l) => l,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Not where the timeout is the expected failure.
                if s.xfail_reason(base, kernel).is_none() {
                    let map = cache.join(format!("out/{}/System.map", s.build_of(kernel)));
                    let stall = stall_report(&monitor, &map);
                    // What the guest printed meanwhile goes to the log first.
                    let late: Vec<String> = rx.try_iter().collect();
                    if let Some(f) = logf.as_mut() {
                        for l in late.iter().chain(&stall) {
                            let _ = writeln!(f, "{l}");
                        }
                    }
                    tail.extend(late);
                    tail.extend(stall);
                }
                break format!("timeout after {}s waiting for {:?}", timeout.as_secs(), expect[next].0);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                break format!("guest stopped before {:?}", expect[next].0);
            }
        };
        if let Some(f) = logf.as_mut() {
            if stamps {
                let _ = writeln!(f, "{:>9} {line}", started.elapsed().as_millis());
            } else {
                let _ = writeln!(f, "{line}");
            }
        }
        tail.push(line.clone());
        if tail.len() > 25 {
            tail.remove(0);
        }
        if s.report.iter().any(|r| line.contains(r.as_str())) {
            let at = s.report.iter().filter_map(|r| line.find(r.as_str())).min().unwrap_or(0);
            out.reports.push(line[at..].to_string());
        }
        if let Some(rest) = line.find("RVK-FAIL").map(|i| &line[i..]) {
            break rest.to_string();
        }
        if line.contains("Attempted to kill init") {
            break "init died".to_string();
        }
        if let Some(f) = s.fatal.iter().find(|f| line.contains(f.as_str())) {
            break format!("console shows {f:?}");
        }
        if !s.allow_panic {
            if let Some(f) = FATAL.iter().find(|f| line.contains(*f)) {
                break format!("console shows {f:?}");
            }
        }
        // The crash is triggered through sysrq; from then until the next
        // kernel's banner the panic's backtrace is expected.
        panicked |= s.allow_panic && line.contains("sysrq: Trigger a crash");
        panicked &= !line.contains("Linux version");
        if let Some(f) = SPLATS.iter().find(|f| {
            line.contains(**f)
                && !s.allow_splats.iter().any(|a| a == **f)
                && !(panicked && **f == "Call Trace:")
        }) {
            // The report's next lines (what and where) go to the log too.
            let until = Instant::now() + Duration::from_secs(3);
            for _ in 0..60 {
                let Ok(l) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) else {
                    break;
                };
                if let Some(f) = logf.as_mut() {
                    let _ = writeln!(f, "{l}");
                }
                tail.push(l);
            }
            break format!("console shows a splat: {f:?}");
        }
        if expect[next].1.matches(&line) {
            next += 1;
            if next == expect.len() {
                break String::new();
            }
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let why = match &s.post {
        Some(post) if why.is_empty() => {
            let vmlinux = cache.join(format!("out/{}/vmlinux", s.build_of(kernel)));
            let expect = patterns(s, &s.post_expect, kernel, &marker, snippets);
            run_post(top, post, &disk, &vmlinux, &marker, &expect, s, &mut out, logf.as_mut())
        }
        _ => why,
    };
    // The dump is hundreds of MiB: kept only when asked for.
    if s.disk.is_some() && std::env::var_os("RVK_KEEP_DISK").is_none() {
        let _ = std::fs::remove_file(&disk);
    }
    out.secs = started.elapsed().as_secs_f64();
    let passed = why.is_empty();
    let xfail = s.xfail_reason(base, kernel);
    out.verdict = match (passed, xfail) {
        (true, None) => Verdict::Pass,
        (false, None) => Verdict::Fail,
        (false, Some(_)) => Verdict::XFail,
        (true, Some(_)) => Verdict::XPass,
    };
    out.why = match (passed, xfail) {
        (true, None) => out.reports.join("; "),
        (false, None) => why,
        (false, Some(r)) => format!("expected: {r} ({why})"),
        (true, Some(r)) => format!("passed, but expected to fail: {r}"),
    };
    tail.append(&mut out.tail);
    out.tail = tail.split_off(tail.len().saturating_sub(30));
    out
}

/// Runs the host script `tests/host/<post>.sh` on what the guest left on
/// its disk; returns why the run failed (empty: passed).
#[expect(clippy::too_many_arguments)]
fn run_post(
    top: &Path,
    post: &str,
    disk: &Path,
    vmlinux: &Path,
    marker: &str,
    expect: &[(String, Pattern)],
    s: &Scenario,
    out: &mut Outcome,
    mut logf: Option<&mut std::fs::File>,
) -> String {
    let script = top.join(format!("tests/host/{post}.sh"));
    // A hung host script must not hold a worker: 15 minutes at most.
    let res = Command::new("timeout")
        .args(["-k", "10", "900", "bash"])
        .arg(&script)
        .env("RVK_DISK", disk)
        .env("RVK_VMLINUX", vmlinux)
        .env("RVK_MARKER", marker)
        .stdin(Stdio::null())
        .output();
    let res = match res {
        Ok(r) => r,
        Err(e) => return format!("cannot run {}: {e}", script.display()),
    };
    let text = String::from_utf8_lossy(&res.stdout).to_string() + &String::from_utf8_lossy(&res.stderr);
    let mut next = 0;
    let mut failed = None;
    for line in text.lines() {
        if let Some(f) = logf.as_mut() {
            let _ = writeln!(f, "[host {post}] {line}");
        }
        out.tail.push(format!("[host] {line}"));
        if s.report.iter().any(|r| line.contains(r.as_str())) {
            let at = s.report.iter().filter_map(|r| line.find(r.as_str())).min().unwrap_or(0);
            out.reports.push(line[at..].to_string());
        }
        if let Some(rest) = line.find("RVK-FAIL").map(|i| &line[i..]) {
            failed.get_or_insert_with(|| format!("{post}: {rest}"));
        }
        if next < expect.len() && expect[next].1.matches(line) {
            next += 1;
        }
    }
    if let Some(why) = failed {
        return why;
    }
    if !res.status.success() {
        return format!("{post} exited with {}", res.status);
    }
    match expect.get(next) {
        Some((t, _)) => format!("{post} did not show {t:?}"),
        None => String::new(),
    }
}

fn print_table(
    rows: &[(String, Scenario)],
    kernels: &[String],
    results: &[(usize, usize, Outcome)],
    wall: Duration,
) {
    println!();
    print!("{:28} | {:8}", "scenario", "base");
    for k in kernels {
        print!(" | {:14}", format!("{k} kernel"));
    }
    println!(" | figures");
    println!("{}", "-".repeat(39 + kernels.len() * 17 + 10));
    for (si, (b, s)) in rows.iter().enumerate() {
        print!("{:28} | {:8}", s.name, b);
        let mut figures = Vec::new();
        for (ki, k) in kernels.iter().enumerate() {
            let Some((_, _, o)) = results.iter().find(|(a, b, _)| *a == si && *b == ki) else {
                print!(" | {:14}", "-");
                continue;
            };
            let tag = match o.verdict {
                Verdict::Pass => "PASS",
                Verdict::XFail => "XFAIL",
                Verdict::Fail => "FAIL",
                Verdict::XPass => "XPASS",
            };
            print!(" | {:14}", format!("{tag} {:.0}s", o.secs));
            if !o.reports.is_empty() {
                figures.push(format!("{k}: {}", o.reports.join(", ")));
            }
        }
        println!(" | {}", figures.join("; "));
    }
    println!("(wall time {:.0}s)", wall.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::{hart_pcs, symbolize, Path};

    #[test]
    fn reads_each_harts_pc_and_ra() {
        let text = "QEMU 10.0.2 monitor - type 'help' for more information\n\
            (qemu) info registers -a\n\nCPU#0\n V      =   0\n pc       ffffffff8007565c\n\
             mhartid  0000000000000000\n \
            x0/zero  0000000000000000 x1/ra    ffffffff80075600 x2/sp    ff60000001083aa0\n\
            \nCPU#1\n pc       0000000080000000\n \
            x0/zero  0000000000000000 x1/ra    0000000000000000 x2/sp    0000000000000000\n";
        assert_eq!(
            hart_pcs(text),
            vec![(0, 0xffff_ffff_8007_565c, 0xffff_ffff_8007_5600), (1, 0x8000_0000, 0)]
        );
        assert!(hart_pcs("(qemu) unknown command").is_empty());
    }

    #[test]
    fn names_text_and_init_text_only() {
        let map = std::env::temp_dir().join(format!("rvk-harness-test-{}.map", std::process::id()));
        // Out of order on purpose, with a data symbol between two functions.
        std::fs::write(
            &map,
            "ffffffff80000000 T _start\nffffffff80001000 T memset\n\
             ffffffff80000040 t _start_kernel\nffffffff80001800 D some_data\n\
             ffffffff80002000 T _etext\nffffffff80200000 T _sinittext\n\
             ffffffff80200100 T start_kernel\nffffffff80201000 T _einittext\n",
        )
        .unwrap();
        let got = symbolize(
            &map,
            &[0xffff_ffff_8000_0044, 0xffff_ffff_8000_1900, 0xffff_ffff_8020_0104, 0xffff_ffff_8020_1000, 0x8000_0000],
        );
        let _ = std::fs::remove_file(&map);
        let got: Vec<(u64, String)> = got.unwrap().into_iter().collect();
        assert_eq!(
            got,
            vec![
                (0xffff_ffff_8000_0044, "_start_kernel+0x4".to_string()),
                (0xffff_ffff_8000_1900, "memset+0x900".to_string()),
                (0xffff_ffff_8020_0104, "start_kernel+0x4".to_string()),
            ]
        );
        assert!(symbolize(Path::new("/nonexistent/System.map"), &[0]).is_err());
    }
}
