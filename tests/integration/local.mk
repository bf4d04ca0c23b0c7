# tests/integration/: real daemons on loopback (cluster-harness), always stopped.
check_PROGRAMS += tests/integration/test-cluster
tests_integration_test_cluster_SOURCES = tests/integration/test-cluster.c \
	tests/integration/cluster-harness.c tests/integration/cluster-harness.h
tests_integration_test_cluster_CPPFLAGS = $(TEST_CPPFLAGS)
tests_integration_test_cluster_LDADD = $(COMMON_LIBS)
$(tests_integration_test_cluster_OBJECTS): $(GEN_DIR)/.stamp

# A benchmark, run by hand (bench/cluster.sh): latency and RSS of a real local cluster.
noinst_PROGRAMS += bench/bench-cluster
bench_bench_cluster_SOURCES = bench/bench-cluster.c \
	tests/integration/cluster-harness.c tests/integration/cluster-harness.h
bench_bench_cluster_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/integration
bench_bench_cluster_LDADD = $(COMMON_LIBS)
$(bench_bench_cluster_OBJECTS): $(GEN_DIR)/.stamp

# The engine on a real local cluster: the test is a driver (client mode) and runs the examples.
check_PROGRAMS += tests/integration/test-engine-cluster
tests_integration_test_engine_cluster_SOURCES = tests/integration/test-engine-cluster.c \
	tests/integration/cluster-harness.c tests/integration/cluster-harness.h
tests_integration_test_engine_cluster_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine \
	-I$(top_srcdir)/engine/include
tests_integration_test_engine_cluster_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)
$(tests_integration_test_engine_cluster_OBJECTS): $(GEN_DIR)/.stamp
EXTRA_tests_integration_test_engine_cluster_DEPENDENCIES = engine/executor/weft-executor$(EXEEXT) \
	rm/weft-resourcemanager$(EXEEXT) nodemanager/weft-nodemanager$(EXEEXT) \
	examples/people$(EXEEXT) examples/marbles$(EXEEXT) examples/employees$(EXEEXT) \
	examples/write-csv$(EXEEXT) engine/submit/weft-submit$(EXEEXT) rm/weft$(EXEEXT)
