/* main.c: hostgate-attest, the host side. Table dispatch, one file per
 * subcommand (wireguard-tools' wg.c style). */
#include "../lib/dispatch.h"
#include "cmds.h"

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
};

int main(int argc, char **argv)
{
	return hg_dispatch("hostgate-attest", commands,
			   sizeof(commands) / sizeof(commands[0]),
			   "Exit codes: 0 ok, 1 failure, 2 usage or configuration, 4 log and PCR disagree.\n"
			   "Configuration: /etc/hostgate/hostgate.conf (docs/configuration.md).\n",
			   HG_EXIT_USAGE, argc, argv);
}
