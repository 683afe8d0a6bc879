#!/usr/bin/env bash
# The kexec-tools series (kexec-tools/NNNN-*.diff and .msg, the cover letter
# kexec-tools/cover-letter.txt) as mails against the kexec-tools release
# the guest is built from (Debian sid's orig tarball, make setup):
#   commits on the pristine release, format-patch --cover-letter
#                                  -> out/patches/kexec-tools/
#   checkpatch.pl --strict --no-tree (the kernel's; kexec-tools follows
#                                     its style; IGNORE below) on each patch
#   git am of the mails on a fresh pristine tree, then a riscv64 build of
#   it: no compiler warning in a file the series touches.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=$TOP/out/patches/kexec-tools
W=$CACHE/kexec-tools-series
SENDER_NAME=$(git -C "$TOP" config user.name || true)
SENDER_EMAIL=$(git -C "$TOP" config user.email || true)
if [ -z "$SENDER_NAME" ] || [ -z "$SENDER_EMAIL" ]; then
	SENDER_NAME="PLACEHOLDER (set git config user.name)"
	SENDER_EMAIL="placeholder@invalid"
fi
export GIT_AUTHOR_NAME=$SENDER_NAME GIT_AUTHOR_EMAIL=$SENDER_EMAIL
export GIT_COMMITTER_NAME=$SENDER_NAME GIT_COMMITTER_EMAIL=$SENDER_EMAIL
export GIT_AUTHOR_DATE="2026-11-25T00:00:00Z" GIT_COMMITTER_DATE="2026-11-25T00:00:00Z"

pristine() { # DIR: the release unpacked as a git tree, tagged pristine
	local tarball
	tarball=$(ls "$CACHE"/dl/kexec-tools_*.orig.tar.* 2>/dev/null | head -1)
	[ -n "$tarball" ] || die "no kexec-tools tarball in $CACHE/dl (make setup)"
	rm -rf "$1" && mkdir -p "$1"
	tar -xf "$tarball" -C "$1" --strip-components=1
	git -C "$1" init -q
	git -C "$1" add -A
	git -C "$1" commit -q -m "kexec-tools $(sed -n 's/^PACKAGE_VERSION=.\([0-9.]*\).*/\1/p' "$1/configure")"
	git -C "$1" tag pristine
}

commits() {
	local d msg
	pristine "$W/tree"
	for d in "$TOP"/kexec-tools/[0-9]*.diff; do
		msg=${d%.diff}.msg
		[ -e "$msg" ] || die "no message $(basename "$msg") for $(basename "$d")"
		git -C "$W/tree" apply --index "$d" || die "$(basename "$d") does not apply"
		sed "s|@SOB@|$SENDER_NAME <$SENDER_EMAIL>|g" "$msg" | git -C "$W/tree" commit -q -F -
	done
	git -C "$W/tree" log --oneline pristine..HEAD
}

format() {
	local results
	rm -rf "$OUT" && mkdir -p "$OUT"
	# No --base: pristine is the release tarball imported, a commit the
	# kexec-tools tree does not have; the cover letter names the release.
	git -C "$W/tree" format-patch -q --cover-letter --thread=shallow \
		--subject-prefix="PATCH kexec-tools" \
		--to=kexec@lists.infradead.org --to="Simon Horman <horms@kernel.org>" \
		--cc=linux-riscv@lists.infradead.org -o "$OUT" pristine..HEAD
	# The figures of the cover letter are README's (the kdump rows).
	results=$(sed -n '/^<!-- kexec-tools results -->$/,/^<!-- end -->$/p' "$TOP/README.md" | sed '1d;$d')
	[ -n "$results" ] || die "README.md has no kexec-tools results block"
	python3 - "$OUT/0000-cover-letter.patch" "$TOP/kexec-tools/cover-letter.txt" "$results" <<'PY'
import sys
cover, text, results = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
subject, _, blurb = text.replace("@RESULTS@", "\n\n" + results.strip()).partition("\n\n")
s = open(cover).read()
s = s.replace("*** SUBJECT HERE ***", subject.strip()).replace("*** BLURB HERE ***", blurb.strip())
open(cover, "w").write(s)
PY
	ls "$OUT"
}

# Kernel rules that do not hold in kexec-tools: it is userspace (uint64_t,
# <elf.h>'s Elf64_Ehdr), and its commit ids are not the kernel's.
IGNORE=PREFER_KERNEL_TYPES,CAMELCASE,UNKNOWN_COMMIT_ID

checkpatch() {
	local p out bad=0
	[ -x "$KTREE/scripts/checkpatch.pl" ] || die "no staged kernel tree for checkpatch.pl (make stage)"
	for p in "$OUT"/0*.patch; do
		[ "$(basename "$p")" = 0000-cover-letter.patch ] && continue
		# (From $W: checkpatch leaves a .checkpatch-camelcase file in its cwd.)
		out=$(cd "$W" && perl "$KTREE/scripts/checkpatch.pl" --no-tree --strict -q --ignore "$IGNORE" "$p" 2>&1 || true)
		printf '  %-66s %s\n' "$(basename "$p")" \
			"$(echo "$out" | grep -E '^total:' | cut -d, -f1-3 || echo 'total: 0 errors, 0 warnings, 0 checks')"
		if echo "$out" | grep -qE '^(ERROR|WARNING|CHECK):'; then
			echo "$out" | sed 's/^/    /'
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] || die "checkpatch --strict found problems (above)"
}

am_build() {
	local files
	pristine "$W/am"
	cd "$W/am"
	# The mails as the list carries them; the cover letter has no diff.
	git am -q $(ls "$OUT"/0*.patch | grep -v cover-letter) || die "git am of $OUT failed"
	git log --oneline pristine..HEAD
	./configure -q --host=riscv64-linux-gnu LDFLAGS=-static \
		--without-lzma --without-zlib --without-xen >/dev/null
	files=$(git diff --name-only pristine HEAD -- '*.c' | tr '\n' '|')
	make -j"$(nproc)" >"$W/build.log" 2>&1 || { tail -20 "$W/build.log"; die "the patched kexec-tools does not build"; }
	if grep -E "^(${files%|}):[0-9]+:[0-9]+: warning" "$W/build.log"; then
		die "the series adds compiler warnings (above)"
	fi
	echo "built: $(ls build/sbin | tr '\n' ' ')(no warning in ${files%|})"
}

step "kexec-tools series: commits on the release" commits
step "kexec-tools series: format-patch -> $OUT" format
step "kexec-tools series: checkpatch --strict --no-tree" checkpatch
step "kexec-tools series: git am on the release, riscv64 build" am_build
