#!/usr/bin/env bash
# The OpenAPI document is the truth: Schemathesis (pinned, hash-checked,
# in a venv under target/) fuzzes a real `bangtin-manager` on loopback with
# every check and a fixed seed, once with a commune editor's API token and
# once with an administrator's; any finding fails. Settings and the few
# rules JSON Schema cannot state: xtask/contract.toml; see docs/testing.md.
# Run by xtask/test.sh after cargo test; alone:
#   bash xtask/contract.sh
# BANGTIN_CONTRACT_SEED, BANGTIN_CONTRACT_EXAMPLES change the seed and the
# examples per operation; BANGTIN_MANAGER names a prebuilt manager binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
seed="${BANGTIN_CONTRACT_SEED:-20261214}"
examples="${BANGTIN_CONTRACT_EXAMPLES:-25}"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$root/target/contract-venv"
req="$root/xtask/contract-requirements.txt"
started=$(date +%s)

# Schemathesis, exactly as pinned (every package and its hash).
stamp="$(sha256sum "$req" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ]; then
  echo "==> cài Schemathesis (installing Schemathesis, pinned with hashes)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r "$req"
  echo "$stamp" > "$venv/.requirements"
fi

manager="${BANGTIN_MANAGER:-}"
if [ -z "$manager" ]; then
  cargo build -q -p bangtin-manager --bin bangtin-manager --locked
  manager="$target/debug/bangtin-manager"
fi

source xtask/manager-lib.sh
bangtin_scratch bangtin-contract

# A fresh data directory: a province, two communes, an administrator.
data="$work/data"
pw="mật-khẩu-hợp-đồng-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$manager" --data "$data" admin create-unit --code 19 --name "Tỉnh Thái Nguyên" >/dev/null
"$manager" --data "$data" admin create-unit --code 05443 --name "Xã Định Hóa" --parent 19 >/dev/null
"$manager" --data "$data" admin create-unit --code 05446 --name "Xã Phú Đình" --parent 19 >/dev/null
printf '%s\n' "$pw" | "$manager" --data "$data" admin create-user --username tinh --role admin >/dev/null

# On a free loopback port; the fuzzer's bursts are above an officer's
# default 50 requests a second, which would only test the limiter.
bangtin_serve "$work/manager.out" "$work/manager.log" env BANGTIN_REQUESTS_PER_SECOND=100000 \
  RUST_LOG="${RUST_LOG:-warn}" "$manager" --data "$data" serve --listen 127.0.0.1:0
echo "==> máy chủ quản lý (manager) $base, pid $manager_pid"

# Tokens the way a script gets them: sign in, then POST /api/v1/tokens;
# `who`_token signs the run in, `who`_spare is the one it may revoke.
tokens_for() { # who user password
  local jar="$work/jar" csrf created
  csrf="$(curl -sf -c "$jar" -H 'content-type: application/json' \
    -d "$(jq -n --arg u "$2" --arg p "$3" '{username: $u, password: $p}')" "$base/api/v1/auth/login" | jq -r .csrf)"
  created="$(curl -sf -b "$jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
    -d '{"name": "contract"}' "$base/api/v1/tokens")"
  printf -v "${1}_token" '%s' "$(jq -r .token <<<"$created")"
  created="$(curl -sf -b "$jar" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
    -d '{"name": "spare"}' "$base/api/v1/tokens")"
  printf -v "${1}_spare" '%s' "$(jq -r .info.id <<<"$created")"
}
tokens_for admin tinh "$pw"
curl -sf -o /dev/null -H "authorization: Bearer $admin_token" -H 'content-type: application/json' \
  -d "$(jq -n --arg p "$pw" '{username: "xa.bientap", password: $p, role: "editor", units: ["05443"]}')" \
  "$base/api/v1/users"
tokens_for editor xa.bientap "$pw"

# Hypothesis keeps its caches in the current directory unless told.
export HYPOTHESIS_STORAGE_DIRECTORY="$root/target/contract-hypothesis"
status=0
# The editor first: the administrator's run may change or remove the
# editor's account, as any administrator may.
for who in editor admin; do
  tok="${who}_token" spare="${who}_spare"
  echo "==> Schemathesis: $who (seed $seed, $examples examples per operation)"
  if ! BANGTIN_CONTRACT_TOKEN="${!tok}" BANGTIN_CONTRACT_SPARE_TOKEN="${!spare}" "$venv/bin/st" --config-file xtask/contract.toml --no-color \
    run "$base/api/openapi.json" --checks all --seed "$seed" --max-examples "$examples" \
    --report junit --report-dir "$target/contract/$who"; then
    status=1
  fi
done
kill -0 "$manager_pid" 2>/dev/null || { echo "máy chủ quản lý đã dừng (manager died)" >&2; status=1; }
if [ "$status" != 0 ]; then
  echo "==> nhật ký máy chủ quản lý, cuối (the manager's log, last lines):" >&2
  tail -n 40 "$work/manager.log" >&2
fi
echo "==> hợp đồng OpenAPI: $(( $(date +%s) - started )) s (contract run time)"
exit "$status"
