#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# usage: poweroff.sh [TIMEOUT] [-f]
timeout=${1:-30}
/bin/busybox sleep "$timeout"
if [ "$2" = -f ]; then
	exec /bin/busybox poweroff -f
fi
# BusyBox's poweroff signals PID 1 (SIGUSR2), which shuts down cleanly
exec /bin/busybox poweroff
