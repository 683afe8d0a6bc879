#!/usr/bin/env bash
# Debian's riscv64 *binaries* for the guest initramfs, unpacked, never
# installed: makedumpfile (trixie), kexec-tools (sid: trixie has no riscv64
# build; it is here to compare with our own static kexec), every shared
# library they need (DT_NEEDED, recursively) with the dynamic loader, and
# Debian's 6.12 kernel Image (a distro kernel A for QEMU).
#
# apt runs with a private state under $DEB (its own sources, preferences,
# lists, caches): the system's apt configuration, sources and state are
# only read, never written (the recipe of the team's toolchain notes, "riscv64 binary packages
# from Debian's archive"). The mirror is the one of the machine's
# /etc/apt/sources.list.d/debian.sources.
#
# Output in $CACHE/debian-riscv64/out (DEBIAN_OUT):
#   rootfs/   copy it into the initramfs: lib/ld-linux-riscv64-lp64d.so.1,
#             usr/lib/riscv64-linux-gnu/*.so.*, usr/bin/makedumpfile,
#             usr/sbin/kexec-debian
#   kernels/  Image-debian-6.12 (+ Image-debian-6.12.config; DEBIAN_KERNEL=1
#             only)
#   versions.txt  package=version, suite, sha256 of each .deb used
#
# makedumpfile and kexec-tools are pinned (the scenarios name what these
# versions do; MAKEDUMPFILE_VERSION=, KEXEC_TOOLS_VERSION= override); the
# libraries are what trixie offers, recorded. When the pins and this
# script are what the cached output was made from, nothing is fetched
# (no network: a warm run). Otherwise the indexes are refreshed once a day
# (REFRESH=1: now). DEBIAN_KERNEL=1 also fetches Debian's 6.12 kernel
# (KERNEL_PKG=, KERNEL_VERSION=).
# Cached .debs are keyed by version: a second run downloads nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
. "$here/lib.sh"

DEBIAN_OUT=$CACHE/debian-riscv64/out
DEB=$CACHE/debian-riscv64 # private apt state, .debs, unpacked packages
APTD=$DEB/apt
DEBS=$DEB/debs
XD=$DEB/x
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ARCH=riscv64
TRIPLET=riscv64-linux-gnu
READELF=$TRIPLET-readelf
# The directories glibc's ld.so searches without an ld.so.cache (the
# strings of Debian's riscv64 ld.so): a library elsewhere is not found.
LDDIRS=(lib/$TRIPLET usr/lib/$TRIPLET lib usr/lib)

APT_OPTS=(
	-o "Dir::State=$APTD/state" -o "Dir::State::status=$APTD/state/status"
	-o "Dir::Cache=$APTD/cache" -o "Dir::Cache::pkgcache=$APTD/cache/pkgcache.bin"
	-o "Dir::Cache::srcpkgcache="
	-o "Dir::Etc::SourceList=$APTD/etc/sources.list" -o "Dir::Etc::SourceParts=$APTD/etc/sources.list.d"
	-o "Dir::Etc::Preferences=$APTD/etc/preferences" -o "Dir::Etc::PreferencesParts=$APTD/etc/preferences.d"
	-o "APT::Architecture=$ARCH" -o "APT::Architectures=$ARCH"
	# Only the Packages indexes: no DEP-11 (appstream), no translations.
	-o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
	-o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
	-o "Acquire::Languages=none"
)
papt() { apt-get "${APT_OPTS[@]}" "$@"; }
pcache() { apt-cache "${APT_OPTS[@]}" "$@"; }

# Steps run without errexit (step calls them in an || list): every failure
# below is checked.

