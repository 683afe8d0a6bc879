#!/usr/bin/env bash
# Turn the project's files and hunks into the $BASE patch series described
# by series/NNNN.msg (message, a "---rfc---" line for an RFC patch, then
# "---files---" and the repo paths the
# patch carries; series/$BASE/NNNN.msg replaces it on $BASE), as commits on
# top of the pristine tree of $BASE. A hunk
# entry hunks/NAME takes hunks/$BASE/NAME where that exists (the 6.12
# backport's versions); an entry written ?hunks/NAME is only carried on the
# bases that have it. Then:
#   format-patch --cover-letter  -> out/patches/
#   checkpatch.pl --strict        per patch (must be 0 errors, 0 warnings)
#   git am on a fresh pristine checkout
#   with --bisect: build every prefix with the Rust switch on and off.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

T=$KTREE
OUT=$TOP/out/patches/$BASE
AM=$BCACHE/am-check
BISECT=0
[ "${1:-}" = --bisect ] && BISECT=1
# The author and Signed-off-by come from git config (user.name, user.email);
# without them a marked placeholder stands in and the series cannot be sent.
SENDER_NAME=$(git -C "$TOP" config user.name || true)
SENDER_EMAIL=$(git -C "$TOP" config user.email || true)
PLACEHOLDER=0
if [ -z "$SENDER_NAME" ] || [ -z "$SENDER_EMAIL" ]; then
	SENDER_NAME="PLACEHOLDER (set git config user.name)"
	SENDER_EMAIL="placeholder@invalid"
	PLACEHOLDER=1
fi
export GIT_AUTHOR_NAME=$SENDER_NAME GIT_AUTHOR_EMAIL=$SENDER_EMAIL
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
# Fixed dates: the same sources give the same series, byte for byte.
export GIT_AUTHOR_DATE="2026-11-25T00:00:00Z" GIT_COMMITTER_DATE="2026-11-25T00:00:00Z"

commits() {
	local idx=$T/.git/rvk-series-index parent msg f mode tree
	rm -f "$idx"
	export GIT_INDEX_FILE=$idx
	git -C "$T" read-tree pristine
	parent=$(git -C "$T" rev-parse pristine)
	for msg in "$TOP"/series/[0-9]*.msg; do
		# series/$BASE/NNNN.msg: the message of that base's version.
		[ -e "$TOP/series/$BASE/${msg##*/}" ] && msg=$TOP/series/$BASE/${msg##*/}
		for f in $(sed -n '/^---files---$/,$p' "$msg" | tail -n +2); do
			case $f in
			\?hunks/*)
				f=${f#\?}
				[ -e "$TOP/hunks/$BASE/${f#hunks/}" ] || [ -e "$TOP/$f" ] || continue
				;;
			esac
			[ -e "$TOP/hunks/$BASE/${f#hunks/}" ] && f=hunks/$BASE/${f#hunks/}
			[ -e "$TOP/$f" ] || die "$(basename "$msg"): no such file $f"
			case $f in
			hunks/*) git -C "$T" apply --cached "$TOP/$f" || die "$f does not apply in $(basename "$msg")" ;;
			*)
				mode=100644
				[ -x "$TOP/$f" ] && mode=100755
				git -C "$T" update-index --add --cacheinfo \
					"$mode,$(git -C "$T" hash-object -w "$TOP/$f"),$f"
				;;
			esac
		done
		tree=$(git -C "$T" write-tree)
		parent=$(sed -e '/^---files---$/,$d' -e '/^---rfc---$/d' -e "s|@SOB@|$SENDER_NAME <$SENDER_EMAIL>|g" \
			-e "s|@BASE@|$(git -C "$T" log -1 --format=%s pristine | sed 's/ (.*//')|g" "$msg" |
			git -C "$T" commit-tree "$tree" -p "$parent")
	done
	unset GIT_INDEX_FILE
	git -C "$T" update-ref refs/heads/series "$parent"
	git -C "$T" log --oneline pristine..series
}

