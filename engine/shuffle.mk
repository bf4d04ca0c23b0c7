# engine/shuffle.mk
# ---- The batch codec and the shuffle files: what map tasks write and reduce tasks read. -------
engine_libweft_engine_core_la_SOURCES += \
	engine/weft-batch-codec.c engine/weft-batch-codec.h \
	engine/weft-shuffle.c engine/weft-shuffle.h

check_PROGRAMS += tests/engine/test-shuffle
tests_engine_test_shuffle_SOURCES = tests/engine/test-shuffle.c
tests_engine_test_shuffle_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
tests_engine_test_shuffle_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)

# Run by hand: bench/bench-shuffle [ROWS] [PARTITIONS] [BLOCK_SIZE]
noinst_PROGRAMS += bench/bench-shuffle
bench_bench_shuffle_SOURCES = bench/bench-shuffle.c
bench_bench_shuffle_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/engine
bench_bench_shuffle_LDADD = $(ENGINE_CORE_LIBS) $(LZ4_LIBS)
