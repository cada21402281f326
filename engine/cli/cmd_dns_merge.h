#ifndef AUTHSWEEP_CLI_CMD_DNS_MERGE_H
#define AUTHSWEEP_CLI_CMD_DNS_MERGE_H
/* cli_dns_merge_main runs "authsweep dns-merge ..." (argv[0] is "dns-merge"). */
int cli_dns_merge_main(int argc, char **argv);
#endif
