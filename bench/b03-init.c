// SPDX-License-Identifier: Apache-2.0
// b03's baseline: the most trivial static init. It prints one line on the
// console and powers the machine off, so that bench/b03-boot.sh can time a
// boot that spends nothing after the kernel.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	static const char line[] = "B03-TRIVIAL-INIT\n";
	int fd;

	// an initramfs without /dev/console starts init without a console
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && write(fd, line, sizeof(line) - 1) < 0)
		return 1;
	reboot(RB_POWER_OFF);
	return 1;
}
