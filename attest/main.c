/* main.c: hostgate-attest, the host side. Table dispatch, one file per
 * subcommand (wireguard-tools' wg.c style). */
#include <dlfcn.h>
#include <stdlib.h>
#include <libxml/parser.h>
#include <tss2/tss2_common.h>

#include "../lib/dispatch.h"
#include "cmds.h"
#include "hg_version.h"

/* --version: libxml2's run-time version; tss2 has no run-time version
 * call, so its build-time ABI; libvirt only if something already loaded
 * it (RTLD_NOLOAD: --version never pays for the dlopen() measuredom.c
 * defers to the commands that need it). */
static void libversions(FILE *f)
{
	static const TSS2_ABI_VERSION abi = TSS2_ABI_VERSION_CURRENT;
	void *virt = dlopen("libvirt.so.0", RTLD_LAZY | RTLD_NOLOAD);
	int (*get)(unsigned long *, const char *, unsigned long *);
	unsigned long v;
	long lx;

	fprintf(f, "  tss2: ABI %u.%u.%u.%u (build time)\n", abi.tssCreator,
		abi.tssFamily, abi.tssLevel, abi.tssVersion);
	/* "20914" is 2.9.14 (libxml2's xmlParserVersion, LIBXML_VERSION form). */
	lx = strtol(xmlParserVersion, NULL, 10);
	fprintf(f, "  libxml2: %ld.%ld.%ld\n", lx / 10000, lx / 100 % 100, lx % 100);
	if (!virt) {
		fprintf(f, "  libvirt: not loaded (loaded by the commands that use it)\n");
		return;
	}
	*(void **)&get = dlsym(virt, "virGetVersion");
	if (get && get(&v, NULL, NULL) == 0)
		fprintf(f, "  libvirt: %lu.%lu.%lu\n", v / 1000000, v / 1000 % 1000,
			v % 1000);
	dlclose(virt);
}

static const struct hg_command commands[] = {
	{ "init", init_main, "create or load the AK and the log key" },
	{ "measure", measure_main, "measure files into the PCR and the signed log" },
	{ "measure-host", measure_host_main, "measure the hypervisor set named by the manifest" },
	{ "quote", quote_main, "quote the PCRs and write an evidence bundle" },
	{ "gate", gate_main, "decide whether a domain may start here (dry run of the hook)" },
	{ "hook", hook_main, "install, remove or run the libvirt qemu hook" },
	{ "enroll-request", enroll_request_main, "write an enrollment request: EK certificates and the AK" },
	{ "activate", activate_main, "answer an enrollment challenge (TPM2_ActivateCredential)" },
	{ "config", config_main, "print the effective configuration and where each value came from" },
	{ "agent", agent_main, "serve evidence to the verifier over HTTPS with mutual TLS" },
};

int main(int argc, char **argv)
{
	static const struct hg_program prog = {
		.name = "hostgate-attest",
		.version = HG_VERSION,
		.cmds = commands,
		.ncmds = sizeof(commands) / sizeof(commands[0]),
		.footer = "Exit codes: 0 ok, 1 failure, 2 usage or configuration, 4 log and PCR disagree.\n"
			  "Configuration: /etc/hostgate/hostgate.conf (hostgate.conf(5)).\n",
		.usage_exit = HG_EXIT_USAGE,
		.libversions = libversions,
	};

	return hg_dispatch(&prog, argc, argv);
}