format() {
	rm -rf "$OUT" && mkdir -p "$OUT"
	# A stable backport names its tree in the prefix: [PATCH 6.12 n/m].
	local prefix=PATCH
	[ "$BASE" = mainline ] || prefix="PATCH $KSERIES"
	# No --base: pristine is Debian's source package imported, a commit no
	# upstream tree has (a robot would fail to find it); the cover letter
	# names the release instead.
	git -C "$T" format-patch -q --cover-letter --thread=shallow \
		--subject-prefix="$prefix" -o "$OUT" pristine..series
	# The Rust patches are an RFC (series/cover-letter.txt says why): their
	# messages carry a ---rfc--- line.
	local p msg
	for msg in "$TOP"/series/[0-9]*.msg; do
		grep -qx -- '---rfc---' "$msg" || continue
		for p in "$OUT/$(basename "$msg" .msg)"-*.patch; do
			sed -i '0,/^Subject: \[PATCH /s//Subject: [RFC PATCH /' "$p"
		done
	done
	local cover=$OUT/0000-cover-letter.patch
	python3 - "$cover" "$TOP/series/cover-letter.txt" "$(git -C "$T" log -1 --format=%s pristine)" "$BASE" <<'PY'
import sys
cover, text, base, name = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
text = text.replace("@BASE@", base.split(" (")[0]).replace("@BASENAME@", name)
subject, _, blurb = text.partition("\n\n")
s = open(cover).read()
s = s.replace("*** SUBJECT HERE ***", subject.strip()).replace("*** BLURB HERE ***", blurb.strip())
open(cover, "w").write(s)
PY
	ls "$OUT"
}

checkpatch() {
	local p num out line type bad=0 kept
	for p in "$OUT"/0*.patch; do
		[ "$(basename "$p")" = 0000-cover-letter.patch ] && continue
		num=$(basename "$p" | cut -c1-4)
		out=$(cd "$T" && perl scripts/checkpatch.pl --strict --show-types -q "$p" 2>&1 || true)
		kept=0
		while read -r line; do
			type=$(echo "$line" | cut -d: -f2)
			if grep -qE "^$num $type " "$TOP/series/checkpatch-allow.txt"; then
				kept=$((kept + 1))
			else
				echo "    $line"
				bad=1
			fi
		done < <(echo "$out" | grep -E '^(ERROR|WARNING|CHECK):' || true)
		printf '  %-66s %s%s\n' "$(basename "$p")" \
			"$(echo "$out" | grep -E '^total:' | cut -d, -f1-3 || echo 'total: 0 errors, 0 warnings, 0 checks')" \
			"$([ "$kept" -eq 0 ] || echo " ($kept kept on purpose, series/checkpatch-allow.txt)")"
	done
	[ "$bad" -eq 0 ] || die "checkpatch --strict found new problems (above)"
}

