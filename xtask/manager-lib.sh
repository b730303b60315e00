# Sourced by the scripts that test a real bangtin-manager process
# (contract.sh, package-test.sh): a scratch folder and the manager, both
# cleaned up on exit, the manager stopped by its PID.

# bangtin_scratch NAME: sets `work` to a fresh folder under /tmp; it and any
# manager still running are removed on exit.
bangtin_scratch() {
  work="$(mktemp -d "/tmp/$1.XXXXXX")"
  manager_pid=""
  trap _bangtin_scratch_cleanup EXIT
}
_bangtin_scratch_cleanup() {
  if [ -n "$manager_pid" ]; then
    kill "$manager_pid" 2>/dev/null || true
    wait "$manager_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}

# bangtin_serve OUT LOG COMMAND...: runs COMMAND (a `bangtin-manager …
# serve --listen 127.0.0.1:0`, or `env VAR=… bangtin-manager …`) in the
# background, stdout to OUT and stderr to LOG, and waits for the address it
# prints: sets `base` (http://127.0.0.1:PORT) and `manager_pid`. Returns 1
# with the log on stderr when it does not start.
bangtin_serve() {
  local out="$1" log="$2"
  shift 2
  : >"$out" # before the background job opens it, so the first read finds it
  "$@" >"$out" 2>"$log" &
  manager_pid=$!
  base=""
  for _ in $(seq 1 200); do
    base="$(sed -n 's/.*đang chạy tại \(http:[^ ]*\).*/\1/p' "$out")"
    [ -n "$base" ] && return 0
    kill -0 "$manager_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "máy chủ quản lý không chạy (manager did not start)" >&2
  cat "$log" >&2
  return 1
}

# lintian on the .deb files given, failing on any error or warning: tags
# left on purpose are overridden in the packages, with reasons
# (docs/packages.md); informational tags are printed, not failed on. The
# caller's `fail` and `ok` report; `$work` holds the output.
bangtin_lintian() {
  local rc=0
  lintian --fail-on error,warning "$@" >"$work/lintian.txt" 2>&1 || rc=$?
  grep -v 'running with root privileges' "$work/lintian.txt" | sed 's/^/  /' || true
  [ "$rc" = 0 ] || fail "lintian"
  ok "lintian: no error or warning"
}
