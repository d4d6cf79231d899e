#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Starts a getty on each console of the kernel command line and restarts it
# when the session ends. INSECURE=true logs root in without a password.

# BusyBox's applets as commands, for the shells this getty starts
/bin/busybox --install -s /bin 2>/dev/null

# root's password, when the image has one for us
if [ -f /hostroot/etc/getty.shadow ]; then
	cp /hostroot/etc/getty.shadow /etc/shadow
	echo >>/etc/shadow
	chmod 0600 /etc/shadow
fi

start_getty() {
	tty=${1%%,*}
	speed=${1#*,}
	[ "$speed" = "$1" ] && speed=115200
	speed=${speed%%[!0-9]*}
	[ -n "$speed" ] || speed=115200
	term=vt100
	case "$tty" in
	tty[0-9]*) term=linux ;;
	esac
	[ -c "/dev/$tty" ] || return 0
	if ! grep -qw "$tty" /etc/securetty; then
		echo "getty: $tty is not in /etc/securetty: root cannot log in there" >"/dev/$tty"
	fi
	if [ "$INSECURE" = "true" ]; then
		set -- -n -l /usr/bin/autologin
	else
		set --
	fi
	(
		while true; do
			setsid /bin/busybox getty "$@" -L "$speed" "$tty" "$term"
			sleep 1
		done
	) &
}

consoles=
for opt in $(cat /proc/cmdline); do
	case "$opt" in
	console=*) consoles="$consoles ${opt#console=}" ;;
	esac
done
[ -n "$consoles" ] || consoles=console
for c in $consoles; do
	start_getty "$c"
done
wait
