BIN_SRCS += engine/cli/main.c engine/cli/dns_opts.c engine/cli/cmd_spf.c engine/cli/outfile.c engine/cli/cmd_dns_merge.c engine/cli/cli_arg.c
