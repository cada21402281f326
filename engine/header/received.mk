# engine/header Received and Authentication-Results / Received-SPF parsers.
LIB_SRCS += engine/header/received.c engine/header/authres.c
TEST_SRCS += tests/engine/header/test_received.c tests/engine/header/test_authres.c
