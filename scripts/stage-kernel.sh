#!/usr/bin/env bash
# Stage the pristine linux-source-$KSERIES tree of $BASE once (as a git repository whose
# first commit is the pristine tree), then check out "pristine + our files +
# our hunks" as a commit on top of it. git checkout rewrites only the files
# that differ, so an incremental kernel build stays incremental.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

T=$KTREE
# Directories of this repository that hold files at their kernel paths.
OVERLAY_DIRS=(arch rust Documentation tools)

pristine() {
	local deb ver
	deb=$(ls "$CACHE/dl/linux-source-${KSERIES}_"*.deb | sort -V | tail -1)
	ver=$(dpkg-deb -f "$deb" Version)
	if git -C "$T" rev-parse -q --verify refs/tags/pristine >/dev/null 2>&1 &&
		[ "$(cat "$T/.git/rvk-deb-version" 2>/dev/null)" = "$ver" ]; then
		echo "pristine tree $ver cached at $T ($(git -C "$T" rev-parse --short pristine))"
		return
	fi
	rm -rf "$T" "$T.tmp" "$BCACHE/linux-pristine" && mkdir -p "$T.tmp"
	echo "extracting $deb"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "./usr/src/linux-source-$KSERIES.tar.*" |
		tar -xJ -C "$T.tmp" --strip-components=1
	cd "$T.tmp"
	git init -q -b linux
	git -c core.autocrlf=false add -A -f .
	git -c user.name=rvkexec -c user.email=rvkexec@localhost commit -q \
		-m "Linux $(make -s kernelversion) (Debian linux-source-$KSERIES $ver), pristine"
	git tag pristine
	echo "$ver" >.git/rvk-deb-version
	cd / && mv "$T.tmp" "$T"
	echo "staged Linux $(make -s -C "$T" kernelversion) from Debian $ver ($BASE)"
}

overlay() {
	local idx=$T/.git/rvk-index f mode tree commit
	rm -f "$idx"
	export GIT_INDEX_FILE=$idx
	git -C "$T" read-tree pristine
	cd "$TOP"
	for f in $(git ls-files --cached --others --exclude-standard -- "${OVERLAY_DIRS[@]}"); do
		[ -f "$f" ] || continue
		mode=100644
		[ -x "$f" ] && mode=100755
		git -C "$T" update-index --add --cacheinfo "$mode,$(git -C "$T" hash-object -w "$TOP/$f"),$f"
	done
	for f in $(base_hunks); do
		git -C "$T" apply --cached "$TOP/$f" ||
			die "hunk $f does not apply to $(git -C "$T" log -1 --format=%s pristine)"
	done
	tree=$(git -C "$T" write-tree)
	unset GIT_INDEX_FILE
	if [ "$(git -C "$T" rev-parse -q --verify 'HEAD^{tree}')" = "$tree" ] &&
		[ -z "$(git -C "$T" status --porcelain --untracked-files=no)" ]; then
		echo "staged tree already up to date ($tree)"
		return
	fi
	commit=$(git -C "$T" -c user.name=rvkexec -c user.email=rvkexec@localhost \
		commit-tree "$tree" -p pristine -m "rvkexec overlay")
	git -C "$T" checkout -q -f --detach "$commit"
	git -C "$T" diff --stat pristine HEAD | tail -1
}

step "stage pristine linux-source-$KSERIES" pristine
step "apply project files and hunks" overlay
