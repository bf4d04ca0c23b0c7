# tests/integration/: real daemons on loopback (cluster-harness), always stopped.
check_PROGRAMS += tests/integration/test-cluster
tests_integration_test_cluster_SOURCES = tests/integration/test-cluster.c \
	tests/integration/cluster-harness.c tests/integration/cluster-harness.h
tests_integration_test_cluster_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_cluster_LDADD = $(COMMON_LIBS)
$(tests_integration_test_cluster_OBJECTS): $(GEN_DIR)/.stamp
