// SPDX-License-Identifier: Apache-2.0
/* The hostname, loopback, and container interfaces over rtnetlink (no `ip` binary). */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

void net_hostname(void)
{
	char name[HOST_NAME_MAX + 1] = "";
	char *text = read_file("/etc/hostname", 4096, NULL);

	if (text) {
		char *p = text + strspn(text, " \t\n");
		p[strcspn(p, " \t\n")] = '\0';
		msgf(name, sizeof(name), "%s", p);
		free(text);
	}
	if (!name[0]) {
		char *mac = read_file("/sys/class/net/eth0/address", 256, NULL);
		if (mac) {
			size_t n = snprintf(name, sizeof(name), INIT_NAME "-");
			for (char *p = mac; *p && *p != '\n' && n + 1 < sizeof(name); p++)
				if (*p != ':')
					name[n++] = *p;
			name[n] = '\0';
			free(mac);
		}
	}
	if (!name[0])
		return;
	if (sethostname(name, strlen(name)) < 0)
		log_warn("cannot set the hostname '%s': %s", name, strerror(errno));
	else
		log_debug("hostname '%s'", name);
}

void net_loopback_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	msgf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	/* the kernel gives lo 127.0.0.1/8 when it comes up */
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)) < 0)
		log_warn("cannot bring up 'lo': %s", strerror(errno));
	close(fd);
}

/* ---- rtnetlink: just enough to create and move links ---- */

struct nlreq {
	struct nlmsghdr h;
	struct ifinfomsg i;
	char attrs[512];
};

static struct rtattr *attr_add(struct nlreq *r, int type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
	char *base = (char *)r;

	if (at + RTA_SPACE(len) > sizeof(*r))
		return NULL;
	struct rtattr *a = (struct rtattr *)(base + at);
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(base + at + RTA_LENGTH(0), data, len);
	r->h.nlmsg_len = (unsigned)(at + RTA_SPACE(len));
	return a;
}

static void attr_end(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)r + r->h.nlmsg_len - (char *)nest);
}

/* Sends one request and waits for its acknowledgement; 0 or -errno. */
static int nl_talk(struct nlmsghdr *h)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int r = -EIO;

	if (fd < 0)
		return -errno;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)n);
		     m = NLMSG_NEXT(m, n)) {
			if (m->nlmsg_type == NLMSG_ERROR) {
				r = ((struct nlmsgerr *)NLMSG_DATA(m))->error;
				goto out;
			}
		}
	}
out:
	close(fd);
	return r;
}

static void req_init(struct nlreq *r, int flags)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r->h.nlmsg_type = RTM_NEWLINK;
	r->h.nlmsg_flags = (unsigned short)flags;
	r->i.ifi_family = AF_UNSPEC;
}

static int link_move(const char *name, pid_t pid)
{
	struct nlreq r;
	unsigned idx = if_nametoindex(name);
	uint32_t p = (uint32_t)pid;

	if (!idx)
		return -ENODEV;
	req_init(&r, 0);
	r.i.ifi_index = (int)idx;
	attr_add(&r, IFLA_NET_NS_PID, &p, sizeof(p));
	return nl_talk(&r.h);
}

/* Creates NAME of KIND (a veth with PEER), in the netns of pid when pid > 0. */
static int link_add(const char *name, const char *kind, const char *peer, pid_t pid)
{
	struct nlreq r;
	uint32_t p = (uint32_t)pid;

	req_init(&r, NLM_F_CREATE | NLM_F_EXCL);
	attr_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (pid > 0)
		attr_add(&r, IFLA_NET_NS_PID, &p, sizeof(p));
	struct rtattr *info = attr_add(&r, IFLA_LINKINFO, NULL, 0);
	if (!info || !attr_add(&r, IFLA_INFO_KIND, kind, strlen(kind)))
		return -E2BIG;
	if (peer) {
		struct rtattr *data = attr_add(&r, IFLA_INFO_DATA, NULL, 0);
		struct ifinfomsg pi = { .ifi_family = AF_UNSPEC };
		struct rtattr *pa = data ? attr_add(&r, VETH_INFO_PEER, &pi, sizeof(pi)) : NULL;
		if (!pa || !attr_add(&r, IFLA_IFNAME, peer, strlen(peer) + 1))
			return -E2BIG;
		attr_end(&r, pa);
		attr_end(&r, data);
	}
	attr_end(&r, info);
	return nl_talk(&r.h);
}

int net_interface(pid_t pid, const char *name, const char *add, const char *peer,
		  bool create_in_root, char *err, size_t errlen)
{
	int r;

	if (strlen(name) >= IFNAMSIZ || (peer && strlen(peer) >= IFNAMSIZ)) {
		msgf(err, errlen, "interface name '%s' is too long", name);
		return -1;
	}
	if (peer && !add)
		add = "veth"; /* a peer means a veth pair, as LinuxKit */
	if (!add) {
		r = link_move(name, pid);
		if (r < 0)
			msgf(err, errlen, "cannot move interface '%s' into the container: %s", name,
			     strerror(-r));
		return r < 0 ? -1 : 0;
	}
	if (!strcmp(add, "veth") && !peer) {
		msgf(err, errlen, "veth '%s' needs a peer", name);
		return -1;
	}
	/* a veth pair and createInRoot are made in the root namespace, then NAME is moved */
	bool in_root = create_in_root || !strcmp(add, "veth");
	r = link_add(name, add, peer, in_root ? 0 : pid);
	if (r < 0) {
		msgf(err, errlen, "cannot create interface '%s' of type '%s': %s", name, add,
		     strerror(-r));
		return -1;
	}
	if (in_root && (r = link_move(name, pid)) < 0) {
		msgf(err, errlen, "cannot move interface '%s' into the container: %s", name,
		     strerror(-r));
		return -1;
	}
	return 0;
}
