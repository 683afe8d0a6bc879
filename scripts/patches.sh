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
	git -C "$T" format-patch -q --cover-letter --base=pristine --subject-prefix="$prefix" \
		-o "$OUT" pristine..series
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
	# shellcheck disable=SC2046
	git am -q $(ls "$OUT"/0*.patch | grep -v cover-letter) ||
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
		(cd "$AM" && perl scripts/get_maintainer.pl --no-git --no-git-fallback 2>/dev/null \
			$(ls "$OUT"/0*.patch | grep -v cover-letter)) | sed 's/^/  /'
		if [ -f "$TOP/out/check.txt" ]; then
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
step "format-patch --cover-letter" format
step "git am on a fresh pristine checkout" am_check
step "checkpatch.pl --strict" checkpatch
step "Sphinx: Documentation/arch/riscv" docs
step "cover letter: maintainers, kept warnings, test table" cover
if [ "$PLACEHOLDER" -eq 1 ]; then
	log "NOTE: no git config user.name/user.email: the series is signed off by a placeholder and cannot be sent"
fi
[ "$BISECT" -eq 0 ] || step "build every prefix, Rust switch on and off" bisect
log "series in $OUT"
