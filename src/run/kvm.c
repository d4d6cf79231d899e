// SPDX-License-Identifier: Apache-2.0
/*
 * Proving that KVM runs a guest before asking QEMU to use it. A /dev/kvm that
 * opens is not enough: on some hosts (nested virtualisation gone wrong, a
 * hypervisor that hides VMX) the ioctls succeed and KVM_RUN fails or never
 * returns. So a forked child runs a small test guest to a `hlt`, and the
 * parent waits a bounded time for it to report KVM_EXIT_HLT and the guest's
 * result.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run/run.h"

#if defined(__x86_64__)
#include <linux/kvm.h>

/* Child exit codes, mapped to reasons in the parent. */
enum {
	PROBE_OK = 0,
	PROBE_OPEN,
	PROBE_API,
	PROBE_VM,
	PROBE_MEM,
	PROBE_VCPU,
	PROBE_CPUID,
	PROBE_REGS,
	PROBE_RUN,
	PROBE_EXIT,
	PROBE_RESULT,
};

static const char *const probe_reasons[] = {
	[PROBE_OK] = "works",
	[PROBE_OPEN] = "cannot open /dev/kvm",
	[PROBE_API] = "unexpected KVM API version",
	[PROBE_VM] = "KVM_CREATE_VM failed",
	[PROBE_MEM] = "cannot map guest memory",
	[PROBE_VCPU] = "cannot create a vCPU",
	[PROBE_CPUID] = "cannot set the vCPU's CPUID",
	[PROBE_REGS] = "cannot set the vCPU registers",
	[PROBE_RUN] = "KVM_RUN failed",
	[PROBE_EXIT] = "the test guest stopped before its halt",
	[PROBE_RESULT] = "the test guest halted with a wrong result",
};

/*
 * The test guest: what a kernel's boot path does, in miniature. It starts in
 * real mode at GUEST_CODE, loads a GDT, enters protected mode, enables PAE,
 * SSE, long mode and paging (identity-mapped page tables that the host
 * prepares at GUEST_PML4), jumps to 64-bit code, runs CPUID and RDTSC, moves
 * a magic value through SSE2 registers to GUEST_RESULT and halts. A `hlt` in
 * real mode is not enough: some hosts expose a /dev/kvm that runs that much
 * and then fails on the instructions every kernel and libc use (seen on a
 * nested sandbox: KVM_EXIT_INTERNAL_ERROR on the first SSE2 instruction, and
 * a Linux guest that never gets past its setup code).
 * Assembled from this source (GNU as, linked at 0x1000):
 *
 *	.code16
 *	cli
 *	lgdtl gdt_desc
 *	movl %cr0, %eax; orl $1, %eax; movl %eax, %cr0
 *	ljmpl $0x08, $pm32
 *	.code32
 * pm32:	movw $0x10, %ax; movw %ax, %ds; movw %ax, %es; movw %ax, %ss
 *	movl %cr4, %eax; orl $0x620, %eax; movl %eax, %cr4      # PAE, OSFXSR, OSXMMEXCPT
 *	movl $0x2000, %eax; movl %eax, %cr3                     # GUEST_PML4
 *	movl $0xc0000080, %ecx; rdmsr; orl $0x100, %eax; wrmsr  # EFER.LME
 *	movl %cr0, %eax; andl $~4, %eax; orl $0x80000002, %eax  # paging, MP, no EM
 *	movl %eax, %cr0
 *	ljmpl $0x18, $lm64
 *	.code64
 * lm64:	xorl %eax, %eax; cpuid
 *	rdtsc
 *	movabsq $0x74694b696e55, %rax
 *	movq %rax, %xmm0; pxor %xmm1, %xmm1; por %xmm1, %xmm0
 *	movq %xmm0, 0x5000                                      # GUEST_RESULT
 *	hlt
 *	.p2align 3
 * gdt:	.quad 0, 0x00cf9a000000ffff, 0x00cf92000000ffff, 0x00af9a000000ffff
 * gdt_desc: .word 31; .long gdt
 */
static const uint8_t guest_code[] = {
	0xfa, 0x66, 0x0f, 0x01, 0x16, 0xa0, 0x10, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x01,
	0x0f, 0x22, 0xc0, 0x66, 0xea, 0x19, 0x10, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10,
	0x00, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0x0f, 0x20, 0xe0, 0x0d, 0x20, 0x06, 0x00,
	0x00, 0x0f, 0x22, 0xe0, 0xb8, 0x00, 0x20, 0x00, 0x00, 0x0f, 0x22, 0xd8, 0xb9, 0x80,
	0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0x0f, 0x20,
	0xc0, 0x83, 0xe0, 0xfb, 0x0d, 0x02, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0xea, 0x59,
	0x10, 0x00, 0x00, 0x18, 0x00, 0x31, 0xc0, 0x0f, 0xa2, 0x0f, 0x31, 0x48, 0xb8, 0x55,
	0x6e, 0x69, 0x4b, 0x69, 0x74, 0x00, 0x00, 0x66, 0x48, 0x0f, 0x6e, 0xc0, 0x66, 0x0f,
	0xef, 0xc9, 0x66, 0x0f, 0xeb, 0xc1, 0x66, 0x0f, 0xd6, 0x04, 0x25, 0x00, 0x50, 0x00,
	0x00, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
	0x00, 0x9a, 0xcf, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x9a, 0xaf, 0x00, 0x1f, 0x00, 0x80, 0x10, 0x00, 0x00,
};

