# Report suites: report_ar, report_csv, report_annotate, report_xml, report_summary.
TEST_SRCS += tests/report/test_ar.c tests/report/test_csv.c tests/report/test_annotate.c \
             tests/report/test_xml.c tests/report/test_summary.c
TEST_SUPPORT_SRCS += tests/report/fixture.c
