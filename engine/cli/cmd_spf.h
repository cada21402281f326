#ifndef AUTHSWEEP_CLI_CMD_SPF_H
#define AUTHSWEEP_CLI_CMD_SPF_H
/* cli_spf_main runs "authsweep spf ..." (argv[0] is "spf"); returns the exit status. */
int cli_spf_main(int argc, char **argv);
#endif
