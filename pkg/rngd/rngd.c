// SPDX-License-Identifier: Apache-2.0
/*
 * rngd [-1] [-d DEVICE]: credits the kernel's entropy pool with bytes from a
 * hardware RNG (default /dev/hwrng). With -1 it feeds once and exits;
 * otherwise it feeds whenever /dev/random says it wants more, and at least
 * every minute. No hardware RNG is not an error: there is nothing to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* <linux/random.h>'s ioctl, spelled out: musl's headers do not carry the kernel's */
#ifndef RNDADDENTROPY
#define RNDADDENTROPY _IOW('R', 0x03, int[2])
#endif

#define CHUNK 64
#define ROUNDS 8 /* 512 bytes each time */

struct entropy {
	int entropy_count; /* bits */
	int buf_size;	   /* bytes */
	unsigned char buf[CHUNK];
};

static int feed(int hw, int rnd, const char *dev)
{
	for (int i = 0; i < ROUNDS; i++) {
		struct entropy e;
		size_t got = 0;

		while (got < CHUNK) {
			ssize_t n = read(hw, e.buf + got, CHUNK - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				fprintf(stderr, "rngd: read %s: %s\n", dev,
					n < 0 ? strerror(errno) : "end of file");
				return -1;
			}
			got += (size_t)n;
		}
		e.entropy_count = CHUNK * 8;
		e.buf_size = CHUNK;
		if (ioctl(rnd, RNDADDENTROPY, &e) < 0) {
			fprintf(stderr, "rngd: add entropy: %s\n", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/hwrng";
	int once = 0, hw, rnd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-1") == 0) {
			once = 1;
		} else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			dev = argv[++i];
		} else {
			fprintf(stderr, "usage: rngd [-1] [-d DEVICE]\n");
			return 2;
		}
	}
	hw = open(dev, O_RDONLY | O_CLOEXEC);
	if (hw < 0) {
		printf("rngd: no hardware RNG (%s: %s): nothing to do\n", dev, strerror(errno));
		return 0;
	}
	rnd = open("/dev/random", O_RDWR | O_CLOEXEC);
	if (rnd < 0) {
		fprintf(stderr, "rngd: open /dev/random: %s\n", strerror(errno));
		return 1;
	}
	if (feed(hw, rnd, dev) < 0)
		return 1;
	if (once)
		return 0;
	for (;;) {
		struct pollfd p = { .fd = rnd, .events = POLLOUT };
		if (poll(&p, 1, 60 * 1000) < 0 && errno != EINTR) {
			fprintf(stderr, "rngd: poll /dev/random: %s\n", strerror(errno));
			return 1;
		}
		if (feed(hw, rnd, dev) < 0)
			return 1;
		if (p.revents & POLLOUT)
			sleep(1); /* the kernel keeps asking until it is satisfied: pace it */
	}
}