mirror() {
	local uri=${MIRROR:-}
	# The first stanza of debian.sources that is not the security archive.
	[ -n "$uri" ] || uri=$(awk '
		/^[ \t]*$/ { if (u != "" && !sec) { print u; exit } u = ""; sec = 0; next }
		/^URIs:/ { u = $2 } /^Suites:/ && /-security/ { sec = 1 } $2 ~ /security/ && /^URIs:/ { sec = 1 }
		END { if (u != "" && !sec) print u }' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
	# A netinst Debian 12 has a one-line sources.list instead.
	[ -n "$uri" ] || uri=$(awk '/^deb / && /debian/ && !/security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	[ -n "$uri" ] || die "no Debian mirror in /etc/apt/sources.list.d/debian.sources (set MIRROR=URI)"
	echo "${uri%/}"
}

# ---- private apt state ------------------------------------------------------

lists_ok() { # both suites' riscv64 Packages indexes are there
	local s
	for s in trixie sid; do
		ls "$APTD/state/lists/"*"_dists_${s}_main_binary-${ARCH}_Packages"* >/dev/null 2>&1 || return 1
	done
}

apt_state() {
	local m want pin stamp log try extra=() err rc
	m=$(mirror) || return 1
	mkdir -p "$APTD"/state/lists/partial "$APTD"/cache/archives/partial \
		"$APTD"/etc/sources.list.d "$APTD"/etc/preferences.d || return 1
	[ -e "$APTD/state/status" ] || : >"$APTD/state/status"
	[ -r "$KEYRING" ] || die "$KEYRING is missing (package debian-archive-keyring)"
	# trixie main; sid only for what trixie lacks (kexec-tools): sid at
	# priority 1 is a candidate only where trixie has no version at all.
	want="deb [arch=$ARCH signed-by=$KEYRING] $m trixie main
deb [arch=$ARCH signed-by=$KEYRING] $m sid main"
	pin="Package: *
Pin: release n=sid
Pin-Priority: 1"
	[ "$(cat "$APTD/etc/sources.list" 2>/dev/null)" = "$want" ] || echo "$want" >"$APTD/etc/sources.list"
	[ "$(cat "$APTD/etc/preferences" 2>/dev/null)" = "$pin" ] || echo "$pin" >"$APTD/etc/preferences"
	echo "mirror: $m (from /etc/apt/sources.list.d/debian.sources${MIRROR:+, overridden by MIRROR})"
	stamp=$APTD/updated
	if [ "${REFRESH:-0}" != 1 ] && lists_ok && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] &&
		[ -z "$(find "$stamp" -mmin +1440)" ]; then
		echo "private riscv64 indexes fresh (< 1 day, $(date -r "$stamp" '+%F %T')), no apt-get update (REFRESH=1 forces one)"
		return 0
	fi
	log=$APTD/update.log
	# Debian's riscv64 indexes have failed here before with "File has
	# unexpected size" (a mirror or proxy serving an index that does not
	# match InRelease). Retry, asking caches for fresh copies and taking
	# the indexes by hash; then fall back to the lists of the last good
	# update if there are any.
	for try in 1 2 3; do
		rm -f "$stamp"
		rc=0
		papt -q update "${extra[@]}" >"$log" 2>&1 || rc=$?
		grep -v '^Reading package lists' "$log"
		err=$(grep -E '^(E:|W:.*(Failed to fetch|unexpected size|Hash Sum mismatch))' "$log" || true)
		if [ "$rc" -eq 0 ] && [ -z "$err" ] && lists_ok; then
			echo "$want" >"$stamp"
			return 0
		fi
		echo "apt-get update failed (try $try/3, exit $rc):" >&2
		echo "${err:-  (no riscv64 Packages index for trixie and sid in the private lists)}" >&2
		extra=(-o Acquire::http::No-Cache=true -o Acquire::By-Hash=force)
		[ "$try" -eq 3 ] || sleep $((try * ${UPDATE_RETRY_WAIT:-20}))
	done
	if lists_ok; then
		echo "WARNING: using the riscv64 indexes of an earlier update ($(ls -l --time-style=+%F "$APTD"/state/lists/*_Packages* | awk '{print $6}' | sort | head -1)); re-run later to refresh" >&2
		return 0
	fi
	die "cannot fetch Debian's riscv64 indexes from $m (see $log); if it says 'File has unexpected size', the mirror is syncing: re-run in a while, or set MIRROR= to another Debian mirror"
}

# ---- package selection --------------------------------------------------------

declare -A VER=() PSUITE=() SHA=() SIZE=() PARCH=() DIR=() USED=()

gone() { # PKG [VERSION] WHY
	{
		echo "apt-cache madison $1 (private $ARCH state: trixie + sid from $(mirror)):"
		pcache madison "$1" 2>&1 | sed 's/^/  /'
		[ -n "$(pcache madison "$1" 2>/dev/null)" ] || echo "  (none: no $ARCH package $1 in trixie or sid)"
	} >&2
	die "$1${2:+ $2}: $3"
}

# pick PKG [VERSION]: the version to use (apt's candidate unless VERSION),
# with its suite, size, hash and architecture from the private index.
pick() {
	local pkg=$1 want=${2:-} pol v show
	pol=$(pcache policy "$pkg" 2>/dev/null) || pol=
	v=$(awk '/^  Candidate:/ { print $2 }' <<<"$pol")
	[ -z "$want" ] || v=$want
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then gone "$pkg" "" "not offered for $ARCH any more (see above)"; fi
	show=$(pcache show "$pkg=$v" 2>/dev/null) || show=
	[ -n "$show" ] || gone "$pkg" "$v" "this version is not offered (any more): see above, then pin an offered one or unset the pin"
	VER[$pkg]=$v
	PSUITE[$pkg]=$(awk -v v="$v" '
		/^  Version table:/ { t = 1; next }
		t && ($1 == v || ($1 == "***" && $2 == v)) { f = 1; next }
		f && $2 ~ /^(https?|file|ftp):/ { split($3, a, "/"); print a[1]; exit }
		f { exit }' <<<"$pol")
	SHA[$pkg]=$(awk '/^SHA256:/ { print $2; exit }' <<<"$show")
	SIZE[$pkg]=$(awk '/^Size:/ { print $2; exit }' <<<"$show")
	PARCH[$pkg]=$(awk '/^Architecture:/ { print $2; exit }' <<<"$show")
	[ -n "${SHA[$pkg]}" ] && [ -n "${SIZE[$pkg]}" ] || die "$pkg $v: no SHA256/Size in the index"
}

debfile() { local p=$1 v=${VER[$1]}; echo "$DEBS/${p}_${v//:/%3a}_${PARCH[$p]}.deb"; }

cached() { # the .deb is there and is the one the index describes
	local f
	f=$(debfile "$1")
	[ -f "$f" ] && [ "$(stat -c %s "$f")" = "${SIZE[$1]}" ] &&
		[ "$(cat "$f.sha256" 2>/dev/null)" = "${SHA[$1]}" ]
}

# download PKG...: download (one apt-get call) what is not cached yet and
# check it against the index's hash. Needs pick first.
download() {
	local p want=() tmp f got
	mkdir -p "$DEBS" || return 1
	for p in "$@"; do cached "$p" || want+=("$p=${VER[$p]}"); done
	[ ${#want[@]} -gt 0 ] || return 0
	tmp=$(mktemp -d "$DEBS/.dl.XXXXXX") || return 1
	# apt drops to user _apt to download: let it write there.
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
	echo "downloading: ${want[*]}"
	if ! (cd "$tmp" && papt download "${want[@]}"); then
		rm -rf "$tmp"
		for p in "${want[@]}"; do pcache madison "${p%%=*}" >&2 || true; done
		die "apt-get download ${want[*]} failed (offered versions above)"
	fi
	for p in "$@"; do
		cached "$p" && continue
		f=$(debfile "$p")
		[ -f "$tmp/${f##*/}" ] || die "apt-get download left no ${f##*/}"
		got=$(sha256sum <"$tmp/${f##*/}" | cut -d' ' -f1)
		[ "$got" = "${SHA[$p]}" ] || die "${f##*/}: sha256 $got, the index says ${SHA[$p]}"
		mv -f "$tmp/${f##*/}" "$f" && echo "$got" >"$f.sha256" || return 1
		[ "$(id -u)" -ne 0 ] || chown 0:0 "$f" "$f.sha256" || return 1
		echo "  got $p ${VER[$p]} (${PSUITE[$p]}): $(numfmt --to=iec "${SIZE[$p]}")"
	done
	rm -rf "$tmp"
}

# fetch PKG...: download, then unpack each once per version (DIR[PKG]).
fetch() {
	local p f x
	download "$@" || return 1
	mkdir -p "$XD" || return 1
	for p in "$@"; do
		f=$(debfile "$p")
		x=$XD/$(basename "$f" .deb)
		if [ ! -d "$x" ]; then
			rm -rf "$x.tmp"
			dpkg-deb -x "$f" "$x.tmp" && mv "$x.tmp" "$x" || die "cannot unpack $f"
		fi
		DIR[$p]=$x
	done
}

# ---- ELF helpers ----------------------------------------------------------------

is_rv64() { [ "$($READELF -h "$1" 2>/dev/null | grep -cE 'Class:.*ELF64|Machine:.*RISC-V')" = 2 ]; }
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
needed() { $READELF -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
interp() { $READELF -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p'; }
vneeds() { # FILE: "LIBRARY VERSION" per symbol version the file needs
	$READELF -V "$1" | awk '/^Version needs section/ { s = 1; next } /^Version (symbols|definition) section/ { s = 0 }
		s && /File:/ { for (i = 1; i <= NF; i++) if ($i == "File:") f = $(i + 1) }
		s && /Name:/ && !/File:/ { for (i = 1; i <= NF; i++) if ($i == "Name:") print f, $(i + 1) }'
}
vdefs() { # FILE: the symbol versions it defines
	$READELF -V "$1" | awk '/^Version definition section/ { s = 1; next } /^Version (symbols|needs) section/ { s = 0 }
		s && /Rev:/ { for (i = 1; i <= NF; i++) if ($i == "Name:") print $(i + 1) }'
}

# tree_resolve ROOT PATH: PATH (relative to ROOT) with its symlinks followed
# as if ROOT were /; fails unless it ends at a regular file.
tree_resolve() {
	local root=$1 p=${2#/} t n=0
	while [ -L "$root/$p" ]; do
		t=$(readlink "$root/$p")
		case $t in /*) p=$t ;; *) p=/$(dirname "$p")/$t ;; esac
		p=$(realpath -m -s "$p") && p=${p#/}
		n=$((n + 1)) && [ $n -lt 20 ] || return 1
	done
	[ -f "$root/$p" ] && echo "$p"
}

# put PKGDIR PATH: copy PATH from an unpacked package into the rootfs as
# Debian has it, with the symlinks it goes through and their target.
put() {
	local src=$1 p=${2#/} t n=0
	while :; do
		mkdir -p "$ROOT/$(dirname "$p")" && cp -a "$src/$p" "$ROOT/$p" || return 1
		[ -L "$src/$p" ] || return 0
		t=$(readlink "$src/$p")
		case $t in /*) p=$t ;; *) p=/$(dirname "$p")/$t ;; esac
		p=$(realpath -m -s "$p") && p=${p#/}
		n=$((n + 1)) && [ $n -lt 20 ] || return 1
	done
}

# find_so SONAME: the fetched package that has it in ld.so's default
# directories (FOUND_PKG, FOUND_PATH).
find_so() {
	local p d
	for p in "${!DIR[@]}"; do
		for d in "${LDDIRS[@]}"; do
			if { [ -e "${DIR[$p]}/$d/$1" ] || [ -L "${DIR[$p]}/$d/$1" ]; } && tree_resolve "${DIR[$p]}" "$d/$1" >/dev/null; then
				FOUND_PKG=$p FOUND_PATH=$d/$1
				return 0
			fi
		done
	done
	return 1
}

# lib_deps PKG...: their Depends/Pre-Depends (every alternative) that are
# library packages (Section libs) not fetched yet: where dpkg-shlibdeps
# put the package of each DT_NEEDED.
lib_deps() {
	local p names
	names=$(for p in "$@"; do
		pcache show "$p=${VER[$p]}" 2>/dev/null | awk '/^(Pre-)?Depends:/ { sub(/^[^:]*: /, ""); print }' |
			tr ',|' '\n\n' | sed -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' | grep -v '^$'
	done | sort -u | while read -r p; do [ -n "${DIR[$p]:-}" ] || echo "$p"; done)
	[ -n "$names" ] || return 0
	# One apt-cache call (virtual and unknown names print nothing).
	# shellcheck disable=SC2086
	pcache show $names 2>/dev/null | awk '/^Package:/ { p = $2 } /^Section:/ && !seen[p]++ && ($2 == "libs" || $2 ~ /\/libs$/) { print p }'
}

# ---- the userland ---------------------------------------------------------------

userland() {
	local p f s i q=() cand owner ld
	ROOT=$DEBIAN_OUT/rootfs.tmp
	rm -rf "$ROOT" && mkdir -p "$ROOT" || return 1
	pick makedumpfile "${MAKEDUMPFILE_VERSION:-}"
	pick kexec-tools "${KEXEC_TOOLS_VERSION:-}"
	[ "${PSUITE[makedumpfile]}" = trixie ] || echo "NOTE: makedumpfile comes from ${PSUITE[makedumpfile]}, not trixie"
	printf '%s\n' "2.0.31" "${VER[kexec-tools]#*:}" | sort -V -C ||
		die "kexec-tools ${VER[kexec-tools]}: no RISC-V support before 2.0.31"
	echo "makedumpfile ${VER[makedumpfile]} (${PSUITE[makedumpfile]}), kexec-tools ${VER[kexec-tools]} (${PSUITE[kexec-tools]})"
	fetch makedumpfile kexec-tools || return 1

	# The binaries, found in the packages (their paths move between releases).
	declare -gA OWNER=()
	f=$(cd "${DIR[makedumpfile]}" && ls usr/bin/makedumpfile usr/sbin/makedumpfile sbin/makedumpfile bin/makedumpfile 2>/dev/null | head -1)
	[ -n "$f" ] || die "makedumpfile ${VER[makedumpfile]} ships no makedumpfile binary"
	put "${DIR[makedumpfile]}" "$f" || return 1
	OWNER[$f]=makedumpfile USED[makedumpfile]=1 q+=("$f")
	# Debian has it in /usr/bin: /usr/sbin/makedumpfile points there.
	if [ "$f" != usr/sbin/makedumpfile ]; then
		mkdir -p "$ROOT/usr/sbin" &&
			ln -sfn "$(realpath -m -s --relative-to=/usr/sbin "/$f")" "$ROOT/usr/sbin/makedumpfile" || return 1
	fi
	f=$(cd "${DIR[kexec-tools]}" && ls usr/sbin/kexec sbin/kexec 2>/dev/null | head -1)
	[ -n "$f" ] || die "kexec-tools ${VER[kexec-tools]} ships no kexec binary"
	# Renamed: the guest's /sbin/kexec is the project's static build.
	mkdir -p "$ROOT/usr/sbin" && cp -a "${DIR[kexec-tools]}/$f" "$ROOT/usr/sbin/kexec-debian" || return 1
	OWNER[usr/sbin/kexec-debian]=kexec-tools USED[kexec-tools]=1 q+=(usr/sbin/kexec-debian)

	# DT_NEEDED, recursively; each soname from the packages the needing
	# package depends on (then from their dependencies, transitively).
	declare -gA SOLIB=()
	for ((i = 0; i < ${#q[@]}; i++)); do
		f=${q[$i]} owner=${OWNER[$f]}
		is_rv64 "$ROOT/$f" || die "$f (from $owner) is not a riscv64 ELF"
		for s in $(needed "$ROOT/$f"); do
			[ -z "${SOLIB[$s]:-}" ] || continue
			if ! find_so "$s"; then
				cand=$(lib_deps "$owner")
				while [ -n "$cand" ]; do
					for p in $cand; do pick "$p"; done
					echo "$s (for $f): looking in $(echo $cand)"
					# shellcheck disable=SC2086
					fetch $cand || return 1
					find_so "$s" && break
					cand=$(lib_deps "${!DIR[@]}")
				done
				find_so "$s" || die "no package among the dependencies of $owner (${!DIR[*]}) has $s in ${LDDIRS[*]}"
			fi
			put "${DIR[$FOUND_PKG]}" "$FOUND_PATH" || return 1
			SOLIB[$s]=$FOUND_PATH USED[$FOUND_PKG]=1
			p=$(tree_resolve "$ROOT" "$FOUND_PATH") || die "$FOUND_PATH: broken symlink in $FOUND_PKG"
			if [ -z "${OWNER[$p]:-}" ]; then OWNER[$p]=$FOUND_PKG q+=("$p"); fi
		done
		# The dynamic loader (PT_INTERP), where the kernel looks for it.
		ld=$(interp "$ROOT/$f")
		[ -n "$ld" ] || continue
		ld=${ld#/}
		tree_resolve "$ROOT" "$ld" >/dev/null && continue
		s=${ld##*/}
		[ -n "${SOLIB[$s]:-}" ] || die "$f wants the loader /$ld, which no fetched package has as $s"
		# Debian (merged /usr) has it in usr/lib/$TRIPLET with /lib -> usr/lib:
		# the guest has no /lib link, so lib/ gets a link to it.
		mkdir -p "$ROOT/$(dirname "$ld")" &&
			ln -sfn "$(realpath -m -s --relative-to="/$(dirname "$ld")" "/${SOLIB[$s]}")" "$ROOT/$ld" || return 1
		tree_resolve "$ROOT" "$ld" >/dev/null || die "/$ld: link into the rootfs is broken"
	done
	rm -rf "$DEBIAN_OUT/rootfs" && mv "$ROOT" "$DEBIAN_OUT/rootfs" || return 1
	ROOT=$DEBIAN_OUT/rootfs
	echo "$ROOT: $(find "$ROOT" -type f | wc -l) files, $(find "$ROOT" -type l | wc -l) links, $(du -sh "$ROOT" | cut -f1)"
}

# Every ELF in the rootfs: riscv64, its loader and every DT_NEEDED there
# (in ld.so's default directories), every symbol version it needs defined.
check_rootfs() {
	local f s d r bad=0 lib v vn vd vbad
	local -A where
	ROOT=$DEBIAN_OUT/rootfs
	while read -r f; do
		f=${f#./}
		is_elf "$ROOT/$f" || continue
		if is_rv64 "$ROOT/$f"; then
			echo "$f: riscv64 ELF64 ($($READELF -h "$ROOT/$f" | awk '/Type:/ { print $2 }'))"
		else
			echo "$f: NOT a riscv64 ELF64"
			bad=1
		fi
		d=$(interp "$ROOT/$f")
		if [ -n "$d" ]; then
			r=$(tree_resolve "$ROOT" "$d") && echo "  interpreter $d -> $r" || { echo "  interpreter $d MISSING"; bad=1; }
		fi
		where=()
		for s in $(needed "$ROOT/$f"); do
			r=
			for d in "${LDDIRS[@]}"; do
				r=$(tree_resolve "$ROOT" "$d/$s") && break
			done
			if [ -n "$r" ]; then
				where[$s]=$r
				echo "  NEEDED $s -> $r OK"
			else
				echo "  NEEDED $s MISSING"
				bad=1
			fi
		done
		vn=$(vneeds "$ROOT/$f") vbad=0
		for lib in $(awk '{ print $1 }' <<<"$vn" | sort -u); do
			[ -n "${where[$lib]:-}" ] || continue
			vd=$(vdefs "$ROOT/${where[$lib]}")
			for v in $(awk -v l="$lib" '$1 == l { print $2 }' <<<"$vn"); do
				grep -qx "$v" <<<"$vd" || { echo "  version $v of $lib MISSING"; bad=1 vbad=1; }
			done
		done
		[ -z "$vn" ] || echo "  symbol versions: $(awk '{ print $2 }' <<<"$vn" | sort -uV | tr '\n' ' ')$([ $vbad = 0 ] && echo "all defined" || echo "NOT all defined")"
	done < <(cd "$ROOT" && find . -type f | sort)
	for f in usr/sbin/makedumpfile usr/sbin/kexec-debian; do echo "file $f: $(file -bL "$ROOT/$f")"; done
	# Run them if a user-mode riscv64 QEMU happens to be installed.
	local qu
	qu=$(command -v qemu-riscv64-static || command -v qemu-riscv64 || true)
	if [ -n "$qu" ]; then
		"$qu" -L "$ROOT" "$ROOT/usr/bin/makedumpfile" --version || bad=1
		"$qu" -L "$ROOT" "$ROOT/usr/sbin/kexec-debian" --version || bad=1
	else
		echo "(no qemu-riscv64(-static) on this host: the binaries were not run)"
	fi
	[ "$bad" -eq 0 ] || die "the rootfs is incomplete (MISSING above)"
}

# ---- Debian's 6.12 kernel -----------------------------------------------------

offered_kernels() {
	echo "linux-image-6.* for $ARCH in the private state (apt-cache madison):"
	for k in $(pcache pkgnames linux-image-6 2>/dev/null | grep -v -- -dbg | sort -V) linux-image-riscv64; do
		pcache madison "$k"
	done | sed 's/^/  /'
}

kernel() {
	local pkg=${KERNEL_PKG:-} k f x img magic
	if [ -n "$pkg" ]; then
		pcache policy "$pkg" 2>/dev/null | grep -q '^  Candidate: [^(]' ||
			{ offered_kernels >&2; die "KERNEL_PKG=$pkg is not offered (see above)"; }
	else
		# The newest linux-image-6.12.N+deb13-riscv64 that trixie offers
		# (several ABIs can be there at once).
		for k in $(pcache pkgnames linux-image-6.12. 2>/dev/null |
			grep -E '^linux-image-6\.12\.[0-9]+\+deb13-riscv64$' | sort -rV); do
			pick "$k"
			if [ "${PSUITE[$k]}" = trixie ]; then pkg=$k && break; fi
		done
		[ -n "$pkg" ] || { offered_kernels >&2; die "trixie offers no linux-image-6.12.*+deb13-riscv64 any more (see above); set KERNEL_PKG= to one that is offered"; }
	fi
	pick "$pkg" "${KERNEL_VERSION:-}"
	echo "$pkg ${VER[$pkg]} (${PSUITE[$pkg]})"
	download "$pkg" || return 1
	# Only ./boot is unpacked (the modules are 130 MB), once per version.
	f=$(debfile "$pkg")
	x=$XD/$(basename "$f" .deb)-boot
	if [ ! -d "$x" ]; then
		rm -rf "$x.tmp" && mkdir -p "$x.tmp" || return 1
		dpkg-deb --fsys-tarfile "$f" | tar -x -C "$x.tmp" --wildcards './boot/*' || die "cannot unpack ./boot of $f"
		mv "$x.tmp" "$x" || return 1
	fi
	echo "  /boot of the package: $(cd "$x/boot" && echo *)"
	img=$(ls "$x"/boot/vmlinux-* "$x"/boot/vmlinuz-* "$x"/boot/Image* 2>/dev/null | head -1)
	[ -n "$img" ] || die "$pkg has no kernel image in /boot: $(ls "$x/boot")"
	# A raw RISC-V Image: magic2 "RSC\x05" at 0x38 of its header (and the
	# deprecated "RISCV\0\0\0" at 0x30); Debian's has an EFI stub (MZ).
	magic=$(od -An -tx1 -j56 -N4 "$img" | tr -d ' \n')
	[ "$magic" = 52534305 ] ||
		die "/${img#"$x"/} is not a raw RISC-V Image (no RSC\\x05 at 0x38: $(file -b "$img")); compressed images are not handled"
	mkdir -p "$DEBIAN_OUT/kernels" || return 1
	cmp -s "$img" "$DEBIAN_OUT/kernels/Image-debian-6.12" || cp "$img" "$DEBIAN_OUT/kernels/Image-debian-6.12" || return 1
	rm -f "$DEBIAN_OUT/kernels/Image-debian-6.12.config"
	for k in "$x"/boot/config-*; do
		[ ! -f "$k" ] || cp "$k" "$DEBIAN_OUT/kernels/Image-debian-6.12.config" || return 1
	done
	USED[$pkg]=1
	echo "$DEBIAN_OUT/kernels/Image-debian-6.12: /${img#"$x"/} of $pkg, $(du -h "$img" | cut -f1), $(file -b "$img" | cut -d, -f1)"
	[ ! -f "$DEBIAN_OUT/kernels/Image-debian-6.12.config" ] ||
		echo "  Image-debian-6.12.config: $(grep -hE '^CONFIG_(KEXEC|KEXEC_FILE|CRASH_DUMP|RELOCATABLE)=|^# CONFIG_(KEXEC_FILE|RELOCATABLE) is not' "$DEBIAN_OUT/kernels/Image-debian-6.12.config" | tr '\n' ' ')"
}

versions() {
	local p f tmp=$DEBIAN_OUT/versions.txt.tmp
	{
		echo "# Debian $ARCH binaries from $(mirror) (private apt state $APTD), $(date -u '+%F %T UTC')"
		for p in trixie sid; do
			f=$(ls "$APTD"/state/lists/*_dists_${p}_InRelease 2>/dev/null | head -1)
			[ -z "$f" ] || echo "# $p index: $(awk '/^Date:/ { sub(/^Date: /, ""); print; exit }' "$f")"
		done
		echo "# package=version suite sha256 size .deb"
		for p in $(printf '%s\n' "${!USED[@]}" | sort); do
			f=$(debfile "$p")
			echo "$p=${VER[$p]} ${PSUITE[$p]} ${SHA[$p]} ${SIZE[$p]} ${f##*/}"
		done
		for p in $(printf '%s\n' "${!DIR[@]}" | sort); do
			[ -n "${USED[$p]:-}" ] || echo "# fetched as a candidate, nothing used: $p=${VER[$p]}"
		done
		echo "# rootfs: $(cd "$DEBIAN_OUT/rootfs" && find . ! -type d | sort | sed 's|^\./||' | tr '\n' ' ')"
	} >"$tmp" && mv "$tmp" "$DEBIAN_OUT/versions.txt" || return 1
	cat "$DEBIAN_OUT/versions.txt"
}

MAKEDUMPFILE_VERSION=${MAKEDUMPFILE_VERSION:-1:1.7.6-1}
KEXEC_TOOLS_VERSION=${KEXEC_TOOLS_VERSION:-1:2.0.32-3}
mkdir -p "$DEBIAN_OUT"
stamp_key=$( {
	cat "$0"
	echo "$MAKEDUMPFILE_VERSION $KEXEC_TOOLS_VERSION ${DEBIAN_KERNEL:-0} ${KERNEL_PKG:-} ${KERNEL_VERSION:-}"
} | sha256sum | cut -c1-16)
if [ "${REFRESH:-0}" != 1 ] && [ "$(cat "$DEBIAN_OUT/.stamp" 2>/dev/null)" = "$stamp_key" ] &&
	[ -e "$DEBIAN_OUT/rootfs/usr/sbin/makedumpfile" ]; then
	log "Debian $ARCH userland cached (stamp $stamp_key): $(grep -E '^(makedumpfile|kexec-tools)=' "$DEBIAN_OUT/versions.txt" | cut -d' ' -f1 | tr '\n' ' ')"
	exit 0
fi
rm -f "$DEBIAN_OUT/.stamp"
step "private apt state for Debian $ARCH (trixie main + sid)" apt_state
step "makedumpfile, kexec-tools and their libraries ($ARCH .debs)" userland
step "check the rootfs (ELF class, loader, DT_NEEDED, symbol versions)" check_rootfs
# The distro kernel (a 108 MB .deb): asked for only (no scenario boots it yet).
if [ "${DEBIAN_KERNEL:-0}" = 1 ]; then
	step "Debian's 6.12 kernel Image ($ARCH)" kernel
fi
step "versions" versions
echo "$stamp_key" >"$DEBIAN_OUT/.stamp"
log "Debian $ARCH userland in $DEBIAN_OUT"