#define GUEST_MEM_SIZE 0x6000
#define GUEST_CODE 0x1000
#define GUEST_PML4 0x2000
#define GUEST_PDPT 0x3000
#define GUEST_PD 0x4000
#define GUEST_RESULT 0x5000
#define GUEST_MAGIC 0x74694b696e55ULL /* "UniKit" */

static int probe_child(uint32_t *exit_reason)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		*exit_reason = (uint32_t)errno;
		return PROBE_OPEN;
	}
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return PROBE_API;
	int vm = ioctl(kvm, KVM_CREATE_VM, 0UL);
	if (vm < 0)
		return PROBE_VM;

	uint8_t *mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return PROBE_MEM;
	memcpy(mem + GUEST_CODE, guest_code, sizeof(guest_code));
	/* identity map of the first 2 MiB: PML4[0] -> PDPT[0] -> one 2 MiB page */
	uint64_t *pml4 = (uint64_t *)(mem + GUEST_PML4), *pdpt = (uint64_t *)(mem + GUEST_PDPT);
	uint64_t *pd = (uint64_t *)(mem + GUEST_PD);
	pml4[0] = GUEST_PDPT | 0x3;
	pdpt[0] = GUEST_PD | 0x3;
	pd[0] = 0x83;
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return PROBE_MEM;

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0)
		return PROBE_VCPU;
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		return PROBE_VCPU;
	struct kvm_run *run =
		mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return PROBE_VCPU;

	/*
	 * KVM refuses EFER.LME to a vCPU whose CPUID does not list long mode,
	 * so the vCPU gets what KVM supports, as QEMU's -cpu host would.
	 */
	size_t ncpuid = 256;
	struct kvm_cpuid2 *cpuid = xcalloc(1, sizeof(*cpuid) + ncpuid * sizeof(cpuid->entries[0]));
	cpuid->nent = (uint32_t)ncpuid;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 ||
	    ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
		return PROBE_CPUID;
	free(cpuid);

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return PROBE_REGS;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return PROBE_REGS;
	struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return PROBE_REGS;

	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return PROBE_RUN;
	*exit_reason = run->exit_reason;
	if (run->exit_reason != KVM_EXIT_HLT)
		return PROBE_EXIT;
	uint64_t result;
	memcpy(&result, mem + GUEST_RESULT, sizeof(result));
	return result == GUEST_MAGIC ? PROBE_OK : PROBE_RESULT;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int run_kvm_probe(int timeout_ms, char **reason)
{
	int fds[2];

	if (access("/dev/kvm", F_OK) < 0) {
		*reason = xstrdup("/dev/kvm does not exist");
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		*reason = xasprintf("pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		*reason = xasprintf("fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		uint32_t exit_reason = 0;
		unsigned char msg[2];
		msg[0] = (unsigned char)probe_child(&exit_reason);
		msg[1] = (unsigned char)(exit_reason > 255 ? 255 : exit_reason);
		if (write(fds[1], msg, 2) != 2)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);

	unsigned char msg[2] = { 0xff, 0 };
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0) {
			ssize_t n = read(fds[0], msg, 2);
			if (n < 0 && errno == EINTR)
				continue;
			if (n != 2)
				msg[0] = 0xfe; /* the child died without a word */
		}
		break;
	}
	close(fds[0]);

	/*
	 * A vCPU stuck in the kernel may not die at once; the child is killed
	 * and reaped if it can be, and otherwise left for init to reap.
	 */
	kill(pid, SIGKILL);
	for (int i = 0; i < 20; i++) {
		pid_t w = waitpid(pid, NULL, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		usleep(5000);
	}

	unsigned code = msg[0];
	if (code == PROBE_OK)
		return 0;
	if (code == PROBE_EXIT)
		*reason = xasprintf("%s (KVM exit reason %u)", probe_reasons[code], msg[1]);
	else if (code == PROBE_OPEN)
		*reason = xasprintf("%s: %s", probe_reasons[code], strerror(msg[1]));
	else if (code == 0xff)
		*reason = xasprintf("a test guest did not halt within %d ms", timeout_ms);
	else if (code == 0xfe)
		*reason = xstrdup("the KVM test process died");
	else if (code < ARRAY_SIZE(probe_reasons))
		*reason = xstrdup(probe_reasons[code]);
	else
		*reason = xstrdup("unknown failure");
	return -1;
}

#else

int run_kvm_probe(int timeout_ms, char **reason)
{
	*reason = xstrdup("the KVM check is only implemented for x86-64 hosts");
	return -1;
}

#endif
