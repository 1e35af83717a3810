# shellcheck shell=bash
# What the benchmark scripts (bench/*.sh) share. Source this file, then:
#
#   bench_command_line ARGS...   prints ARGS as typed, quoted where a shell needs it (for reports)
#   bench_build DIR              configures and builds a release dbbackup in DIR (from the
#                                checkout root) and prints the executable's absolute path

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
