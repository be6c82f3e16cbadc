# shellcheck shell=bash
# Tools/lib/cluster.sh: real Docker Swarm managers and etcd members on loopback,
# inside a private network namespace, for scripts that build fixtures or prove
# that real daemons accept what RaftWAL's tools wrote.
#
# Source it from a bash script running as root:
#
#   . "$(dirname "$0")/lib/cluster.sh"
#   cluster_init swarm-story            # namespace, work dir, cleanup trap
#   dockerd_start manager-1 127.0.0.1   # dockerd with hostname manager-1
#   dockerd_wait manager-1 30
#   dk manager-1 swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377
#   dockerd_stop manager-1
#
# Functions (each documented where it is defined):
#   setup      cluster_init PURPOSE; cluster_cleanup (the trap); cluster_require_packages
#   messages   cluster_log MSG; cluster_fail MSG (exit 1); cluster_step NAME (timed steps,
#              appended to $CLUSTER_TIMINGS if set); cluster_in_ns CMD...
#   processes  cluster_stop_pid PID [TIMEOUT]; cluster_leftover_pids
#   dockerd    dockerd_seed NAME SWARM_DIR; dockerd_start NAME IP [ARGS...];
#              dockerd_wait NAME [TIMEOUT]; dockerd_stop NAME [TIMEOUT];
#              dockerd_stop_all NAME...; dockerd_dir / dockerd_swarm_dir / dockerd_pid /
#              dockerd_ip NAME; dk NAME ARGS...; dk_t SECONDS NAME ARGS...
#   swarm      swarm_node_id NAME; swarm_leader NAME; swarm_wait_leader NAME [TIMEOUT]
#              [NOT_HOSTNAME]; swarm_wait_status NAME HOSTNAME STATUS [TIMEOUT];
#              swarm_capture NAME OUTDIR
#   etcd       etcd_seed NAME DATA_DIR; etcd_start NAME IP INITIAL_CLUSTER [ARGS...];
#              etcd_wait NAME [TIMEOUT]; etcd_stop NAME [TIMEOUT]; ectl NAME ARGS...;
#              etcd_dir / etcd_pid / etcd_ip NAME; etcd_capture NAME OUTDIR
# NAME may have a group prefix ("quorum/manager-1"); the last component is the
# daemon's hostname (dockerd) or --name (etcd). Environment: CLUSTER_KEEP=1 keeps
# the work dir (logs: CLUSTER_DIR/NAME/dockerd.log, etcd.log).
#
# Everything a script starts lives under one work dir (CLUSTER_DIR, short, under
# /tmp so unix socket paths stay below 108 bytes) and in one network namespace
# (CLUSTER_NS). On exit, even on failure or Ctrl-C, cluster_cleanup stops every
# daemon it started by pid (SIGTERM, bounded wait, SIGKILL), then every
# process still running whose command line names the work dir (the containerd
# each dockerd spawns), unmounts what dockerd mounted there, deletes the
# namespace, and (unless CLUSTER_KEEP=1) removes the work dir. Swarm mode's
# docker_gwbridge is created inside the namespace and goes with it; nothing
# is left on the host.
#
# Daemons are entered into the namespace with nsenter --net, not
# `ip netns exec`: the latter remounts /sys, which hides the cgroup mounts
# dockerd needs ("Devices cgroup isn't mounted").

# --- state ---------------------------------------------------------------
CLUSTER_DIR=""          # work dir: one subdirectory per daemon
CLUSTER_NS=""           # network namespace name
CLUSTER_STARTED_PIDS=() # daemon pids, in start order
CLUSTER_T0=""           # start of the current step (cluster_step)
CLUSTER_MAIN_PID=""     # the process that owns the cleanup

# --- messages and timing ---------------------------------------------------
cluster_now() { date +%s.%N; }

