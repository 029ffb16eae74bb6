#!/usr/bin/env bash
# An S3-compatible object store on this machine: a one-node OpenStack Swift (Debian's packages)
# with its s3api middleware, storing in a folder. For the tests, the benches and trying the S3
# image store (README, "Object storage and datacenters"); not a production Swift.
#
#   scripts/swift-s3.sh start DIR [PORT]   starts it (proxy on 127.0.0.1:PORT, default 8090;
#                                           the account, container and object servers and
#                                           memcached on the next four ports) and waits until
#                                           it answers; prints the S3 settings to use
#   scripts/swift-s3.sh stop DIR           stops what `start DIR` started
#
# S3 credentials: access key test:tester, secret testing (tempauth), any region.
# Packages: apt-get install swift swift-proxy swift-account swift-container swift-object memcached
# (../shared/STACK-NOTES.md, "S3 without the internet").
set -euo pipefail

command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: $0 start DIR [PORT] | stop DIR" >&2
  exit 2
fi
dir="$(mkdir -p "$dir" && cd "$dir" && pwd)"
run="$dir/run"

stop() {
  for pidfile in "$run"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [ "$command" = "stop" ]; then
  stop
  exit 0
fi
if [ "$command" != "start" ]; then
  echo "usage: $0 start DIR [PORT] | stop DIR" >&2
  exit 2
fi

port="${3:-8090}"
account_port=$((port + 1))
container_port=$((port + 2))
object_port=$((port + 3))
memcached_port=$((port + 4))
for tool in swift-proxy-server swift-account-server swift-container-server swift-object-server swift-ring-builder memcached; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed: apt-get install swift swift-proxy swift-account swift-container swift-object memcached" >&2; exit 3; }
done
# Swift reads its hash path suffix from here; Debian's swift package installs it.
[ -e /etc/swift/swift.conf ] || { echo "/etc/swift/swift.conf is missing (Debian's swift package installs it)" >&2; exit 3; }

stop
# The servers run as whoever starts them (Swift's default is a "swift" user, who cannot write DIR).
user="$(id -un)"
etc="$dir/etc"
mkdir -p "$etc" "$run" "$dir/log" "$dir/devices/d1"

server_conf() { # name port
  cat <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $2
workers = 1
user = $user
devices = $dir/devices
mount_check = false
swift_dir = $etc
log_facility = LOG_LOCAL0
log_level = WARNING

[pipeline:main]
pipeline = $1-server

[app:$1-server]
use = egg:swift#$1
EOF
}
server_conf account "$account_port" >"$etc/account-server.conf"
server_conf container "$container_port" >"$etc/container-server.conf"
server_conf object "$object_port" >"$etc/object-server.conf"

cat >"$etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
workers = 1
user = $user
swift_dir = $etc
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$memcached_port

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:listing_formats]
use = egg:swift#listing_formats
EOF

# One device per ring, one replica: a single node.
for ring in account container object; do
  case "$ring" in account) ring_port=$account_port ;; container) ring_port=$container_port ;; object) ring_port=$object_port ;; esac
  rm -f "$etc/$ring.builder" "$etc/$ring.ring.gz"
  swift-ring-builder "$etc/$ring.builder" create 6 1 1 >/dev/null
  swift-ring-builder "$etc/$ring.builder" add "r1z1-127.0.0.1:$ring_port/d1" 1 >/dev/null
  swift-ring-builder "$etc/$ring.builder" rebalance >/dev/null || true
done

start_process() { # name command...
  local name="$1"
  shift
  nohup "$@" >"$dir/log/$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
}
start_process memcached memcached -u root -l 127.0.0.1 -p "$memcached_port" -m 64
start_process account swift-account-server "$etc/account-server.conf" --verbose
start_process container swift-container-server "$etc/container-server.conf" --verbose
start_process object swift-object-server "$etc/object-server.conf" --verbose
start_process proxy swift-proxy-server "$etc/proxy-server.conf" --verbose

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/healthcheck" >/dev/null 2>&1; then
    echo "Swift S3 API on http://127.0.0.1:$port (logs in $dir/log)"
    echo "  AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing"
    exit 0
  fi
  sleep 0.2
done
echo "Swift did not answer on port $port within 20 s; its logs:" >&2
tail -n 20 "$dir"/log/*.log >&2
stop
exit 1
