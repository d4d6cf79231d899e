# SPDX-License-Identifier: Apache-2.0
# Helpers for the tests of unikit-init (t04xx). Source after lib.sh.

# Waits until FILE has a line matching the extended regex PATTERN (default 10 s).
wait_for() {
	local file=$1 pattern=$2 secs=${3:-10} i=0
	while [ $i -lt $((secs * 10)) ]; do
		grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "wait_for: no '$pattern' in $file after $secs s" >&2
	return 1
}

# Writes a fake OCI runtime to PATH: `create` starts the bundle's `run` script
# once `start` is called, as crun starts a container's process; `run` starts it
# at once (--detach), or waits for it, passing SIGTERM and SIGINT on, and
# deletes it; it records created and deleted names in $FAKE_RUNTIME_STATE.
# A bundle's runtime-delay file holds seconds `run` waits before it starts.
init_fake_runtime() {
	cat >"$1" <<'EOF'
#!/bin/sh
set -e
state=${FAKE_RUNTIME_STATE:?}
cmd=$1
shift
# create and run: options, then the container's name
case $cmd in
create | run)
	detach=false bundle= pidfile=
	while [ $# -gt 1 ]; do
		case $1 in
		--detach) [ "$cmd" = run ] || break; detach=true; shift ;;
		--bundle) bundle=$2; shift 2 ;;
		--pid-file) pidfile=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ $# -eq 1 ] || { echo "fake runtime: unknown option $1" >&2; exit 2; }
	name=$1
	[ -x "$bundle/run" ] || { echo "fake runtime: no $bundle/run" >&2; exit 1; }
	echo "$name" >>"$state/created"
	;;
esac
case $cmd in
create)
	rm -f "$state/$name.fifo"
	mkfifo "$state/$name.fifo"
	(read -r _ <"$state/$name.fifo"; exec "$bundle/run") &
	echo $! >"$pidfile"
	;;
start)
	echo go >"$state/$1.fifo"
	;;
run)
	# a slow runtime, for tests of what init does while it waits
	if [ -f "$bundle/runtime-delay" ]; then sleep "$(cat "$bundle/runtime-delay")"; fi
	if $detach; then
		# Never a shell's child, as crun's detached container: a shell reaps
		# any child it finds ended (dash even in a subshell about to exit),
		# and init, the subreaper, would never see the container end.
		# setsid -f forks it off and returns; it writes its own pid.
		setsid -f sh -c 'echo $$ >"$1.new" && mv "$1.new" "$1" && exec "$2"' \
			sh "$pidfile" "$bundle/run"
		while [ ! -s "$pidfile" ]; do sleep 0.01; done
		exit 0
	fi
	# in the foreground: signals go on to the process, the end deletes it
	set +e
	"$bundle/run" &
	child=$!
	trap 'kill -TERM $child' TERM
	trap 'kill -INT $child' INT
	while :; do
		wait $child
		status=$?
		kill -0 $child 2>/dev/null || break
	done
	echo "$name" >>"$state/deleted"
	exit $status
	;;
delete)
	[ "$1" = -f ] && shift
	rm -f "$state/$1.fifo"
	echo "$1" >>"$state/deleted"
	;;
*)
	echo "fake runtime: unknown command $cmd" >&2
	exit 2
	;;
esac
EOF
	chmod +x "$1"
}

# init_container ROOT KIND NAME SCRIPT [INIT.CONF-TEXT]: a bundle whose process runs SCRIPT.
init_container() {
	local dir="$1/containers/$2/$3"
	mkdir -p "$dir/rootfs"
	echo '{}' >"$dir/config.json"
	printf '#!/bin/sh\n%s\n' "$4" >"$dir/run"
	chmod +x "$dir/run"
	if [ $# -ge 5 ]; then printf '%b' "$5" >"$dir/init.conf"; fi
}
