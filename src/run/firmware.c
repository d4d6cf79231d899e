// SPDX-License-Identifier: Apache-2.0
/*
 * UEFI firmware for QEMU: EDK2's OVMF (x86_64) and AAVMF (aarch64). Split
 * images (a read-only CODE part and a VARS template the VM gets its own copy
 * of) are preferred; a combined image works too, as a writable copy.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"

static const struct {
	enum run_arch arch;
	const char *code;
	const char *vars; /* NULL: a combined image */
} candidates[] = {
	/* Debian 12+, Ubuntu 22.04+ (ovmf) */
	{ RUN_ARCH_X86_64, "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },
	/* Debian 11, Ubuntu 20.04 */
	{ RUN_ARCH_X86_64, "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd" },
	/* Fedora, RHEL (edk2-ovmf) */
	{ RUN_ARCH_X86_64, "/usr/share/edk2/ovmf/OVMF_CODE.fd",
	  "/usr/share/edk2/ovmf/OVMF_VARS.fd" },
	/* Arch Linux (edk2-ovmf) */
	{ RUN_ARCH_X86_64, "/usr/share/edk2/x64/OVMF_CODE.4m.fd",
	  "/usr/share/edk2/x64/OVMF_VARS.4m.fd" },
	{ RUN_ARCH_X86_64, "/usr/share/edk2-ovmf/x64/OVMF_CODE.fd",
	  "/usr/share/edk2-ovmf/x64/OVMF_VARS.fd" },
	/* openSUSE (qemu-ovmf-x86_64) */
	{ RUN_ARCH_X86_64, "/usr/share/qemu/ovmf-x86_64-code.bin",
	  "/usr/share/qemu/ovmf-x86_64-vars.bin" },
	/* combined images: Debian's compatibility link, LinuxKit's default */
	{ RUN_ARCH_X86_64, "/usr/share/ovmf/OVMF.fd", NULL },
	{ RUN_ARCH_X86_64, "/usr/share/qemu/OVMF.fd", NULL },
	{ RUN_ARCH_X86_64, "/usr/share/ovmf/bios.bin", NULL },
	/* Debian, Ubuntu (qemu-efi-aarch64) */
	{ RUN_ARCH_AARCH64, "/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd" },
	/* Fedora (edk2-aarch64) */
	{ RUN_ARCH_AARCH64, "/usr/share/edk2/aarch64/QEMU_EFI-pflash.raw",
	  "/usr/share/edk2/aarch64/vars-template-pflash.raw" },
};

void run_firmware_release(struct run_firmware *fw)
{
	free(fw->code);
	free(fw->vars);
	fw->code = NULL;
	fw->vars = NULL;
}

/* For .../OVMF_CODE_4M.fd, the .../OVMF_VARS_4M.fd next to it (the last CODE in the name). */
static char *vars_for(const char *code)
{
	const char *base = strrchr(code, '/');
	const char *hit = NULL;

	base = base ? base + 1 : code;
	for (const char *p = base; (p = strstr(p, "CODE")) != NULL; p++)
		hit = p;
	if (!hit) {
		for (const char *p = base; (p = strstr(p, "code")) != NULL; p++)
			hit = p;
	}
	if (!hit)
		return NULL;
	char *vars = xstrdup(code);
	memcpy(vars + (hit - code), hit[0] == 'C' ? "VARS" : "vars", 4);
	return vars;
}

int run_firmware_find(enum run_arch arch, const char *fw, struct run_firmware *out,
		      struct uk_err *err)
{
	if (fw) {
		if (access(fw, R_OK) < 0)
			return uk_err_errno(err, "firmware '%s'", fw);
		_cleanup_free_ char *vars = vars_for(fw);
		out->code = xstrdup(fw);
		out->vars = vars && access(vars, R_OK) == 0 ? TAKE_PTR(vars) : NULL;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		if (candidates[i].arch != arch || access(candidates[i].code, R_OK) < 0)
			continue;
		if (candidates[i].vars && access(candidates[i].vars, R_OK) < 0)
			continue;
		out->code = xstrdup(candidates[i].code);
		out->vars = candidates[i].vars ? xstrdup(candidates[i].vars) : NULL;
		return 0;
	}
	return uk_err_setc(err, UK_ERR_NOT_FOUND,
			   "no UEFI firmware for %s found (install %s, or give one with -fw)",
			   run_arch_name(arch),
			   arch == RUN_ARCH_X86_64 ? "ovmf" : "qemu-efi-aarch64");
}
