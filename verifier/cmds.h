/* cmds.h: the hostgate-verify subcommands, one file each. */
#ifndef HG_VERIFY_CMDS_H
#define HG_VERIFY_CMDS_H

/* Exit codes of hostgate-verify (design brief; README.md). */
enum {
	HV_EXIT_TRUSTED = 0,
	HV_EXIT_UNTRUSTED = 1,
	HV_EXIT_USAGE = 2,     /* usage, or an input that cannot be read */
	HV_EXIT_INVALID = 3,   /* invalid evidence: signature, format, replay */
};

int show_main(int argc, char **argv);
int check_main(int argc, char **argv);
int learn_main(int argc, char **argv);
int diff_main(int argc, char **argv);
int quote_main(int argc, char **argv);
int enroll_main(int argc, char **argv);
int hosts_main(int argc, char **argv);
int ear_main(int argc, char **argv);
/* hosts set-agent (GROUP 0) / set-group (GROUP 1): hostset.c */
int hosts_set_main(int argc, char **argv, int group);
int policy_main(int argc, char **argv);
int serve_main(int argc, char **argv);

#endif
