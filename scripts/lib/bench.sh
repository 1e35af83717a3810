# shellcheck shell=bash
# What the benchmark scripts (bench/*.sh) share. Source this file, then:
#
#   bench_command_line ARGS...   prints ARGS as typed, quoted where a shell needs it (for reports)
#   bench_build DIR              configures and builds a release dbbackup in DIR (from the
#                                checkout root) and prints the executable's absolute path
#   bench_machine DIR            prints the machine: CPUs, RAM, the disk under DIR, kernel
#   bench_versions DBBACKUP      prints the server's, pg_dump's and DBBACKUP's versions (after
#                                pg_tmp_start)

bench_command_line() {
  local a out=
  for a in "$@"; do
    case $a in *[!A-Za-z0-9_./=:,+-]*|'') out+=" '$a'" ;; *) out+=" $a" ;; esac
  done
  echo "${out# }"
}

bench_build() {
  local dir=$1
  echo "== build ($dir)" >&2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBB_BUILD_TESTS=OFF >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target dbbackup | tail -1 >&2
  realpath "$dir/src/app/dbbackup"
}

bench_machine() {
  local dir=$1
  echo "$(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))," \
    "$(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo) RAM," \
    "disk $(df -P "$dir" | awk 'NR == 2 { print $1 }') ($dir), kernel $(uname -r)"
}

bench_versions() {
  echo "PostgreSQL $(pg_sql postgres 'SHOW server_version'), $(pg_dump --version | head -1)," \
    "$("$1" --version | head -1)"
}
