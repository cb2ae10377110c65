#!/usr/bin/env bash
# Generates Python stubs from proto/ and runs the example client against a live server on an
# ephemeral port (mem:// database). Used by `cargo xtask test`; needs python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
venv=${RAMPART_PY_VENV:-$root/target/python-venv}

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"

out=$(mktemp -d)
trap 'rm -rf "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
"$venv/bin/python" -m grpc_tools.protoc -I "$root/proto" --python_out="$out" --grpc_python_out="$out" "$root"/proto/rampart/v1/*.proto
touch "$out/rampart/__init__.py" "$out/rampart/v1/__init__.py"

bin=${RAMPART_BIN:-$root/target/debug/rampart}
[ -x "$bin" ] || (cd "$root" && cargo build --quiet --package rampart)
token="rmp_python_example_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log="$out/server.log"
RAMPART_BOOTSTRAP_TOKEN="$token" "$bin" serve --listen 127.0.0.1:0 --db mem:// >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  addr=$(sed -n 's/^rampart listening on \([^ ]*\).*/\1/p' "$log")
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "${addr:-}" ] || { cat "$log"; echo "server did not start"; exit 1; }

PYTHONPATH="$out" RAMPART_SERVER="$addr" RAMPART_TOKEN="$token" "$venv/bin/python" "$here/assets_client.py" --setup pyco
echo "python client example: ok"