# cluster_log MESSAGE...: a timestamped line on stderr.
cluster_log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# cluster_fail MESSAGE...: log and exit 1 (the EXIT trap cleans up).
cluster_fail() { cluster_log "FAILED: $*"; exit 1; }

# cluster_step NAME: ends the previous step (printing its duration) and starts NAME.
# cluster_step "" ends the last step. Durations also go to CLUSTER_TIMINGS if set.
CLUSTER_STEP_NAME=""
cluster_step() {
    local now; now=$(cluster_now)
    if [ -n "$CLUSTER_STEP_NAME" ]; then
        local took; took=$(awk -v a="$CLUSTER_T0" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
        cluster_log "step done: $CLUSTER_STEP_NAME (${took} s)"
        [ -n "${CLUSTER_TIMINGS:-}" ] && printf '%s\t%s\n' "$took" "$CLUSTER_STEP_NAME" >>"$CLUSTER_TIMINGS"
    fi
    CLUSTER_STEP_NAME="$1"; CLUSTER_T0="$now"
    [ -n "$1" ] && cluster_log "step: $1"
    return 0
}

# --- packages ----------------------------------------------------------------
# cluster_require_packages: installs docker.io, etcd-server, etcd-client,
# iproute2, util-linux and python3 with apt when a command they provide is missing.
cluster_require_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
    command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    if [ ${#missing[@]} -gt 0 ]; then
        cluster_log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# --- namespace, work dir, cleanup -------------------------------------------
# cluster_init PURPOSE: checks root, installs what is missing, makes the work
# dir and the namespace raftwal-PURPOSE-$$ (lo up: 127.0.0.0/8, so
# 127.0.0.1-3 all work), and installs the cleanup trap on EXIT, INT and TERM.
# A script that needs its own EXIT work should call cluster_cleanup from it.
cluster_init() {
    local purpose="$1"
    [ "$(id -u)" -eq 0 ] || { echo "cluster.sh: must run as root (netns, dockerd)" >&2; exit 2; }
    cluster_require_packages
    CLUSTER_DIR=$(mktemp -d "/tmp/rw-${purpose:0:12}-XXXXXX")
    CLUSTER_NS="raftwal-${purpose}-$$"
    CLUSTER_MAIN_PID=$BASHPID
    trap cluster_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ip netns add "$CLUSTER_NS" || cluster_fail "ip netns add $CLUSTER_NS"
    ip netns exec "$CLUSTER_NS" ip link set lo up || cluster_fail "lo up in $CLUSTER_NS"
    cluster_log "namespace $CLUSTER_NS, work dir $CLUSTER_DIR"
}

# cluster_in_ns COMMAND...: runs COMMAND in the namespace (same mounts as the host).
# (The daemon starts call nsenter directly, so that $! is the daemon's own pid.)
cluster_in_ns() { nsenter --net="/run/netns/$CLUSTER_NS" "$@"; }

# cluster_stop_pid PID [TIMEOUT_S]: SIGTERM, wait up to TIMEOUT_S (default 20),
# then SIGKILL. Returns 0 if it exited on SIGTERM, 1 if it had to be killed.
cluster_stop_pid() {
    local pid="$1" timeout="${2:-20}" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < timeout * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    cluster_log "pid $pid did not stop within ${timeout}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
}

# cluster_cmdline PID: the command line of PID, spaces between arguments (empty if gone).
cluster_cmdline() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }

# cluster_leftover_pids: pids of processes whose command line names the work dir.
cluster_leftover_pids() {
    [ -n "$CLUSTER_DIR" ] || return 0
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] && continue
        cluster_cmdline "$p" | grep -qF -- "$CLUSTER_DIR/" && echo "$p"
    done
    return 0
}

# cluster_cleanup: stops everything started, unmounts, deletes the namespace
# and the work dir. Safe to call twice.
cluster_cleanup() {
    local rc=$? pid
    # Only the script's own process cleans up, never a subshell that inherited the trap.
    [ "$BASHPID" = "${CLUSTER_MAIN_PID:-}" ] || return 0
    set +e
    trap - EXIT INT TERM
    for pid in "${CLUSTER_STARTED_PIDS[@]}"; do cluster_stop_pid "$pid" 20; done
    for pid in $(cluster_leftover_pids); do
        cluster_log "leftover process $pid: $(cluster_cmdline "$pid" | cut -c1-100)"
        cluster_stop_pid "$pid" 5
    done
    if [ -n "$CLUSTER_DIR" ]; then
        # dockerd bind-mounts sandbox namespaces under its exec root; a killed
        # daemon leaves them mounted.
        awk -v d="$CLUSTER_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
            while read -r m; do umount -l "$m" 2>/dev/null; done
    fi
    if [ -n "$CLUSTER_NS" ] && ip netns list | grep -qw "$CLUSTER_NS"; then
        ip netns delete "$CLUSTER_NS" || cluster_log "could not delete namespace $CLUSTER_NS"
    fi
    local left; left=$(cluster_leftover_pids)
    [ -z "$left" ] || cluster_log "WARNING: still running: $left"
    if [ -n "$CLUSTER_DIR" ] && [ "${CLUSTER_KEEP:-0}" != 1 ]; then
        rm -rf "$CLUSTER_DIR"
    elif [ -n "$CLUSTER_DIR" ]; then
        cluster_log "kept work dir $CLUSTER_DIR"
    fi
    CLUSTER_STARTED_PIDS=(); CLUSTER_NS=""; CLUSTER_DIR=""
    exit "$rc"
}

cluster_forget_pid() {
    local keep=() p
    for p in "${CLUSTER_STARTED_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    CLUSTER_STARTED_PIDS=("${keep[@]}")
}

# --- dockerd ---------------------------------------------------------------------
# Each daemon NAME has CLUSTER_DIR/NAME/{data,x,docker.sock,docker.pid,dockerd.log};
# x is the exec root (short: containerd's socket path lives under it).

# dockerd_dir NAME / dockerd_swarm_dir NAME / dockerd_pid NAME
dockerd_dir() { echo "$CLUSTER_DIR/$1"; }
dockerd_swarm_dir() { echo "$CLUSTER_DIR/$1/data/swarm"; }
dockerd_pid() { cat "$CLUSTER_DIR/$1/pid" 2>/dev/null; }

# dockerd_start NAME IP [EXTRA_DOCKERD_ARGS...]: starts dockerd in the namespace
# with its own data and exec root, socket, pidfile and containerd namespaces, no
# iptables, no bridge, vfs storage, and its own hostname (a UTS namespace): the
# last component of NAME, so NAME may group daemons ("quorum/manager-1" has
# hostname manager-1). IP is only recorded (dockerd_ip NAME) for the swarm
# commands. Returns at once; call dockerd_wait. Starting a stopped NAME again
# reuses its data root.
dockerd_start() {
    local name="$1" ip="$2"; shift 2
    local d="$CLUSTER_DIR/$name" label="rw-${name//\//-}"
    mkdir -p "$d/data" "$d/x"
    echo "$ip" >"$d/ip"
    # shellcheck disable=SC2016 # $0 and $@ are the inner sh's
    nsenter --net="/run/netns/$CLUSTER_NS" unshare --uts sh -c 'hostname "$0"; exec "$@"' "${name##*/}" \
        dockerd --data-root "$d/data" --exec-root "$d/x" -H "unix://$d/docker.sock" \
        --pidfile "$d/docker.pid" --containerd-namespace "$label" \
        --containerd-plugins-namespace "$label-plugins" \
        --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs "$@" \
        >>"$d/dockerd.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$d/pid"
    CLUSTER_STARTED_PIDS+=("$pid")
    cluster_log "dockerd $name ($ip) started, pid $pid"
}

dockerd_ip() { cat "$CLUSTER_DIR/$1/ip"; }

# dockerd_seed NAME SWARM_DIR: before the first dockerd_start of NAME, copies a
# manager's swarm state (e.g. a fixture: raft/, certificates/, state.json,
# docker-state.json) into NAME's data root, so the daemon starts on it. The
# copy is the daemon's to change; SWARM_DIR is never touched.
dockerd_seed() {
    local name="$1" src="$2" d="$CLUSTER_DIR/$1/data/swarm"
    [ -d "$src/raft" ] || cluster_fail "dockerd_seed: $src has no raft/"
    mkdir -p "$d"
    cp -a "$src/raft" "$src/certificates" "$src/state.json" "$src/docker-state.json" "$d/"
}

# dk NAME DOCKER_ARGS...: the docker CLI against NAME's socket.
dk() { local name="$1"; shift; docker -H "unix://$CLUSTER_DIR/$name/docker.sock" "$@"; }

# dk_t SECONDS NAME DOCKER_ARGS...: dk bounded in time (exit 124 on timeout); a
# read on a manager that is losing quorum can hang ~20 s.
dk_t() { local t="$1" name="$2"; shift 2; timeout "$t" docker -H "unix://$CLUSTER_DIR/$name/docker.sock" "$@"; }

# dockerd_wait NAME [TIMEOUT_S]: waits until NAME's API answers `docker version`
# (default 60 s; a manager without quorum takes ~20 s). Fails the script if
# the daemon died or the time ran out. Prints the seconds waited.
dockerd_wait() {
    local name="$1" timeout="${2:-60}" t0 pid; t0=$(cluster_now); pid=$(dockerd_pid "$name")
    while :; do
        dk "$name" version >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || cluster_fail "dockerd $name exited: $(tail -3 "$CLUSTER_DIR/$name/dockerd.log")"
        awk -v a="$t0" -v b="$(cluster_now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }' &&
            cluster_fail "dockerd $name API did not answer within ${timeout}s"
        sleep 0.1
    done
    awk -v a="$t0" -v b="$(cluster_now)" 'BEGIN { printf "%.1f\n", b - a }'
}

# dockerd_stop NAME [TIMEOUT_S]: SIGTERM NAME's dockerd, wait, SIGKILL after
# TIMEOUT_S (default 30); then waits for the containerd it spawned to exit.
dockerd_stop() {
    local name="$1" timeout="${2:-30}" pid p
    pid=$(dockerd_pid "$name")
    [ -n "$pid" ] || return 0
    cluster_stop_pid "$pid" "$timeout" || cluster_log "dockerd $name needed SIGKILL"
    cluster_forget_pid "$pid"
    for p in $(cluster_leftover_pids); do
        if cluster_cmdline "$p" | grep -qF -- "$CLUSTER_DIR/$name/"; then
            cluster_stop_pid "$p" 10
        fi
    done
    rm -f "$CLUSTER_DIR/$name/pid"
    cluster_log "dockerd $name stopped"
}

# dockerd_stop_all NAME...: stops several daemons in parallel (each stop takes 2-4 s).
dockerd_stop_all() {
    local n j pids=() jobs=()
    for n in "$@"; do pids+=("$(dockerd_pid "$n")"); done
    for n in "$@"; do ( trap - EXIT INT TERM; dockerd_stop "$n" ) & jobs+=($!); done
    for j in "${jobs[@]}"; do wait "$j" || true; done
    for j in "${pids[@]}"; do [ -n "$j" ] && cluster_forget_pid "$j"; done
    return 0
}

# swarm_node_id NAME: the node ID of NAME (docker info).
swarm_node_id() { dk "$1" info --format '{{.Swarm.NodeID}}'; }

# swarm_leader NAME: the hostname of the leader as NAME's `node ls` shows it
# (empty, exit non-zero, if node ls fails or there is no leader).
swarm_leader() {
    dk_t 25 "$1" node ls --format '{{.Hostname}} {{.ManagerStatus}}' 2>/dev/null | awk '$2 == "Leader" { print $1; f = 1 } END { exit !f }'
}

# swarm_wait_leader NAME [TIMEOUT_S] [NOT_HOSTNAME]: waits until NAME's node ls
# shows a leader (other than NOT_HOSTNAME if given); prints its hostname.
swarm_wait_leader() {
    local name="$1" timeout="${2:-60}" not="${3:-}" t0 l; t0=$(cluster_now)
    while :; do
        l=$(swarm_leader "$name") && [ -n "$l" ] && [ "$l" != "$not" ] && { echo "$l"; return 0; }
        awk -v a="$t0" -v b="$(cluster_now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }' &&
            cluster_fail "no leader${not:+ other than $not} seen from $name within ${timeout}s"
        sleep 0.5
    done
}

# swarm_wait_status NAME HOSTNAME STATUS [TIMEOUT_S]: waits until NAME's node ls
# shows HOSTNAME with MANAGER STATUS STATUS (Leader, Reachable, Unreachable).
swarm_wait_status() {
    local name="$1" host="$2" want="$3" timeout="${4:-60}" t0; t0=$(cluster_now)
    while :; do
        dk_t 25 "$name" node ls --format '{{.Hostname}} {{.ManagerStatus}}' 2>/dev/null |
            awk -v h="$host" -v s="$want" '$1 == h && $2 == s { f = 1 } END { exit !f }' && return 0
        awk -v a="$t0" -v b="$(cluster_now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }' &&
            cluster_fail "$host did not become $want in $name's view within ${timeout}s"
        sleep 0.5
    done
}

# swarm_capture NAME OUTDIR: what NAME's API says, as files in OUTDIR: node ls
# (text and JSON lines), node inspect, service ls/inspect, secret ls/inspect,
# config ls/inspect (JSON arrays), and docker info's Swarm section.
swarm_capture() {
    local name="$1" out="$2" ids
    mkdir -p "$out"
    dk "$name" node ls >"$out/node-ls.txt"
    dk "$name" node ls --format '{{json .}}' >"$out/node-ls.jsonl"
    ids=$(dk "$name" node ls -q)
    # IDs are single words: $ids splits on purpose (here and below).
    # shellcheck disable=SC2086
    dk "$name" node inspect $ids >"$out/node-inspect.json"
    dk "$name" service ls >"$out/service-ls.txt"
    dk "$name" service ls --format '{{json .}}' >"$out/service-ls.jsonl"
    ids=$(dk "$name" service ls -q)
    # shellcheck disable=SC2086
    if [ -n "$ids" ]; then dk "$name" service inspect $ids >"$out/service-inspect.json"; else echo '[]' >"$out/service-inspect.json"; fi
    dk "$name" secret ls --format '{{json .}}' >"$out/secret-ls.jsonl"
    ids=$(dk "$name" secret ls -q)
    # shellcheck disable=SC2086
    if [ -n "$ids" ]; then dk "$name" secret inspect $ids >"$out/secret-inspect.json"; else echo '[]' >"$out/secret-inspect.json"; fi
    dk "$name" config ls --format '{{json .}}' >"$out/config-ls.jsonl"
    ids=$(dk "$name" config ls -q)
    # shellcheck disable=SC2086
    if [ -n "$ids" ]; then dk "$name" config inspect $ids >"$out/config-inspect.json"; else echo '[]' >"$out/config-inspect.json"; fi
    dk "$name" info --format '{{json .Swarm}}' >"$out/info-swarm.json"
}

# --- etcd ------------------------------------------------------------------------
# Each member NAME has CLUSTER_DIR/NAME/{data,etcd.log,pid,ip}; client URL
# http://IP:2379, peer URL http://IP:2380.

etcd_dir() { echo "$CLUSTER_DIR/$1/data"; }
etcd_pid() { cat "$CLUSTER_DIR/$1/pid" 2>/dev/null; }
etcd_ip() { cat "$CLUSTER_DIR/$1/ip"; }

# etcd_seed NAME DATA_DIR: before the first etcd_start of NAME, copies an etcd
# data dir (one holding member/) into NAME's data dir. DATA_DIR is never touched.
# Start it with the same --name (the last component of NAME) and peer URL it had.
etcd_seed() {
    local name="$1" src="$2" d="$CLUSTER_DIR/$1/data"
    [ -d "$src/member/wal" ] || cluster_fail "etcd_seed: $src has no member/wal"
    mkdir -p "$d"
    cp -a "$src/member" "$d/"
}

# etcd_start NAME IP INITIAL_CLUSTER [EXTRA_ETCD_ARGS...]: starts an etcd member
# in the namespace; its etcd --name is the last component of NAME. INITIAL_CLUSTER is etcd's --initial-cluster value
# (name=http://ip:2380,...); --initial-cluster-state new and a fixed cluster
# token. Returns at once; call etcd_wait.
etcd_start() {
    local name="$1" ip="$2" initial="$3"; shift 3
    local d="$CLUSTER_DIR/$name"
    mkdir -p "$d"
    echo "$ip" >"$d/ip"
    nsenter --net="/run/netns/$CLUSTER_NS" etcd --name "${name##*/}" --data-dir "$d/data" \
        --listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
        --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
        --initial-cluster "$initial" --initial-cluster-state new \
        --initial-cluster-token raftwal-interop "$@" >>"$d/etcd.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$d/pid"
    CLUSTER_STARTED_PIDS+=("$pid")
    cluster_log "etcd $name ($ip) started, pid $pid"
}

# ectl NAME ETCDCTL_ARGS...: etcdctl (API v3) against NAME's client URL, run in
# the namespace, 5 s command timeout.
ectl() {
    local name="$1"; shift
    ETCDCTL_API=3 cluster_in_ns etcdctl --endpoints "http://$(etcd_ip "$name"):2379" --command-timeout=5s "$@"
}

# etcd_wait NAME [TIMEOUT_S]: waits until NAME answers `endpoint health` (needs a
# leader). Prints the seconds waited.
etcd_wait() {
    local name="$1" timeout="${2:-30}" t0 pid; t0=$(cluster_now); pid=$(etcd_pid "$name")
    while :; do
        ectl "$name" endpoint health >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || cluster_fail "etcd $name exited: $(tail -3 "$CLUSTER_DIR/$name/etcd.log")"
        awk -v a="$t0" -v b="$(cluster_now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }' &&
            cluster_fail "etcd $name not healthy within ${timeout}s"
        sleep 0.2
    done
    awk -v a="$t0" -v b="$(cluster_now)" 'BEGIN { printf "%.1f\n", b - a }'
}

# etcd_stop NAME [TIMEOUT_S]: SIGTERM (etcd stops cleanly), SIGKILL after TIMEOUT_S.
etcd_stop() {
    local name="$1" timeout="${2:-20}" pid
    pid=$(etcd_pid "$name")
    [ -n "$pid" ] || return 0
    cluster_stop_pid "$pid" "$timeout" || cluster_log "etcd $name needed SIGKILL"
    cluster_forget_pid "$pid"
    rm -f "$CLUSTER_DIR/$name/pid"
    cluster_log "etcd $name stopped"
}

# etcd_capture NAME OUTDIR: member list, endpoint status (raft term, index,
# leader) and every key (get --prefix "" -w json), as JSON files.
etcd_capture() {
    local name="$1" out="$2"
    mkdir -p "$out"
    ectl "$name" member list -w json >"$out/member-list.json"
    ectl "$name" endpoint status -w json >"$out/endpoint-status.json"
    ectl "$name" get --prefix "" -w json >"$out/get-all.json"
}
