# shellcheck shell=bash
# Tools/lib/swarm-scenario.sh: the three-manager Docker Swarm scenario shared by
# Tools/swarm-recover-proof and Tools/swarm-story. Source it after cluster.sh
# (and after cluster_init); it only adds functions and the check counters.
#
#   tools      sc_tools                    builds raft-inspect and raft-recover, sets
#                                          $INSPECT and $RECOVER (RAFTWAL_BIN=DIR skips the build)
#   time       sc_watchdog SECONDS         SIGTERM to the script after SECONDS (cleanup runs)
#              sc_elapsed T0               seconds since T0 (cluster_now), one decimal
#   checks     sc_check DESCRIPTION CMD... PASS/FAIL line; failures counted in SC_FAILS
#              sc_summary                  the checks' totals; returns 1 if any failed
#   printing   sc_header TITLE; sc_show TITLE FILE (indented); sc_run CMD... (echoes
#              "$ CMD", runs it, indents its output, returns its status)
#   swarm      sc_start_managers GROUP     manager-1..3 of GROUP on 127.0.0.1-3, in parallel
#              sc_init_join GROUP          init on manager-1, the two others join as workers
#              sc_promote GROUP            promote manager-2 and manager-3, wait Reachable
#              sc_content NAME             labels, a secret, a config, an overlay network,
#                                          two services, a service update
#              sc_objects NAME FILE        every committed object, one "KIND ID NAME" line each
#              sc_table TITLE COL FILE [COL FILE...]   objects side by side
#              sc_wait_no_leader NAME OUT  polls node ls until "does not have a leader"
#              sc_node_ls NAME             node ls, bounded in time (error text on failure)

SC_FAILS=0
SC_CHECKS=0
SC_FAILED=()

# --- tools ------------------------------------------------------------------------
sc_tools() {
    if [ -n "${RAFTWAL_BIN:-}" ]; then
        BIN=$RAFTWAL_BIN
    else
        (cd "$ROOT" && swift build --product raft-inspect >&2 && swift build --product raft-recover >&2) ||
            { echo "swift build failed" >&2; exit 2; }
        BIN=$(cd "$ROOT" && swift build --show-bin-path)
    fi
    INSPECT="$BIN/raft-inspect"
    RECOVER="$BIN/raft-recover"
    if [ ! -x "$INSPECT" ] || [ ! -x "$RECOVER" ]; then echo "no raft-inspect/raft-recover in $BIN" >&2; exit 2; fi
}

# --- checks and printing ------------------------------------------------------------
sc_check() {
    local what="$1"; shift
    SC_CHECKS=$((SC_CHECKS + 1))
    if "$@"; then
        printf '  PASS  %s\n' "$what"
    else
        printf '  FAIL  %s\n' "$what"
        SC_FAILS=$((SC_FAILS + 1)); SC_FAILED+=("$what")
    fi
}

sc_summary() {
    echo
    if [ "$SC_FAILS" -eq 0 ]; then
        echo "== all $SC_CHECKS checks passed"
        return 0
    fi
    echo "== $SC_FAILS of $SC_CHECKS checks FAILED:"
    printf '   - %s\n' "${SC_FAILED[@]}"
    return 1
}

sc_header() { printf '\n== %s\n' "$*"; }

# sc_show TITLE FILE: the file's lines, indented under a title.
sc_show() { printf -- '-- %s\n' "$1"; sed 's/^/   /' "$2"; }

