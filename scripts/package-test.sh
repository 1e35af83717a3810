#!/usr/bin/env bash
# Builds the Debian package of a configured build tree (cpack -G DEB) and checks it:
#   - its file list (binary, man page, bash completion, units, configuration, sysctl/limits/udev
#     files, docs) and that nothing lands outside the package's own directories;
#   - its control fields (Package, Version, Architecture, Section, Maintainer, Depends from
#     dpkg-shlibdeps plus postgresql-client) and control files (conffiles, maintainer scripts);
#   - the units, as instances dbbackup@check.{service,timer}, with systemd-analyze verify (any
#     message about them counts as a failure: verify exits 0 on unknown keys);
#   - unless --no-install, and only as root: dpkg -i, the installed binary, user, directories,
#     modes, man page, completion and units; dpkg -r (conffile stays); dpkg -P (/etc/dbbackup
#     gone, /var/lib/dbbackup kept). The system is left as it was found.
# Works where systemd is not PID 1 (containers). The package is left in BUILD_DIR/package/.
#
# Usage: scripts/package-test.sh [--no-install] BUILD_DIR
set -euo pipefail

install=1
if [ "${1:-}" = --no-install ]; then
  install=0
  shift
fi
if [ $# -ne 1 ] || [ ! -f "$1/CMakeCache.txt" ]; then
  echo "usage: $0 [--no-install] BUILD_DIR   (a configured dbbackup build tree)" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)