am_check() {
	if [ ! -e "$AM/.git" ]; then
		git -C "$T" worktree prune
		git -C "$T" worktree add -q --detach "$AM" pristine
	fi
	cd "$AM"
	git am --abort >/dev/null 2>&1 || true
	git checkout -q -f --detach pristine
	git clean -q -fd
	# Ignored files survive git clean -fd; none may shadow a file the series adds.
	awk '/^diff --git / { f = $4; sub("^b/", "", f) } /^new file mode/ { print f }' \
		$(ls "$OUT"/0*.patch | grep -v cover-letter) | xargs -r rm -f
	# The mbox as the list would carry it, split as git am splits it; the
	# cover letter (the first mail, no diff) is left out, as b4 am does.
	local mails=$BCACHE/am-mails
	rm -rf "$mails" && mkdir -p "$mails"
	git mailsplit -o"$mails" "$OUT/series.mbox" >/dev/null
	! grep -q '^diff --git' "$mails/0001" || die "series.mbox does not start with the cover letter"
	# shellcheck disable=SC2046
	git am -q $(ls "$mails"/* | tail -n +2) ||
		die "the series does not apply with git am on a fresh pristine tree"
	echo "git am: $(git rev-list --count pristine..HEAD) patches applied on $(git log -1 --format=%s pristine)"
}

# The documentation of the series, built by Sphinx from the git am result:
# any warning that names one of our pages fails (the rest of the tree's
# warnings are not ours to fix).
docs() {
	local o=$BCACHE/out/docs log
	mkdir -p "$o"
	log=$o/htmldocs.log
	make -s -C "$AM" O="$o" SPHINXDIRS=arch/riscv htmldocs >"$log" 2>&1 ||
		{ tail -20 "$log"; die "make htmldocs (SPHINXDIRS=arch/riscv) failed; see $log"; }
	if grep -E 'arch/riscv/(kexec|index)\.rst' "$log" | grep -iE 'warning|error'; then
		die "Sphinx warns about our documentation (above; full log $log)"
	fi
	[ -f "$o/Documentation/output/arch/riscv/kexec.html" ] || die "Sphinx did not build arch/riscv/kexec.html"
	echo "Sphinx: arch/riscv built, kexec.html without warnings ($(grep -ciE 'warning' "$log") warnings elsewhere in the tree)"
}

cover() {
	local c=$OUT/0000-cover-letter.patch tmp
	tmp=$(mktemp)
	{
		echo
		echo "Checkpatch (--strict): 0 errors; warnings kept on purpose:"
		grep -v '^#' "$TOP/series/checkpatch-allow.txt" | sed 's/^/  patch /'
		echo
		echo "scripts/get_maintainer.pl on the series:"
		# shellcheck disable=SC2046
		(cd "$T" && perl scripts/get_maintainer.pl --no-git --no-git-fallback 2>/dev/null \
			$(ls "$OUT"/0*.patch | grep -v cover-letter)) | sed 's/^/  /'
		# Only a whole run's table (both bases), not one of a few rows.
		if grep -qE '^running [0-9]+ scenario rows on mainline,lts ' "$TOP/out/check.txt" 2>/dev/null; then
			echo
			echo "Test table (make check, scenario x kernel):"
			sed -n "/^scenario /,/ passed, /p" "$TOP/out/check.txt" | cut -c1-90 | sed 's/^/  /'
		fi
	} >"$tmp"
	# Insert before the shortlog/diffstat that format-patch wrote.
	python3 - "$c" "$tmp" "$SENDER_NAME" <<'PY'
import sys
c, extra = sys.argv[1], open(sys.argv[2]).read()
s = open(c).read()
head, sep, tail = s.partition("\n" + sys.argv[3] + " (")
open(c, "w").write(head + "\n" + extra + sep + tail)
PY
	rm -f "$tmp"
	grep -c . "$c" | sed 's/^/cover letter lines: /'
}

# The mails as they would go out: per-patch To: (maintainers) and Cc:
# (lists, reviewers, the message's own Cc: trailers) from
# scripts/get_maintainer.pl, the cover letter to all of them, every patch
# a reply to the cover letter (format-patch --thread=shallow) with
# Message-Ids made from the series commit (the same sources give the same
# mails); then one mbox, out/patches/$BASE/series.mbox, which am_check
# applies as a maintainer would.
mail() {
	local p to cc d
	# get_maintainer.pl reads the diff only: its keyword (K:) entries then
	# match the code, not words of the message ("clang", "Rust"); the
	# message's own Cc: trailers are added below.
	d=$(mktemp)
	for p in "$OUT"/0*.patch; do
		[ "$(basename "$p")" = 0000-cover-letter.patch ] && continue
		sed -n '/^diff --git /,$p' "$p" >"$d"
		to=$(cd "$T" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
			--no-l --no-r "$d" 2>/dev/null | paste -sd'|')
		cc=$(cd "$T" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
			--no-m "$d" 2>/dev/null | paste -sd'|')
		printf '%s\t%s\t%s\n' "$(basename "$p")" "$to" "$cc"
	done >"$OUT/.recipients"
	rm -f "$d"
	python3 - "$OUT" "$(git -C "$T" rev-parse --short=12 series)" "$BASE" <<'PY'
import email, email.utils, os, re, sys
out, tag, base = sys.argv[1], sys.argv[2], sys.argv[3]
rcpt = {}
for line in open(os.path.join(out, ".recipients")):
    name, to, cc = line.rstrip("\n").split("\t")
    rcpt[name] = (to.replace("|", ", "), cc.replace("|", ", "))
os.remove(os.path.join(out, ".recipients"))
files = sorted(f for f in os.listdir(out) if re.match(r"\d{4}-.*\.patch$", f))
ids = {}
def fold(name, addrs):
    # One address per line after the first: header lines stay short.
    return f"{name}: " + ",\n ".join(addrs)
def split(s):
    return [a for _, a in email.utils.getaddresses([s]) if a]
def names(s):
    # A trailer's "# ..." comment (Cc: stable@vger.kernel.org # needs ...)
    # is not an address; each address once, whatever name comes with it.
    s = ", ".join(p.split("#")[0] for p in s.split(","))
    seen, res = set(), []
    for n, a in email.utils.getaddresses([s]):
        if not a:
            continue
        if not re.fullmatch(r"[^@\s#<>\"]+@[^@\s#<>\"]+\.[a-z]+", a, re.I):
            sys.exit(f"not a mail address: {a!r}")
        if a.lower() not in seen:
            seen.add(a.lower())
            res.append(email.utils.formataddr((n, a)))
    return res
def merge(into, more):
    have = {email.utils.parseaddr(x)[1].lower() for x in into}
    into += [x for x in more if email.utils.parseaddr(x)[1].lower() not in have]
every_to, every_cc = [], []
texts = {}
for i, f in enumerate(files):
    t = open(os.path.join(out, f)).read()
    head, _, body = t.partition("\n\n")
    old = re.search(r"^Message-ID: <([^>]*)>", head, re.M | re.I).group(1)
    ids[old] = f"{tag}.{i}.rvkexec@invalid"
    texts[f] = (head, body)
mbox = []
for f in files:
    head, body = texts[f]
    for old, new in ids.items():
        head = head.replace(f"<{old}>", f"<{new}>")
    if f.startswith("0000-"):
        to = cc = None
    elif base == "lts":
        # Not a series to send: the stable backports go to stable once
        # their upstream commits exist, each naming its commit first.
        if re.search(r"^Cc: stable@", body, re.M):
            body = "commit @UPSTREAM@ upstream.\n\n" + body
    else:
        to, cc = rcpt[f]
        trailers = re.findall(r"^Cc: (.*)$", body, re.M)
        cc = ", ".join(names(", ".join([cc] + trailers)))
        if not to:
            sys.exit(f"{f}: get_maintainer.pl names no maintainer")
        to_l = names(to)
        cc_l = [a for a in names(cc) if a not in to_l]
        merge(every_to, to_l)
        merge(every_cc, cc_l)
        head += "\n" + fold("To", to_l) + "\n" + fold("Cc", cc_l)
    texts[f] = (head, body)
cover = files[0]
head, body = texts[cover]
cc = []
merge(cc, every_to)
merge(cc, every_cc)
cc = cc[len(every_to):]
if base != "lts":
    head += "\n" + fold("To", every_to) + "\n" + fold("Cc", cc)
texts[cover] = (head, body)
cover_id = re.search(r"^Message-ID: (<[^>]*>)", head, re.M | re.I).group(1)
for f in files:
    head, body = texts[f]
    if f != cover:
        irt = re.search(r"^In-Reply-To: (<[^>]*>)", head, re.M | re.I)
        if not irt or irt.group(1) != cover_id:
            sys.exit(f"{f}: not a reply to the cover letter {cover_id}")
    text = head + "\n\n" + body
    open(os.path.join(out, f), "w").write(text)
    mbox.append(text)
open(os.path.join(out, "series.mbox"), "w").write("".join(mbox))
print(f"series.mbox: {len(files)} mails, {len(files) - 1} replies to the cover letter {cover_id}")
print(f"cover letter: To {len(every_to)}, Cc {len(cc)}")
for f in files[1:]:
    h = texts[f][0]
    msg = email.message_from_string(h + "\n\n")
    to, cc = split(msg["To"] or ""), split(msg["Cc"] or "")
    if base == "lts":
        up = "commit @UPSTREAM@ upstream." in texts[f][1]
        print(f"  {f[:4]} not addressed (6.12 backport){', commit <id> upstream to fill in' if up else ''}")
    else:
        print(f"  {f[:4]} To: {', '.join(to)[:60]} (+{len(cc)} Cc)")
PY
}

bisect() {
	local n i c v commits
	commits=$(git -C "$AM" rev-list --reverse pristine..HEAD)
	n=$(echo "$commits" | wc -l)
	for i in $(seq 1 "$n"); do
		c=$(echo "$commits" | sed -n "${i}p")
		git -C "$AM" checkout -q -f --detach "$c"
		for v in rust c; do
			mkdir -p "$BCACHE/bisect-$v"
			cp "$KOUT/$v/.config" "$BCACHE/bisect-$v/.config"
			# shellcheck disable=SC2046
			if make -s -C "$AM" $(kmake_vars) O="$BCACHE/bisect-$v" olddefconfig >/dev/null &&
				make -s -C "$AM" $(kmake_vars) O="$BCACHE/bisect-$v" -j3 vmlinux >"$BCACHE/bisect-$v.log" 2>&1; then
				printf '  prefix %d/%d %-60s %-4s builds (RISCV_KEXEC_RUST=%s)\n' "$i" "$n" \
					"$(git -C "$AM" log -1 --format=%s "$c" | cut -c1-60)" "$v" \
					"$(grep -q '^CONFIG_RISCV_KEXEC_RUST=y' "$BCACHE/bisect-$v/.config" && echo y || echo n)"
			else
				tail -20 "$BCACHE/bisect-$v.log"
				die "prefix $i ($c) does not build with the $v config"
			fi
		done
	done
	git -C "$AM" checkout -q -f --detach "$(echo "$commits" | tail -1)"
}

step "series commits on the pristine tree" commits
step "format-patch --cover-letter --thread" format
step "cover letter: maintainers, kept warnings, test table" cover
step "recipients (get_maintainer.pl), one thread, series.mbox" mail
step "git am of series.mbox on a fresh pristine checkout" am_check
step "checkpatch.pl --strict" checkpatch
step "Sphinx: Documentation/arch/riscv" docs
if [ "$PLACEHOLDER" -eq 1 ]; then
	log "NOTE: no git config user.name/user.email: the series is signed off by a placeholder and cannot be sent"
fi
[ "$BISECT" -eq 0 ] || step "build every prefix, Rust switch on and off" bisect
log "series in $OUT"