# sc_run CMD...: prints "$ CMD" (the tool paths shortened), runs it, indents its output.
sc_run() {
    local shown="$*" rc=0 out
    # dk_t SECONDS NAME ARGS... is shown as the docker command it runs
    [ "$1" = dk_t ] && shown="docker ${*:4}"
    shown=${shown//"$BIN/"/}
    shown=${shown//"$CLUSTER_DIR/"/}
    printf '   $ %s\n' "$shown"
    out=$("$@" 2>&1) || rc=$?
    out=${out//"$CLUSTER_DIR/"/}
    printf '%s\n' "$out" | sed 's/^/     /'
    printf '     (exit %s)\n' "$rc"
    return "$rc"
}

# sc_node_ls NAME: node ls bounded by 25 s; on failure, the error text, and status 1.
sc_node_ls() { dk_t 25 "$1" node ls 2>&1; }

# --- the swarm ----------------------------------------------------------------------
sc_start_managers() {
    local g="$1" i
    for i in 1 2 3; do dockerd_start "$g/manager-$i" "127.0.0.$i"; done
    for i in 1 2 3; do dockerd_wait "$g/manager-$i" 30 >/dev/null; done
}

sc_init_join() {
    local g="$1" i token
    dk "$g/manager-1" swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 \
        --snapshot-interval "${SC_SNAPSHOT_INTERVAL:-20}" >/dev/null
    token=$(dk "$g/manager-1" swarm join-token -q worker)
    for i in 2 3; do
        dk "$g/manager-$i" swarm join --token "$token" --advertise-addr "127.0.0.$i" \
            --listen-addr "127.0.0.$i:2377" 127.0.0.1:2377 >/dev/null
    done
}

sc_promote() {
    local g="$1"
    dk "$g/manager-1" node promote manager-2 manager-3 >/dev/null
    swarm_wait_status "$g/manager-1" manager-2 Reachable 60
    swarm_wait_status "$g/manager-1" manager-3 Reachable 60
}

SC_SECRET_VALUE='raftwal-proof-secret-5d2e81'
sc_content() {
    local n="$1" i
    for i in 1 2 3; do dk "$n" node update --label-add "zone=zone-$i" "manager-$i" >/dev/null; done
    dk "$n" node update --label-add role=founder --label-add disk=ssd manager-1 >/dev/null
    printf '%s' "$SC_SECRET_VALUE" | dk "$n" secret create --label proof=raftwal db_password - >/dev/null
    printf 'listen=8080' | dk "$n" config create --label proof=raftwal app_conf - >/dev/null
    dk "$n" network create --driver overlay --label proof=raftwal backend >/dev/null
    dk "$n" service create --detach --no-resolve-image --replicas 0 --name web --label app=web \
        --secret db_password --config app_conf --network backend nginx:1.25-alpine >/dev/null
    dk "$n" service create --detach --no-resolve-image --replicas 0 --name worker \
        --env MODE=batch busybox:1.36 >/dev/null
    dk "$n" service update --detach --label-add version=2 web >/dev/null
}

# sc_objects NAME FILE: what NAME's API lists, one line per object, sorted:
#   node ID HOSTNAME | node-labels ID k=v,... | service ID NAME | service-labels ID k=v,...
#   secret ID NAME | config ID NAME | network ID NAME (swarm scope only)
# Returns non-zero if the API did not answer.
sc_objects() {
    local n="$1" out="$2" ids
    # shellcheck disable=SC2016 # Go templates, not shell
    {
        dk_t 20 "$n" node ls --format 'node {{.ID}} {{.Hostname}}' || return 1
        ids=$(dk_t 20 "$n" node ls -q) || return 1
        # shellcheck disable=SC2086 # IDs are single words
        dk_t 20 "$n" node inspect $ids \
            --format 'node-labels {{.ID}} {{range $k, $v := .Spec.Labels}}{{$k}}={{$v}},{{end}}' || return 1
        ids=$(dk_t 20 "$n" service ls -q) || return 1
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086
            dk_t 20 "$n" service inspect $ids --format 'service {{.ID}} {{.Spec.Name}}' || return 1
            # shellcheck disable=SC2086
            dk_t 20 "$n" service inspect $ids \
                --format 'service-labels {{.ID}} {{range $k, $v := .Spec.Labels}}{{$k}}={{$v}},{{end}}' || return 1
        fi
        dk_t 20 "$n" secret ls --format 'secret {{.ID}} {{.Name}}' || return 1
        dk_t 20 "$n" config ls --format 'config {{.ID}} {{.Name}}' || return 1
        dk_t 20 "$n" network ls --no-trunc --filter scope=swarm --format 'network {{.ID}} {{.Name}}' || return 1
    } | sed -E 's/,$//; s/ +$//' | sort >"$out"
}

# sc_table TITLE COL FILE [COL FILE...]: the objects of several captures side by
# side, one row per KIND+ID; "-" where a capture lacks the object. IDs are cut to
# 12 characters for display only.
sc_table() {
    local title="$1"; shift
    printf -- '-- %s\n' "$title"
    sc_table_awk "$@"
}

sc_table_awk() {
    local cols=() files=()
    while [ $# -ge 2 ]; do cols+=("$1"); files+=("$2"); shift 2; done
    awk -v names="$(IFS='|'; echo "${cols[*]}")" '
        BEGIN { nc = split(names, col, "|"); c = 0 }
        FNR == 1 { c++ }
        {
            key = $1 " " $2
            if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
            v = $3; for (i = 4; i <= NF; i++) v = v " " $i
            if (v == "") v = "(none)"
            val[c, key] = v
        }
        END {
            printf "   %-14s %-12s", "KIND", "ID"
            for (j = 1; j <= nc; j++) printf " | %-30s", col[j]
            printf "\n"
            for (k = 1; k <= nk; k++) {
                split(keys[k], p, " ")
                printf "   %-14s %-12s", p[1], substr(p[2], 1, 12)
                for (j = 1; j <= nc; j++) {
                    v = ((j, keys[k]) in val) ? val[j, keys[k]] : "-"
                    printf " | %-30s", v
                }
                printf "\n"
            }
        }' "${files[@]}"
}

# sc_wait_no_leader NAME OUTFILE [TIMEOUT_S]: polls NAME's node ls until it fails with
# "does not have a leader"; every failure seen is appended to OUTFILE, with the time
# since the call. Returns 1 on timeout (default 90 s).
sc_wait_no_leader() {
    local n="$1" out="$2" timeout="${3:-90}" t0 res; t0=$(cluster_now)
    : >"$out"
    while :; do
        if ! res=$(dk_t 30 "$n" node ls 2>&1); then
            printf '[%s s] %s\n' "$(awk -v a="$t0" -v b="$(cluster_now)" 'BEGIN{printf "%.1f", b-a}')" "$res" >>"$out"
            case "$res" in *"does not have a leader"*) return 0 ;; esac
        fi
        awk -v a="$t0" -v b="$(cluster_now)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }' && return 1
        sleep 1
    done
}

# sc_elapsed T0: seconds since T0 (cluster_now), one decimal.
sc_elapsed() { awk -v a="$1" -v b="$(cluster_now)" 'BEGIN { printf "%.1f", b - a }'; }

# sc_watchdog SECONDS: ends the script (SIGTERM to it: the cleanup trap runs) after
# SECONDS; the watchdog is registered with cluster.sh, so the cleanup stops it by pid.
sc_watchdog() {
    local limit="$1" main=$BASHPID
    (
        trap - EXIT INT
        sp=""
        trap '[ -n "$sp" ] && kill "$sp" 2>/dev/null; exit 0' TERM
        sleep "$limit" & sp=$!
        wait "$sp"
        echo "[watchdog] time limit of ${limit} s reached: stopping" >&2
        kill -TERM "$main"
    ) &
    CLUSTER_STARTED_PIDS+=("$!")
}