failures=0
fail() { printf 'package-test: FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
note() { printf 'package-test: %s\n' "$*"; }
die() { printf 'package-test: FAIL: %s\n' "$*" >&2; exit 1; }
# Stops after a group of checks when any of them failed.
checkpoint() { [ "$failures" -eq 0 ] || die "$failures check(s) failed ($1)"; }

for tool in cpack dpkg-deb systemd-analyze; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done

tmp=$(mktemp -d)
we_installed=0
created_user=0
created_group=0
created_varlib=0
cleanup() {
  local rc=$?
  if [ "$we_installed" = 1 ] && dpkg-query -W -f='${Status}' dbbackup 2>/dev/null |
    grep -qv 'not-installed'; then
    note "cleanup: purging the test installation"
    dpkg -P dbbackup >/dev/null 2>&1 || true
  fi
  if [ "$created_varlib" = 1 ]; then rm -rf /var/lib/dbbackup; fi
  if [ "$created_user" = 1 ] && getent passwd dbbackup >/dev/null; then userdel dbbackup || true; fi
  if [ "$created_group" = 1 ] && getent group dbbackup >/dev/null; then groupdel dbbackup || true; fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
# A ctest timeout or Ctrl-C still runs cleanup (the exit trap), which removes the package.
trap 'exit 143' TERM
trap 'exit 130' INT

# --- build the package -------------------------------------------------------------------------
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || die "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"
arch=$(dpkg --print-architecture)
pkgdir=$build/package
deb=$pkgdir/dbbackup_${version}_${arch}.deb
rm -f "$pkgdir"/*.deb
# cpack builds `all` first (the man page and completion included: dbbackup_docs, cmake/Docs.cmake).
note "cpack -G DEB in $build"
if ! (cd "$build" && cpack -G DEB >"$tmp/cpack.log" 2>&1); then
  cat "$tmp/cpack.log" >&2
  die "cpack -G DEB failed"
fi
[ -f "$deb" ] || { cat "$tmp/cpack.log" >&2; die "cpack made no $deb"; }
note "built $deb ($(du -h "$deb" | cut -f1))"

# --- file list ---------------------------------------------------------------------------------
# `dpkg-deb -c` prints: mode owner/group size date time ./path
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' | sed 's# \./# /#; s#/$##' >"$tmp/list"
listed() { awk -v p="$1" '$3 == p {print $1, $2}' "$tmp/list"; }
expect() {  # expect PATH [MODE OWNER]: PATH is in the package (with that mode and owner)
  local got
  got=$(listed "$1")
  if [ -z "$got" ]; then
    fail "the package lacks $1"
  elif [ $# -eq 3 ] && [ "$got" != "$2 $3" ]; then
    fail "$1 is '$got' in the package, expected '$2 $3'"
  fi
}
expect /usr/bin/dbbackup -rwxr-xr-x root/root
expect /usr/share/man/man1/dbbackup.1.gz -rw-r--r-- root/root
expect /usr/share/bash-completion/completions/dbbackup -rw-r--r-- root/root
expect /usr/lib/systemd/system/dbbackup@.service -rw-r--r-- root/root
expect /usr/lib/systemd/system/dbbackup@.timer -rw-r--r-- root/root
expect /etc/dbbackup/dbbackup.conf -rw-r----- root/root # postinst sets the group
for dir in sysctl limits udev; do
  for f in "$src/$dir"/*; do
    expect "/usr/share/dbbackup/$dir/$(basename "$f")" -rw-r--r-- root/root
  done
done
expect /usr/share/doc/dbbackup/README.md
expect /usr/share/doc/dbbackup/PACKAGING.md
expect /usr/share/doc/dbbackup/copyright
# Nothing else: no headers, static libraries or test programs from other install rules.
while read -r mode _ path; do
  case "$path" in
    /usr/bin/dbbackup | /usr/share/man/man1/dbbackup.1.gz | \
      /usr/share/bash-completion/completions/dbbackup | /usr/lib/systemd/system/dbbackup@.* | \
      /etc/dbbackup/dbbackup.conf | /usr/share/dbbackup/* | /usr/share/doc/dbbackup/*) ;;
    *) [ "${mode:0:1}" = d ] || fail "unexpected file in the package: $path" ;;
  esac
done <"$tmp/list"

# --- control fields and files ------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = dbbackup ] || fail "Package: '$(field Package)', expected dbbackup"
[ "$(field Version)" = "$version" ] || fail "Version: '$(field Version)', expected $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: '$(field Architecture)'"
[ "$(field Section)" = admin ] || fail "Section: '$(field Section)', expected admin"
[ -n "$(field Maintainer)" ] || fail "no Maintainer field"
[ -n "$(field Description)" ] || fail "no Description field"
depends=$(field Depends)
# libc6 and libpq5 come from dpkg-shlibdeps; postgresql-client from CPACK_DEBIAN_PACKAGE_DEPENDS.
for dep in postgresql-client libc6 libpq5 passwd; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
dpkg-deb -e "$deb" "$tmp/control"
if [ "$(cat "$tmp/control/conffiles" 2>/dev/null)" != /etc/dbbackup/dbbackup.conf ]; then
  fail "control conffiles is not exactly /etc/dbbackup/dbbackup.conf"
fi
for script in postinst prerm postrm; do
  f=$tmp/control/$script
  if [ ! -x "$f" ]; then
    fail "no executable $script in the control archive"
  elif ! sh -n "$f"; then
    fail "$script: syntax error"
  fi
done
checkpoint "package contents"
note "contents ok: $(grep -vc '^d' "$tmp/list") files; Depends: $depends"

# --- units, verified without installing --------------------------------------------------------
# systemd-analyze verify checks that ExecStart's program exists: the instances' copies point at
# the packaged binary (extracted), and --man=no as the man page is not installed yet.
dpkg-deb -x "$deb" "$tmp/root"
"$tmp/root/usr/bin/dbbackup" --version >/dev/null || fail "the packaged binary does not run"
mkdir "$tmp/units"
sed "s#/usr/bin/dbbackup#$tmp/root/usr/bin/dbbackup#g" \
  "$tmp/root/usr/lib/systemd/system/dbbackup@.service" >"$tmp/units/dbbackup@check.service"
cp "$tmp/root/usr/lib/systemd/system/dbbackup@.timer" "$tmp/units/dbbackup@check.timer"
verify() {  # verify ARGS...: systemd-analyze verify; fails on its exit code or any message about
  local rc=0  # our units (messages about other units on the host are shown, not counted)
  (cd "$tmp" && systemd-analyze verify "$@") >"$tmp/verify.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || grep -q dbbackup "$tmp/verify.log"; then
    cat "$tmp/verify.log" >&2
    fail "systemd-analyze verify $* (exit $rc)"
  elif [ -s "$tmp/verify.log" ]; then
    note "systemd-analyze verify, about other units (ignored):"
    sed 's/^/    /' "$tmp/verify.log"
  fi
}
verify --man=no "$tmp/units/dbbackup@check.service" "$tmp/units/dbbackup@check.timer"
# The settings of the contract with the program (verify above catches typos in key names).
service=$tmp/root/usr/lib/systemd/system/dbbackup@.service
for setting in Type=oneshot User=dbbackup Group=dbbackup NoNewPrivileges=yes PrivateTmp=yes \
  ProtectSystem=strict ProtectHome=yes UMask=0077 TimeoutStartSec=infinity KillMode=mixed \
  'ExecStart=/usr/bin/dbbackup backup --target %i' \
  'ExecStartPost=/usr/bin/dbbackup prune --target %i'; do
  grep -qxF "$setting" "$service" || fail "dbbackup@.service lacks '$setting'"
done
if grep -q '^SystemCallFilter=' "$service"; then
  fail "dbbackup@.service must not filter system calls (io_uring)"
fi
for setting in OnCalendar=daily Persistent=true WantedBy=timers.target; do
  grep -qxF "$setting" "$tmp/root/usr/lib/systemd/system/dbbackup@.timer" ||
    fail "dbbackup@.timer lacks '$setting'"
done
checkpoint "unit verification"
exposure=$(systemd-analyze security --offline=yes "$tmp/units/dbbackup@check.service" 2>/dev/null |
  sed -n 's/.*Overall exposure level for .*: //p') || true
note "units ok (systemd-analyze security, offline: ${exposure:-n/a})"

if [ "$install" = 0 ]; then
  note "--no-install: done, all checks passed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  note "not root: install and removal not tested"
  exit 0
fi

# --- install, check, remove, purge -------------------------------------------------------------
status=$(dpkg-query -W -f='${Status}' dbbackup 2>/dev/null || true)
case "$status" in
  '' | *not-installed) ;;
  *) die "dbbackup is already on this system ($status): not touching it; remove it first (dpkg -P dbbackup)" ;;
esac
getent passwd dbbackup >/dev/null || created_user=1
getent group dbbackup >/dev/null || created_group=1
[ -e /var/lib/dbbackup ] || created_varlib=1
systemd_runs=no
[ -d /run/systemd/system ] && systemd_runs=yes
note "dpkg -i (systemd running: $systemd_runs)"
we_installed=1
if ! dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
  cat "$tmp/dpkg.log" >&2
  grep -E 'depends on|not installed' "$tmp/dpkg.log" >&2 || true
  die "dpkg -i failed (missing dependencies are listed above)"
fi
[ "$(command -v dbbackup)" = /usr/bin/dbbackup ] || fail "dbbackup on PATH is $(command -v dbbackup)"
/usr/bin/dbbackup --version >/dev/null || fail "/usr/bin/dbbackup --version failed"
user=$(getent passwd dbbackup) || fail "no user dbbackup"
case "$user" in
  *:/var/lib/dbbackup:*) ;;
  *) fail "dbbackup's home is not /var/lib/dbbackup: $user" ;;
esac
[ "$(id -gn dbbackup 2>/dev/null)" = dbbackup ] || fail "dbbackup's group is not dbbackup"
stat_is() {  # stat_is PATH OWNER:GROUP MODE
  local got
  got=$(stat -c '%U:%G %a' "$1" 2>/dev/null) || { fail "$1 is missing"; return; }
  [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
}
if [ "$created_varlib" = 1 ]; then stat_is /var/lib/dbbackup dbbackup:dbbackup 750; fi
stat_is /etc/dbbackup root:dbbackup 750
stat_is /etc/dbbackup/dbbackup.conf root:dbbackup 640
if [ -e /usr/share/man/man1/dbbackup.1.gz ]; then
  if command -v man >/dev/null; then
    man -w dbbackup >/dev/null 2>&1 || fail "man -w dbbackup finds no page"
  fi
  man_check=yes
elif grep -qs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  note "dpkg excludes man pages on this system (dpkg.cfg.d path-exclude): not checked"
  man_check=no
else
  fail "/usr/share/man/man1/dbbackup.1.gz not installed"
  man_check=no
fi
command -v man >/dev/null || man_check=no
if ! bash -c 'source /usr/share/bash-completion/completions/dbbackup && complete -p dbbackup' \
  >"$tmp/complete.log" 2>&1; then
  cat "$tmp/complete.log" >&2
  fail "the bash completion does not load or registers nothing for dbbackup"
fi
# The installed units, by instance name (loaded from /usr/lib/systemd/system).
verify --man="$man_check" dbbackup@check.service dbbackup@check.timer
checkpoint "installed package"
note "installed ok"

# A leftover in /etc/dbbackup that purge must remove, and a "backup" it must keep.
touch /etc/dbbackup/check.pgpass
if [ "$created_varlib" = 1 ]; then touch /var/lib/dbbackup/check-backup; fi

note "dpkg -r"
dpkg -r dbbackup >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; die "dpkg -r failed"; }
for f in /usr/bin/dbbackup /usr/lib/systemd/system/dbbackup@.service \
  /usr/lib/systemd/system/dbbackup@.timer /usr/share/bash-completion/completions/dbbackup; do
  [ ! -e "$f" ] || fail "$f is still there after dpkg -r"
done
[ -f /etc/dbbackup/dbbackup.conf ] || fail "dpkg -r removed the conffile"
case "$(dpkg-query -W -f='${Status}' dbbackup 2>/dev/null)" in
  *config-files) ;;
  *) fail "after dpkg -r the status is not config-files" ;;
esac

note "dpkg -P"
dpkg -P dbbackup >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; die "dpkg -P failed"; }
[ ! -e /etc/dbbackup ] || fail "/etc/dbbackup is still there after dpkg -P"
[ -d /var/lib/dbbackup ] || fail "dpkg -P removed /var/lib/dbbackup (the backups)"
if [ "$created_varlib" = 1 ] && [ ! -e /var/lib/dbbackup/check-backup ]; then
  fail "dpkg -P removed a file in /var/lib/dbbackup"
fi
if dpkg-statoverride --list | grep -q ' /etc/dbbackup'; then
  fail "dpkg-statoverride entries for /etc/dbbackup left after purge"
fi
we_installed=0
checkpoint "removal"
note "install, remove and purge ok; all checks passed"
