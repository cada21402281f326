LIB_SRCS += dns/dns.c dns/snapshot.c dns/merge.c
TEST_SRCS += tests/dns/test_dns.c tests/dns/test_snapshot.c tests/dns/test_merge.c
